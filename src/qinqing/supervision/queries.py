"""Reads of supervision: the board of late stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q
from django.utils import timezone

from qinqing.cases.models import UNIT_STAGES, Case, StageClock
from qinqing.cases.queries import visible_cases
from qinqing.cases.queues import open_clocks
from qinqing.org.models import Unit, User
from qinqing.supervision.models import Listing, ReminderLetter

BOARD_LIMIT = 1000


@dataclass
class LateCase:
    """One case on the board: its late stages (overdue or in warning), soonest due first.
    A case late at two stages (sign and resolve run together) is one row, not two."""

    case: Case
    clocks: list[StageClock]
    overdue: bool  # at least one of its stages is past its deadline


@dataclass
class BoardRow:
    unit: Unit | None
    warning: list[LateCase]
    overdue: list[LateCase]

    @property
    def stage_count(self) -> int:
        return sum(len(item.clocks) for item in self.overdue + self.warning)


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
    """How many cases are overdue (at least one stage past its deadline) and how many only
    in warning, counted in the database: the board lists at most BOARD_LIMIT of them, and
    its totals must not stop there. A case is counted once however many stages are late."""
    now = now or timezone.now()
    totals = _late_clocks(user, region, kind, now).aggregate(
        late=Count("case", distinct=True),
        overdue=Count("case", distinct=True, filter=Q(due_at__lt=now)))
    return {"overdue": totals["overdue"], "warning": totals["late"] - totals["overdue"]}


def supervision_board(user: User, *, region: str = "", kind: str = "",
                      now: datetime | None = None) -> list[BoardRow]:
    """Cases with stages in warning or overdue (the BOARD_LIMIT whose first late stage is
    due soonest), grouped by the unit that must act: one row per case and unit, listing
    the case's late stages. (Stages open together, sign and resolve, belong to the same
    unit, so a case is one row.)"""
    now = now or timezone.now()
    late = _late_clocks(user, region, kind, now)
    first = list(late.values("case_id").annotate(first_due=Min("due_at"))
                 .order_by("first_due", "case_id").values_list("case_id", flat=True)
                 [:BOARD_LIMIT])
    clocks = (late.filter(case_id__in=first)
              .select_related("case", "case__lead_unit", "case__owner_unit", "case__region",
                              "case__category")
              .order_by("due_at", "pk"))
    groups: dict[int | None, BoardRow] = {}
    items: dict[tuple, LateCase] = {}
    for clock in clocks:
        # The lead unit signs, resolves and reviews; the hotline dispatches and calls back.
        unit = (clock.case.lead_unit if clock.stage in UNIT_STAGES
                else clock.case.owner_unit)
        key = (unit.pk if unit else None, clock.case_id)
        item = items.get(key)
        if item is None:
            item = items[key] = LateCase(clock.case, [], False)
        item.clocks.append(clock)
        item.overdue = item.overdue or clock.due_at < now
    for (unit_pk, _case), item in items.items():
        unit = (item.case.lead_unit if item.clocks[0].stage in UNIT_STAGES
                else item.case.owner_unit)
        row = groups.setdefault(unit_pk, BoardRow(unit, [], []))
        (row.overdue if item.overdue else row.warning).append(item)
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
        "letters": list(ReminderLetter.objects.filter(case=case)
                        .select_related("attachment", "unit")
                        .order_by("issued_at")),
    }
