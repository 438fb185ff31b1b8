from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "qinqing.notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from qinqing.cases import services as case_services
        from qinqing.cases import timeline
        from qinqing.notifications import services

        # The reporter of a new case, whatever its channel, gets its number and query
        # code by SMS; one who asked, an SMS at each public step (services.py).
        case_services.case_received.connect(services.text_new_case,
                                            dispatch_uid="notifications: new case SMS")
        timeline.case_changed.connect(services.text_public_steps,
                                      dispatch_uid="notifications: public step SMS")
