"""Reads of supervision: the board of late stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from qinqing.cases.models import Stage, StageClock
from qinqing.cases.queries import visible_cases
from qinqing.cases.queues import open_clocks
from qinqing.org.models import Unit, User
from qinqing.supervision.models import Listing, ReminderLetter

BOARD_LIMIT = 1000


@dataclass
class BoardRow:
    unit: Unit | None
    warning: list[StageClock]
    overdue: list[StageClock]


def _late_clocks(user: User, region: str, kind: str, now: datetime):
    cases = visible_cases(user)
    if region:
        cases = cases.filter(region__code=region)
    if kind:
        cases = cases.filter(kind=kind)
    return open_clocks().filter(paused_at__isnull=True, warn_at__lte=now,
                                case__in=cases.values("pk"))


def late_stage_totals(user: User, *, region: str = "", kind: str = "",
                      now: datetime | None = None) -> dict[str, int]:
    """How many stages are overdue and in warning, counted in the database: the board
    lists at most BOARD_LIMIT of them, and its totals must not stop there."""
    now = now or timezone.now()
    return _late_clocks(user, region, kind, now).aggregate(
        overdue=Count("pk", filter=Q(due_at__lt=now)),
        warning=Count("pk", filter=Q(due_at__gte=now)))


def supervision_board(user: User, *, region: str = "", kind: str = "",
                      now: datetime | None = None) -> list[BoardRow]:
    """Open stages in warning or overdue (the BOARD_LIMIT soonest due), grouped by the unit
    that must act."""
    now = now or timezone.now()
    clocks = (_late_clocks(user, region, kind, now)
              .select_related("case", "case__lead_unit", "case__owner_unit", "case__region",
                              "case__category")
              .order_by("due_at")[:BOARD_LIMIT])
    groups: dict[int | None, BoardRow] = {}
    for clock in clocks:
        # The hotline owns the dispatch and callback stages; the lead unit the others.
        unit = (clock.case.lead_unit if clock.stage in (Stage.SIGN, Stage.RESOLVE)
                else clock.case.owner_unit)
        row = groups.setdefault(unit.pk if unit else None, BoardRow(unit, [], []))
        (row.overdue if clock.due_at < now else row.warning).append(clock)
    return sorted(groups.values(), key=lambda r: (-len(r.overdue), -len(r.warning),
                                                  r.unit.path if r.unit else ""))


# ------------------------------------------------------------- listed supervision

PUBLIC_PAGE = 50


@dataclass
class PublicListing:
    """What the public list shows of a listed case: nothing about who filed it, the
    enterprise or the matter's text — the number, category, region, unit and dates."""

    number: str
    category: str
    region: str
    unit: str
    listed_at: datetime
    deadline: datetime
    state: str  # "listed", "overdue" (open past its deadline) or "closed"
    closed_at: datetime | None


def public_listings(*, before: int | None = None, now: datetime | None = None,
                    size: int = PUBLIC_PAGE) -> tuple[list[PublicListing], int | None]:
    """Listed cases, newest first, anonymised; keyset pages on id."""
    now = now or timezone.now()
    qs = Listing.objects.select_related("case__category", "case__region", "unit")
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    items = [PublicListing(
        number=r.case.number, category=r.case.category.name,
        region=r.case.region.short_name or r.case.region.name,
        unit=(r.unit.name if r.unit else ""), listed_at=r.listed_at, deadline=r.deadline,
        state="closed" if r.closed_at else ("overdue" if r.deadline < now else "listed"),
        closed_at=r.closed_at) for r in rows]
    return items, (rows[-1].pk if more and rows else None)


def case_supervision(case) -> dict:
    """The case page's supervision panel: its listings and reminder letters."""
    return {
        "listing": Listing.objects.filter(case=case, closed_at__isnull=True).first(),
        "letters": list(ReminderLetter.objects.filter(case=case).select_related("attachment")
                        .order_by("issued_at")),
    }
