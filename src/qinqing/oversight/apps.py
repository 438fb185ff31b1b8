from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "qinqing.oversight"
    verbose_name = _("Oversight and accountability")

    def ready(self) -> None:
        # The case history names each event; ours are added to the workbench's words here
        # rather than in the shared module, so the apps stay apart.
        from qinqing.oversight.events import EVENT_LABELS
        from qinqing.web.templatetags.workbench import EVENT_LABELS as WORKBENCH_LABELS

        WORKBENCH_LABELS.update(EVENT_LABELS)

