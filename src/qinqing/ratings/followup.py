"""The follow-up rating (评价次数 2): the rater rates the fix of a bad rating's
rectification case.

When. The fix is reported when the unit's reply leaves the unit: the `review` move (the
unit head approves the reply; the case is then "reviewed", waiting for its callback, and
the tracking page shows the answer). Before that the reply may still be sent back, so
it is not yet the unit's word. From then, for QINQING_ONLINE_RATING_DAYS working days
(the window the tracking page gives any answer to be judged online), the rater may rate
again on /track/ with the case's number and query code (the thank-you page gave both);
a rater who confirmed a phone is also invited by SMS (`invite`, a receiver of the
timeline's `case_changed`, in the review's transaction). The hotline's callback agent
may record the follow-up given on the phone (channel `phone`) while the case waits for
its callback, whatever the window.

What it does, in one transaction: the follow-up rating (round 2, `follow_up_of` the
first rating, the same object; the database keeps one per first rating), a
`rated_again` event, and the case's callback move (qinqing.cases: the follow-up IS the
callback of the rectification, so the case's own flow records it): 非常满意 and 满意 →
satisfied, 基本满意 → basically satisfied, both close the case; 不满意 and 非常不满意
(a reason is then required) → dissatisfied, which is the `reopen` row: the same case goes
back to the same unit with a fresh resolve limit, counted as a reopening.

Why a bad follow-up does not open another case: the fix of one rating is one case; a
second case would let one rating breed cases without end. It reopens the same case
once — once, because the follow-up is unique per first rating: when the unit replies
again, the rater is not invited again, the tracking page offers no second follow-up
(nor the general online judgement: portal.queries.rating_closes_at), and the hotline's
callback stage decides (a callback agent calls a real-name rater; an anonymous one's
case is closed unrated). The bad follow-up stays on the first rating, where supervisors
read it ("after the fix: very dissatisfied").

A rating marked invalid by an upheld appeal (ratings/appeals.py) is not rated again.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qinqing import limits
from qinqing.cases import confidential, timeline
from qinqing.cases import services as case_services
from qinqing.cases.models import Case, State
from qinqing.cases.models.case import Channel as CaseChannel, Satisfaction
from qinqing.cases.models.clocks import Stage, StageClock
from qinqing.notifications.services import queue_sms
from qinqing.org.models import Role, User
from qinqing.portal.services import Refused, rater_account
from qinqing.ratings.levels import Channel, Level, Round, Status, is_bad
from qinqing.ratings.models import Rating
from qinqing.worktime.calendar import compute_deadline
from qinqing.worktime.limits import Limit, LimitUnit
from qinqing.worktime.queries import current_calendar

# The five levels as the case's callback records them.
SATISFACTION = {Level.VERY_SATISFIED: Satisfaction.SATISFIED,
                Level.SATISFIED: Satisfaction.SATISFIED,
                Level.BASICALLY_SATISFIED: Satisfaction.BASICALLY_SATISFIED,
                Level.DISSATISFIED: Satisfaction.DISSATISFIED,
                Level.VERY_DISSATISFIED: Satisfaction.DISSATISFIED}

# Who records a follow-up given on the phone: the hotline's callback agents.
PHONE_ROLES = frozenset({Role.CALLBACK_AGENT})


def first_rating(case: Case) -> Rating | None:
    return Rating.objects.filter(case=case, round=Round.FIRST).first()


def callback_clock(case: Case) -> StageClock | None:
    if case.state != State.REVIEWED:
        return None
    return StageClock.objects.filter(case=case, stage=Stage.CALLBACK,
                                     done_at__isnull=True).first()


def open_until(case: Case, clock: StageClock | None) -> datetime | None:
    """Until when the rater may rate the fix online: QINQING_ONLINE_RATING_DAYS working
    days from the moment the reply left the unit (the callback clock's start)."""
    if clock is None:
        return None
    limit = Limit(settings.QINQING_ONLINE_RATING_DAYS, LimitUnit.WORKING_DAYS)
    return compute_deadline(current_calendar(), clock.started_at, limit).due


def validate(data: dict) -> dict:
    """The follow-up's level and text, checked; Refused (with its field) when wrong."""
    try:
        level = Level(int(data.get("level")))
    except (TypeError, ValueError):
        raise Refused(_("Choose how satisfied you are with the fix."), "level") from None
    text = (data.get("text") or "").strip()
    if is_bad(level) and not text:
        raise Refused(_("Say what is still wrong: the case goes back to the unit."), "text")
    if len(text) > limits.NOTE:
        raise Refused(limits.too_long(limits.NOTE), "text")
    return {"level": level, "text": text}


def rate_again(number: str, data: dict, *, actor: User | None = None,
               now: datetime | None = None) -> Rating:
    """Record the follow-up rating of the rectification case `number` and the case's
    callback (see the module's docstring). `actor` None: the rater online, on /track/
    (within the window); a callback agent: the rater's words on the phone."""
    now = now or timezone.now()
    fields = validate(data)
    by_phone = actor is not None
    if by_phone and not (actor.is_active and actor.role in PHONE_ROLES):
        raise Refused(_("Only a callback agent records a follow-up rating given on the "
                        "phone."))
    with transaction.atomic():
        case = (Case.objects.select_for_update(of=("self",)).filter(
            number=number, channel=CaseChannel.RATING).first())
        first = (Rating.objects.select_for_update(of=("self",))
                 .filter(case=case, round=Round.FIRST).first() if case else None)
        if first is None:
            raise Refused(_("This matter has no rating to rate again."))
        if Rating.objects.filter(follow_up_of=first).exists():
            raise Refused(_("The fix has already been rated. Thank you."))
        if first.status == Status.INVALID:
            raise Refused(_("This rating was found mistaken on appeal; it is not rated "
                            "again."))
        clock = callback_clock(case)
        if clock is None:
            raise Refused(_("The unit has not reported its fix yet: you may rate it once "
                            "it has."))
        if not by_phone and now > open_until(case, clock):
            raise Refused(_("The time to rate the fix online has passed; the hotline will "
                            "call you back if you left a phone."))
        follow = Rating(
            code_id=first.code_id, unit_id=first.unit_id, staff_id=first.staff_id,
            enterprise_id=first.enterprise_id, rated_case_id=first.rated_case_id,
            answerable_unit_id=first.answerable_unit_id,
            region_id=first.region_id, object_key=first.object_key, level=fields["level"],
            channel=Channel.PHONE if by_phone else Channel.WEB, round=Round.FOLLOW_UP,
            text=fields["text"], rated_at=now, visit_day=timezone.localdate(now),
            form_token=uuid.uuid4().hex, follow_up_of=first)
        try:
            with transaction.atomic():
                follow.save(force_insert=True)
        except IntegrityError:
            raise Refused(_("The fix has already been rated. Thank you.")) from None
        who = actor or rater_account()
        timeline.append_event(case, "rated_again", who, reason=fields["text"], now=now, data={
            "level": int(fields["level"]), "channel": follow.channel, "rating": follow.pk})
        satisfaction = SATISFACTION[fields["level"]]
        note = (_("Rated again on the phone with the callback agent.") if by_phone
                else _("Rated again online by the rater."))
        case_services.perform(number, "callback", who, {
            "satisfaction": satisfaction, "resolved": None, "note": note,
            "reason": fields["text"] if satisfaction == Satisfaction.DISSATISFIED else ""},
            now=now)
    return follow


# ---------------------------------------------------------------------- the invitation

def invite(sender, case, events, created: bool = False, **kwargs) -> None:
    """Receiver of the timeline's `case_changed` (connected in RatingsConfig.ready()): a
    rectification case whose reply left the unit (`review`) invites its rater, when a
    phone was confirmed, to rate the fix (one SMS per case: the event key). Nothing for
    other cases (no query: the channel is on the case)."""
    if created or case.channel != CaseChannel.RATING:
        return
    if not any(event.action == "review" for event in events):
        return
    rating = (Rating.objects.filter(case=case, round=Round.FIRST, phone_verified=True)
              .exclude(status=Status.INVALID).first())
    if rating is None or Rating.objects.filter(follow_up_of=rating).exists():
        return
    phone = confidential.decrypt(rating.rater_phone_enc)
    if not phone:
        return
    review = next(event for event in events if event.action == "review")
    with translation.override(settings.LANGUAGE_CODE):
        text = _("The unit has reported the fix of your rating (case %(number)s). Rate it "
                 "again at %(url)s with query code %(code)s, within %(days)s working days.") % {
            "number": case.number, "url": f"{settings.QINQING_PUBLIC_URL}/track/",
            "code": confidential.decrypt(case.query_code_enc),
            "days": settings.QINQING_ONLINE_RATING_DAYS}
    queue_sms(phone, text, event_key=f"rating-follow-up:{case.number}", now=review.at)
