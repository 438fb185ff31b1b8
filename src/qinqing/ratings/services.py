"""Writes of ratings: `rate`, a scan's rating, and for a bad one its rectification case,
in one transaction.

A bad rating (不满意, 非常不满意) opens a rectification case through
cases.services.create_case on the rating channel (kind complaint), dispatched at once to
the unit answering for the rated object; the case is written first and the rating then
points at it, and the database refuses a bad rating without a case
(models.Rating's constraints): a failure anywhere leaves neither.

Where a bad rating goes (`answering_unit`): a window → its hall (the window is a desk of
the hall, no staff account belongs to it); another unit (a hall, a department) → itself;
a staff member → their unit; an enterprise → its region's unit (the county or zone
government that answers for the business environment there: an enterprise's code rates
the government's service to it, not the enterprise).

Abuse limits: ratings per client address per hour and per phone per day
(qinqing.security.FailureWindow, as the portal counts its submissions); a refusal raises
portal.services.Refused, the one refusal type of the public side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing import limits
from qinqing.cases import confidential
from qinqing.cases import services as case_services
from qinqing.cases.models import Case, Channel as CaseChannel, Kind
from qinqing.codes.models import SupervisionCode
from qinqing.notifications.services import queue_sms
from qinqing.org.models import Role, Unit, UnitKind, User
from qinqing.org.queries import region_of
from qinqing.org.services import ensure_system_account
from qinqing.portal.services import Refused
from qinqing.ratings.levels import Channel, Level, Reason, Round, is_bad
from qinqing.ratings.models import Rating
from qinqing.security import FailureWindow

# The account bad ratings are dispatched under: a dispatcher at the top unit that cannot
# sign in. The timeline names it, so staff see the case was routed by the rating itself.
DISPATCHER = ("rating-dispatch", "好差评自动派单")


@dataclass(frozen=True)
class Rated:
    rating: Rating
    created: bool
    case_number: str = ""
    query_code: str = ""  # the rectification case's, for the rater to follow it at /track/


class AlreadyRated(Refused):
    """This phone rated this object today (not a limit: the answer is 409, not 429)."""


class _Taken(Exception):
    """The rating insert hit a unique constraint: roll the whole transaction back."""


def address_window() -> FailureWindow:
    return FailureWindow("rating-address", settings.QINQING_RATINGS_PER_ADDRESS, 3600)


def phone_window() -> FailureWindow:
    return FailureWindow("rating-phone", settings.QINQING_RATINGS_PER_PHONE, 86400)


def dispatcher_account() -> User:
    return ensure_system_account(DISPATCHER[0], DISPATCHER[1], Role.DISPATCHER)


def answering_unit(code: SupervisionCode) -> Unit:
    """The unit that answers for the code's object (see the module's docstring)."""
    if code.unit_id:
        unit = code.unit
        return unit.parent if unit.kind == UnitKind.WINDOW and unit.parent_id else unit
    if code.staff_id:
        return code.staff.unit
    return code.enterprise.region


def _object_key(code: SupervisionCode) -> str:
    if code.unit_id:
        return f"unit:{code.unit_id}"
    return f"staff:{code.staff_id}" if code.staff_id else f"enterprise:{code.enterprise_id}"


def validate(data: dict) -> dict:
    """The rating's fields, checked and cleaned; Refused (with its field) when wrong. The
    form checks the same, this is for every other caller."""
    try:
        level = Level(int(data.get("level")))
    except (TypeError, ValueError):
        raise Refused(_("Choose how satisfied you are."), "level") from None
    reason = data.get("reason") or ""
    text = (data.get("text") or "").strip()
    name = (data.get("name") or "").strip()
    phone = confidential.normalise_phone(data.get("phone") or "")
    if reason and reason not in Reason.values:
        raise Refused(_("Choose a reason from the list."), "reason")
    if is_bad(level) and not reason:
        raise Refused(_("Say what you were dissatisfied with: choose a reason."), "reason")
    if is_bad(level) and not text:
        raise Refused(_("Describe what went wrong, so that it can be put right."), "text")
    if len(text) > limits.NOTE:
        raise Refused(limits.too_long(limits.NOTE), "text")
    if len(name) > limits.PERSON_NAME:
        raise Refused(limits.too_long(limits.PERSON_NAME), "name")
    if data.get("phone") and not (7 <= len(phone) <= 15):
        raise Refused(_("Enter a phone number of 7 to 15 digits."), "phone")
    return {"level": level, "reason": reason if is_bad(level) else "", "text": text,
            "name": name, "phone": phone}


def existing(token: str) -> Rated | None:
    """The rating already made with this form (a second send of it), with its case."""
    rating = Rating.objects.select_related("case").filter(form_token=token).first()
    if rating is None:
        return None
    code = confidential.decrypt(rating.case.query_code_enc) if rating.case_id else ""
    return Rated(rating, False, rating.case.number if rating.case_id else "", code)


def rate(code: SupervisionCode, data: dict, *, token: str, address: str,
         phone_verified: bool = False, now: datetime | None = None) -> Rated:
    """Record a scan's rating of `code`'s object; a bad one with its rectification case.

    `token` is the form's key from the page load: the same form sent again (a double
    click, 20 at once) makes one rating, and every answer is that rating. `phone` in
    `data` must have been verified by the caller (an SMS code) when `phone_verified`.
    """
    now = now or timezone.now()
    fields = validate(data)
    if fields["phone"] and not phone_verified:
        raise Refused(_("Confirm your phone with the SMS code, or leave it out."), "sms_code")
    if code.revoked_at is not None or not code.object_active:
        raise Refused(_("This code has been withdrawn."))
    again = existing(token)
    if again is not None:
        return again
    index = confidential.phone_index(fields["phone"]) if fields["phone"] else ""
    per_address, per_phone = address_window(), phone_window()
    _limit(per_address, address, _("Too many ratings from your address. Try again in "
                                   "%(minutes)s minutes."))
    if index:
        _limit(per_phone, index, _("Too many ratings from this phone today. Try again "
                                   "tomorrow."))
    answering = answering_unit(code)
    region = (code.enterprise.region if code.enterprise_id
              else region_of(answering) or answering)
    rating = Rating(
        code=code, unit=code.unit, staff=code.staff, enterprise=code.enterprise,
        answerable_unit=answering, region=region, object_key=_object_key(code),
        level=fields["level"], channel=Channel.SCAN, round=Round.FIRST,
        reason=fields["reason"], text=fields["text"],
        rater_name_enc=confidential.encrypt(fields["name"]),
        rater_phone_enc=confidential.encrypt(fields["phone"]), phone_index=index,
        phone_verified=bool(index), rated_at=now,
        visit_day=timezone.localdate(now), form_token=token)
    try:
        with transaction.atomic():
            intake = _rectification(code, rating, fields, answering, region, token, now) \
                if is_bad(rating.level) else None
            rating.case = intake.case if intake else None
            try:
                with transaction.atomic():
                    rating.save(force_insert=True)
            except IntegrityError:
                raise _Taken from None
            if intake and intake.created and fields["phone"]:
                queue_sms(fields["phone"], _(
                    "Your rating is registered; the rectification case is %(number)s, query "
                    "code %(code)s. Follow it at /track/ or by calling 12345.")
                    % {"number": intake.case.number, "code": intake.query_code},
                    event_key=f"rating-case:{intake.case.number}", now=now)
    except _Taken:
        again = existing(token)
        if again is not None:
            return again
        raise AlreadyRated(_("You have already rated %(name)s today. Thank you.")
                      % {"name": code.object_name}) from None
    per_address.fail(address)
    if index:
        per_phone.fail(index)
    return Rated(rating, True, intake.case.number if intake else "",
                 intake.query_code if intake else "")


def _limit(window: FailureWindow, key: str, message: str) -> None:
    wait = window.retry_after(key)
    if wait is not None:
        raise Refused(message % {"minutes": max(1, round(wait / 60))})


def _rectification(code, rating, fields, answering: Unit, region: Unit, token: str,
                   now: datetime) -> case_services.Intake:
    """The bad rating's case: registered, then dispatched to `answering` (one
    transaction with the rating: the caller's)."""
    level = Level(rating.level).label
    reason = Reason(rating.reason).label
    intake = case_services.create_case(None, {
        "kind": Kind.COMPLAINT, "channel": CaseChannel.RATING,
        "category": settings.QINQING_RATING_CATEGORY,
        "title": _("Bad rating: %(object)s") % {"object": code.object_name},
        "content": _("%(level)s. About: %(reason)s.\n%(text)s")
                   % {"level": level, "reason": reason, "text": fields["text"]},
        "subject_unit": code.unit.code if code.unit_id else answering.code,
        "enterprise_name": code.enterprise.name if code.enterprise_id else "",
        "region": region.code,
        # The rater is never on the case: the unit rated reads it (GB/T 39735 and 51号:
        # the rater's identity is not shown to the object rated). Name and phone stay,
        # encrypted, on the rating, for the hotline's callback.
        "anonymous": True,
    }, idempotency_key=f"rating:{token}", now=now)
    if intake.created:
        case_services.perform(intake.case.number, "dispatch", dispatcher_account(), {
            "lead_unit": answering.code,
            "reason": _("A bad rating goes to the unit answering for what was rated.")},
            now=now)
        intake = case_services.Intake(Case.objects.get(pk=intake.case.pk), intake.query_code,
                                      True)
    return intake
