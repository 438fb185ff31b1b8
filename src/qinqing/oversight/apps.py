from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "qinqing.oversight"
    verbose_name = _("Oversight and accountability")

    def ready(self) -> None:
        from qinqing.cases import timeline
        from qinqing.oversight import events

        timeline.register("oversight", *events.KINDS)
