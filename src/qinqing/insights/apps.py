from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "qinqing.insights"
    label = "insights"
    verbose_name = _("Figures and bulletins")

    def ready(self) -> None:
        # Keeps the fact table in step with every case change (facts.py), and the unit
        # and category maps the metrics use fresh when master data is edited; an edited
        # case's words are read again for the hot topics.
        from django.db.models.signals import post_migrate, post_save

        from qinqing.cases import services as case_services
        from qinqing.cases.models import CaseEvent
        from qinqing.insights import facts, hot_topics

        if facts.intake_rows not in case_services.INTAKE_ROW_HOOKS:
            case_services.INTAKE_ROW_HOOKS.append(facts.intake_rows)
        post_migrate.connect(facts.build_if_missing, sender=self,
                             dispatch_uid="insights:build facts")
        post_save.connect(hot_topics.forget_edited, sender=CaseEvent,
                          dispatch_uid="insights:hot topics of edited cases")
