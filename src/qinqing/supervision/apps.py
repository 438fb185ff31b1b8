from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "qinqing.supervision"
    verbose_name = _("Supervision")

    def ready(self):
        from qinqing.supervision import signals  # noqa: F401  (registers the receiver)
