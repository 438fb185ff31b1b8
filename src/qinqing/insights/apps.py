from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "qinqing.insights"
    label = "insights"
    verbose_name = _("Figures and bulletins")

    def ready(self) -> None:
        # Keeps the fact table in step with every case change (facts.py) and drops the
        # hot-topic words of an edited case, both on the timeline's one hook; builds the
        # facts of a database that has none after migrate.
        from django.db.models.signals import post_migrate

        from qinqing.cases import timeline
        from qinqing.imports import replay
        from qinqing.insights import facts, hot_topics

        timeline.case_changed.connect(facts.case_changed, dispatch_uid="insights: facts")
        timeline.case_changed.connect(hot_topics.forget_edited,
                                      dispatch_uid="insights: hot topics of edited cases")
        # A replayed history's facts are rolled up many cases at a time.
        replay.replayed.connect(facts.roll_up_replayed, dispatch_uid="insights: replayed facts")
        post_migrate.connect(facts.build_if_missing, sender=self,
                             dispatch_uid="insights:build facts")
