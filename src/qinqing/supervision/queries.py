"""Reads of supervision: the board of late stages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


def supervision_board(user: User, *, region: str = "", kind: str = "",
                      now: datetime | None = None) -> list[BoardRow]:
    """Every open stage in warning or overdue, grouped by the unit that must act."""
    now = now or timezone.now()
    cases = visible_cases(user)
    if region:
        cases = cases.filter(region__code=region)
    if kind:
        cases = cases.filter(kind=kind)
    clocks = (open_clocks().filter(paused_at__isnull=True, warn_at__lte=now,
                                   case__in=cases.values("pk"))
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
