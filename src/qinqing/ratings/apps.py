from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "qinqing.ratings"
    label = "ratings"
    verbose_name = _("Ratings")

    def ready(self) -> None:
        from qinqing.cases import timeline
        from qinqing.ratings import events, followup, invitations

        checks.register(check_rectification_limit)
        timeline.register("ratings", *events.KINDS)
        # A rectification whose reply left the unit invites its rater to rate the fix.
        timeline.case_changed.connect(followup.invite,
                                      dispatch_uid="ratings: invite the follow-up rating")
        # A closed case's reporter is invited to rate it by SMS (invitations.py).
        timeline.case_changed.connect(invitations.on_case_changed,
                                      dispatch_uid="ratings: invite at close")


def check_rectification_limit(app_configs=None, **kwargs):
    """A malformed QINQING_RECTIFICATION_LIMIT would fail every bad rating: say so at
    start-up instead."""
    from django.conf import settings

    from qinqing.worktime.limits import LimitFormatError, parse_limit

    try:
        parse_limit(settings.QINQING_RECTIFICATION_LIMIT)
    except LimitFormatError as exc:
        return [checks.Error(f"QINQING_RECTIFICATION_LIMIT: {exc}", id="ratings.E001")]
    return []
