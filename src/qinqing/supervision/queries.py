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
