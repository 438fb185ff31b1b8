from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "qinqing.insights"
    label = "insights"
    verbose_name = _("Figures and bulletins")

    def ready(self) -> None:
        # Keeps the fact table in step with every case change (facts.py), and the unit
        # and category maps the metrics use fresh when master data is edited.
        from django.db.models.signals import post_migrate

        from qinqing.insights import facts

        post_migrate.connect(facts.build_if_missing, sender=self,
                             dispatch_uid="insights:build facts")
