"""Appeals of ratings (申诉复核, 国办发〔2019〕51号: "remove mistaken and malicious bad
ratings"): the answering unit appeals, a reviewer decides with reasons.

Who. The staff of the unit answering for the rating — the unit that holds its
rectification case (handlers and unit leaders of the case's lead unit or a unit above
it) — appeal, from the case page, with a reason. A supervisor of the hotline office
whose charge includes the case (its owner unit) reviews: the office that supervises the
units is not one of them. The roles are APPELLANTS and REVIEWERS below; the tests walk
roles × actions.

What. An appeal puts the rating "under appeal" (it still counts, and the case goes on:
an appeal does not stop the rectification's clock, or every late unit would appeal).
The reviewer upholds it — the rating is marked invalid, never deleted — or rejects it
— the rating is valid again —, always with reasons. Each step is an event on the
rectification case's timeline (registered kinds, ratings/events.py), in the same
transaction. One open appeal per rating (a database constraint); after a rejection the
unit may appeal again with new reasons, and every decision stays on the record.

The rectification case after an upheld appeal stays as it is and runs to its end
through the case's own moves (reply, review, callback): a case changes state only
through the transition table, and no row of it lets a reviewer close a case in
handling. What changes is the rating: invalid, it is not rated again
(ratings/followup.py) and the outcome on it says so. (A row to close a rectification
case on an upheld appeal would be one more move for qinqing.cases; not built.)

Only first ratings are appealed: a follow-up rating opens no case of its own, and a
bad one reopens the case the unit already holds.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing import limits
from qinqing.cases import timeline
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState, NotFound
from qinqing.cases.models import Case
from qinqing.cases.models.case import Channel as CaseChannel
from qinqing.org.models import Role, User
from qinqing.ratings.appeal_models import Appeal, Decision
from qinqing.ratings.levels import Round, Status
from qinqing.ratings.models import Rating

APPELLANTS = frozenset({Role.HANDLER, Role.UNIT_LEADER})
REVIEWERS = frozenset({Role.SUPERVISOR})


def may_appeal(user: User, case: Case) -> bool:
    return (user.is_active and user.role in APPELLANTS and user.unit_id is not None
            and case.lead_unit_id is not None and case.lead_unit.is_within(user.unit))


def may_review(user: User, case: Case) -> bool:
    return (user.is_active and user.role in REVIEWERS and user.unit_id is not None
            and case.owner_unit_id is not None and case.owner_unit.is_within(user.unit))


def _reason(text: str, field: str, missing: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("Some fields need correcting."), fields={field: missing})
    if len(text) > limits.NOTE:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={field: limits.too_long(limits.NOTE)})
    return text


def _locked_case(number: str) -> Case:
    case = (Case.objects.select_for_update(of=("self",))
            .select_related("lead_unit", "owner_unit")
            .filter(number=number, channel=CaseChannel.RATING).first())
    if case is None:
        raise NotFound(_("No rectification case %(number)s.") % {"number": number})
    return case


def appeal(number: str, actor: User, reason: str, *, now: datetime | None = None) -> Appeal:
    """The answering unit appeals the rating of rectification case `number`."""
    now = now or timezone.now()
    reason = _reason(reason, "reason", _("Say why the rating is mistaken or malicious."))
    with transaction.atomic():
        case = _locked_case(number)
        if not may_appeal(actor, case):
            raise Forbidden(_("Only the unit answering for this rating may appeal it."))
        rating = (Rating.objects.select_for_update(of=("self",))
                  .filter(case=case, round=Round.FIRST).first())
        if rating is None:
            raise NotFound(_("No rectification case %(number)s.") % {"number": number})
        if rating.status == Status.INVALID:
            raise NotAllowedInState(_("This rating is already marked invalid."))
        if rating.status == Status.UNDER_APPEAL:
            raise NotAllowedInState(_("An appeal of this rating is already waiting for "
                                      "review."))
        try:
            with transaction.atomic():
                made = Appeal.objects.create(rating=rating, case=case, unit=case.lead_unit,
                                             appealed_by=actor, appealed_at=now,
                                             reason=reason)
        except IntegrityError:
            raise NotAllowedInState(_("An appeal of this rating is already waiting for "
                                      "review.")) from None
        rating.status = Status.UNDER_APPEAL
        rating.save(update_fields=["status"])
        timeline.append_event(case, "rating_appealed", actor, reason=reason, now=now,
                              data={"appeal": made.pk})
    return made


def decide(appeal_id: int, actor: User, *, uphold: bool, reason: str,
           now: datetime | None = None) -> Appeal:
    """The reviewer upholds (the rating becomes invalid) or rejects (valid again) an open
    appeal, with reasons."""
    now = now or timezone.now()
    reason = _reason(reason, "decision_reason", _("Give the reasons of the decision."))
    with transaction.atomic():
        number = (Appeal.objects.filter(pk=appeal_id).values_list("case__number", flat=True)
                  .first())
        if number is None:
            raise NotFound(_("No such appeal."))
        case = _locked_case(number)  # the case first, as every writer of it locks
        made = Appeal.objects.select_for_update().select_related("rating").get(pk=appeal_id)
        if not may_review(actor, case):
            raise Forbidden(_("Only a supervisor in charge of this case reviews its "
                              "appeals."))
        if made.decision != Decision.OPEN:
            raise NotAllowedInState(_("This appeal has already been decided."))
        made.decision = Decision.UPHELD if uphold else Decision.REJECTED
        made.decided_by, made.decided_at, made.decision_reason = actor, now, reason
        made.save()
        made.rating.status = Status.INVALID if uphold else Status.VALID
        made.rating.save(update_fields=["status"])
        timeline.append_event(
            case, "rating_appeal_upheld" if uphold else "rating_appeal_rejected", actor,
            reason=reason, now=now, data={"appeal": made.pk})
    return made
