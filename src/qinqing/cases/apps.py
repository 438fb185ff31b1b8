from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "qinqing.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Connects the master-data cache's invalidation and the calendar listener.
        from qinqing.cases import events, signals, timeline  # noqa: F401

        # The timeline's own kinds: the intake, the moves, the case services' notes.
        timeline.register(self.label, *events.KINDS)
