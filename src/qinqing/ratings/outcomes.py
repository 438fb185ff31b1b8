"""Reads of a rating's outcome (the follow-up, the appeals) for every place a rating is
shown: the thank-you page, /track/, the case page, the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from qinqing.cases.models import Case, State
from qinqing.ratings import followup
from qinqing.ratings.appeal_models import Appeal
from qinqing.ratings.levels import Level, Round, Status
from qinqing.ratings.models import Rating


def outcome(rating: Rating, case: Case | None = None) -> str:
    """What became of a first rating, in words: "整改后复评：满意", or the callback's
    judgement when the case was closed without a follow-up, or that it is invalid."""
    if rating.status == Status.INVALID:
        return _("Found mistaken on appeal: invalid")
    follow = Rating.objects.filter(follow_up_of=rating).only("level").first()
    if follow is not None:
        return _("Rated again after the fix: %(level)s") % {"level": Level(follow.level).label}
    case = case or rating.case
    if case is None:
        return ""
    if case.state == State.CLOSED and case.satisfaction:
        return _("Called back after the fix: %(level)s") % {
            "level": case.get_satisfaction_display()}
    if case.state == State.CLOSED:
        return _("Fixed; not rated again")
    if case.state == State.REVIEWED:
        return _("Fix reported; waiting for the follow-up rating")
    return _("Being put right")


@dataclass(frozen=True)
class OnTrack:
    """The rating as /track/ shows it to whoever holds the case's query code."""

    level: str
    outcome: str
    open_until: datetime | None  # the follow-up form is offered until then


def on_track(number: str, now: datetime) -> OnTrack | None:
    case = Case.objects.filter(number=number).first()
    rating = followup.first_rating(case) if case else None
    if rating is None:
        return None
    until = None
    if rating.status != Status.INVALID and not Rating.objects.filter(
            follow_up_of=rating).exists():
        until = followup.open_until(case, followup.callback_clock(case))
        until = until if until is not None and now <= until else None
    return OnTrack(Level(rating.level).label, outcome(rating, case), until)


def appeals_of(rating: Rating) -> list[Appeal]:
    return list(Appeal.objects.filter(rating=rating).select_related("unit")
                .order_by("appealed_at", "pk"))


def first_rating_for(case: Case) -> Rating | None:
    return (Rating.objects.filter(case=case, round=Round.FIRST)
            .select_related("unit", "staff", "enterprise", "code").first())
