"""Each channel's received and answered side by side, and one channel's figures month by
month and unit by unit — the mayor's mailbox's monthly figures (letters, answered, answer
rate, answered on time) per unit. Every number is a metrics figure (metrics.figures and
metrics.breakdowns); this module only chooses the figures and the scopes.

Each month is a scope of its own: its figures are those of the letters received in it, as
they stood at the month's end — what that month's figures were when it ended, and stay
(a letter received on the 30th and answered on the 2nd is unanswered in its month).
Statements: a fixed number for the channels, and a few per month (its totals, from the
rollups, and its units, from the facts): tests/insights/test_answers.py counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils.translation import gettext as _

from qinqing.insights.metrics import METRICS, Figure, Scope, breakdowns, figures, snapshot

PER_CHANNEL = ["received", "answered", "answer_rate", "answered_on_time",
               "answered_on_time_rate", "online_ratings", "online_rating_share"]
MONTHLY = ["received", "answered", "answer_rate", "answered_on_time", "answered_on_time_rate"]
MAX_MONTHS = 24  # two statements a month: a longer table is a different question


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    figures: list[Figure]


@dataclass(frozen=True)
class Month:
    key: str  # 2026-01
    label: str
    scope: Scope
    total: list[Figure]
    units: list[Row]


def months(scope: Scope) -> list[Scope]:
    """The calendar months of a scope, each cut to the scope's days."""
    found, first = [], scope.start.replace(day=1)
    while first <= scope.end:
        following = (first + timedelta(days=32)).replace(day=1)
        found.append(replace(scope, start=max(first, scope.start),
                             end=min(following - timedelta(days=1), scope.end)))
        first = following
    return found


def too_many_months(start: date, end: date) -> bool:
    return (end.year - start.year) * 12 + end.month - start.month + 1 > MAX_MONTHS


def channel_tables(scope: Scope, channel: str) -> dict:
    """Every channel over the scope (PER_CHANNEL), and `channel`'s months by unit
    (MONTHLY), read as of one moment."""
    with snapshot():
        by_channel = breakdowns(PER_CHANNEL, scope, "channel")
        channels = [Row(key, label, [by_channel[name][i][2] for name in PER_CHANNEL])
                    for i, (key, label, _f) in enumerate(by_channel["received"])]
        table = []
        for month in months(scope):
            one = replace(month, channel=channel)
            total = figures(one, MONTHLY)
            units = breakdowns(MONTHLY, one, "unit")
            rows = [Row(key, label, [units[name][i][2] for name in MONTHLY])
                    for i, (key, label, f) in enumerate(units["received"]) if f.value]
            rows.sort(key=lambda r: (r.key == "", -r.figures[0].value, r.label))
            key = f"{month.start:%Y-%m}"
            table.append(Month(key, _("%(month)s/%(year)s") % {
                "year": month.start.year, "month": month.start.month},
                month, [total[name] for name in MONTHLY], rows))
    return {"channels": [r for r in channels if r.figures[0].value or r.key == channel],
            "channel_columns": [str(METRICS[name].label) for name in PER_CHANNEL],
            "months": table, "month_columns": [str(METRICS[name].label) for name in MONTHLY],
            "formulas": [(str(METRICS[name].label), METRICS[name].formula_text())
                         for name in PER_CHANNEL]}
