from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "qinqing.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Connects the master-data cache's invalidation and the calendar listener.
        from qinqing.cases import signals  # noqa: F401
