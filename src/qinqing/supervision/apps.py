from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "qinqing.supervision"
    verbose_name = _("Supervision")

    def ready(self):
        from qinqing.cases import timeline
        from qinqing.supervision import events, services

        timeline.register("supervision", *events.KINDS)
        # A listed case's listing closes when the case closes, in the same transaction.
        timeline.case_changed.connect(services.close_listing_when_case_closes,
                                      dispatch_uid="supervision: close the listing")
