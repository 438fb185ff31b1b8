"""Writes of a case's rating from its SMS link (/r/<token>, issue 17 §3).

The object is the service the person got on the closed case: the rating names the case
(`rated_case`, no code), the unit that handled it at the close (`answerable_unit`) and
the case's region. The rater is the case's reporter, whom the link was texted to: their
encrypted name and phone are copied onto the rating, and the phone counts as confirmed
(the link went to it alone).

A bad rating opens a rectification case exactly as a scan's does (services._rectification:
create_case on the rating channel, dispatched at once to the unit answering), in the
same transaction as the rating; the database refuses a bad rating without its case.

One rating per case and round (Rating's unique constraint): the same form sent again
answers with its rating; any other form after that, or after the default, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import confidential
from qinqing.notifications.services import queue_sms
from qinqing.portal.services import Refused
from qinqing.ratings import services
from qinqing.ratings.invitation_model import Invitation
from qinqing.ratings.levels import Channel, is_bad
from qinqing.ratings.models import Rating


class Closed(Refused):
    """The case was rated already (by this person or by default), or the window passed."""


@dataclass(frozen=True)
class _CaseObject:
    """What services._rectification reads of a code, for a case: its name, and neither
    a unit of its own nor an enterprise (the subject unit is the unit answering)."""

    object_name: str
    unit_id: None = None
    enterprise_id: None = None


def object_name(invitation: Invitation) -> str:
    return _("Case %(number)s (%(unit)s)") % {"number": invitation.case.number,
                                              "unit": invitation.unit.name}


def refusal(invitation: Invitation, now: datetime) -> str | None:
    """Why this link can no longer rate, or None while it can."""
    if invitation.rating_id:
        if invitation.rating.is_default:
            return _("The time to rate this matter has passed; it was given the default "
                     "rating.")
        return _("This matter has been rated already. Thank you.")
    if now > invitation.due_at:
        return _("The time to rate this matter has passed.")
    return None


def rate_case(invitation: Invitation, data: dict, *, token: str,
              now: datetime | None = None, service_item: str = "") -> services.Rated:
    """Record the rating of `invitation`'s case; a bad one with its rectification case."""
    now = now or timezone.now()
    fields = services.validate({**data, "name": "", "phone": ""})
    again = services.existing(token)
    if again is not None:
        return again
    why = refusal(invitation, now)
    if why:
        raise Closed(why)
    case, reporter = invitation.case, invitation.reporter
    rating = Rating(
        code=None, rated_case=case, answerable_unit=invitation.unit, region_id=case.region_id,
        object_key=f"case:{case.pk}", level=fields["level"], channel=Channel.SMS_LINK,
        round=invitation.round, reason=fields["reason"], text=fields["text"],
        service_item=service_item.strip()[:200],
        rater_name_enc=reporter.name_enc, rater_phone_enc=reporter.phone_enc,
        phone_index=reporter.phone_index, phone_verified=True, rated_at=now,
        visit_day=timezone.localdate(now), form_token=token)
    try:
        with transaction.atomic():
            intake = None
            if is_bad(rating.level):
                intake = services._rectification(
                    _CaseObject(object_name(invitation)), rating, fields, invitation.unit,
                    case.region, token, now)
            rating.case = intake.case if intake else None
            try:
                with transaction.atomic():
                    rating.save(force_insert=True)
            except IntegrityError:
                raise services._Taken from None
            Invitation.objects.filter(pk=invitation.pk).update(rating=rating,
                                                               next_send_at=None)
            phone = confidential.decrypt(reporter.phone_enc)
            if intake and intake.created and confidential.normalise_phone(phone):
                queue_sms(phone, _(
                    "Your rating is registered; the rectification case is %(number)s, query "
                    "code %(code)s. Follow it at /track/ or by calling 12345.")
                    % {"number": intake.case.number, "code": intake.query_code},
                    event_key=f"rating-case:{intake.case.number}", now=now)
    except services._Taken:
        again = services.existing(token)
        if again is not None:
            return again
        invitation.refresh_from_db()
        raise Closed(refusal(invitation, now)
                     or _("This matter has been rated already. Thank you.")) from None
    return services.Rated(rating, True, intake.case.number if intake else "",
                          intake.query_code if intake else "")
