"""What the dashboard and the lobby display show: headline figures and panels.

Every number comes from the metrics module (`figures()` and `breakdowns()`); this module
only chooses which figures, puts them in rows and columns, and adds the hot topics. A
panel is what a chart draws AND what its table lists: the page renders the table on the
server, the script draws the chart from the same rows, so the two cannot disagree.

The number of queries does not depend on the period or the number of units: one
`figures()` call and one `breakdowns()` call per panel, each a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from qinqing.insights import hot_topics, metrics
from qinqing.insights.metrics import Figure, Scope

HEADLINE = ("received", "direct_answers", "closed", "in_progress", "closure_rate",
            "on_time_rate_resolve", "satisfaction_rate", "reopen_rate", "overdue_now")
# The lobby shows fewer, larger tiles.
LOBBY_HEADLINE = ("received", "closed", "closure_rate", "on_time_rate_resolve",
                  "satisfaction_rate", "overdue_now")
# Rows a chart of units shows (the table under it lists them all).
CHART_UNITS = 15


@dataclass
class Panel:
    id: str
    title: str
    chart: str  # line, bar or hbar
    columns: list[str]
    rows: list[list]
    plot: list[int] = field(default_factory=list)  # columns the chart draws
    formulas: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    wide: bool = False
    lobby: bool = False  # one of the lobby display's views
    limit: int = 0  # the chart draws only the first `limit` rows (0: all)

    def as_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "chart": self.chart,
                "columns": self.columns, "rows": self.rows, "plot": self.plot,
                "formulas": self.formulas, "note": self.note, "wide": self.wide,
                "lobby": self.lobby, "limit": self.limit}


def headline(figure: Figure) -> dict:
    return {**figure.as_dict(), "display": figure.text}


def _cell(figure: Figure):
    """A table cell: counts as numbers, rates as per cent text (exact value in `value`)."""
    if figure.unit == metrics.UNIT_COUNT:
        return figure.value
    return None if figure.value is None else figure.text


def _formulas(*figures_: Figure) -> list[tuple[str, str]]:
    return [(f.label, f.formula) for f in figures_]


def _trend(scope: Scope, by: str, title: str, chart: str, now) -> Panel:
    rows = metrics.breakdowns(["received", "closures"], scope, by, now=now)
    closures = {key: f for key, _label, f in rows["closures"]}
    table = [[label, f.value, closures[key].value if key in closures else 0]
             for key, label, f in rows["received"]]
    first = rows["received"][0][2] if rows["received"] else None
    close = rows["closures"][0][2] if rows["closures"] else None
    return Panel(f"trend_{by}", title, chart,
                 [_("Day") if by == "day" else _("Week"), pgettext("figure", "Received"),
                  _("Closed")],
                 table, [1, 2], _formulas(*(f for f in (first, close) if f)),
                 note=_("Received: counted on the day of receipt. Closed: counted on the day "
                        "of closing, whenever the case was received."), wide=by == "day",
                 lobby=by == "day")


def _by(scope: Scope, by: str, title: str, column: str, now) -> Panel:
    rows = metrics.breakdown("received", scope, by, now=now)
    table = [[label, f.value] for key, label, f in rows if f.value]
    table.sort(key=lambda r: -r[1])
    return Panel(f"by_{by}", title, "hbar", [column, pgettext("figure", "Received")], table, [1],
                 _formulas(rows[0][2]) if rows else [], lobby=by == "kind")


def _regions(scope: Scope, now) -> Panel:
    rows = metrics.breakdowns(["received", "closed", "closure_rate", "overdue_now"], scope,
                              "region", now=now)
    closed = {k: f for k, _l, f in rows["closed"]}
    rate = {k: f for k, _l, f in rows["closure_rate"]}
    overdue = {k: f for k, _l, f in rows["overdue_now"]}
    table = [[label, f.value, closed[key].value, _cell(rate[key]), overdue[key].value]
             for key, label, f in rows["received"]]
    sample = [rows[n][0][2] for n in ("received", "closed", "closure_rate", "overdue_now")
              if rows[n]]
    return Panel("by_region", _("By region"), "bar",
                 [_("Region"), pgettext("figure", "Received"), _("Closed"), _("Closure rate"),
                  _("Overdue now")],
                 table, [1, 2], _formulas(*sample),
                 note=_("A map needs boundary data of the regions, which is not available "
                        "offline; the chart and the table show every region instead."),
                 wide=True, lobby=True)


def _overdue_units(scope: Scope, now) -> Panel:
    rows = metrics.breakdown("overdue_now", scope, "unit", now=now)
    table = sorted(([label, f.value] for key, label, f in rows if f.value),
                   key=lambda r: (-r[1], r[0]))
    panel = Panel("overdue_by_unit", _("Overdue now, by lead unit"), "hbar",
                  [_("Unit"), _("Overdue now")], table, [1],
                  _formulas(rows[0][2]) if rows else [], lobby=True)
    if len(table) > CHART_UNITS:
        panel.note = _("The chart shows the %(n)s units with most overdue cases; the table "
                       "lists all %(all)s.") % {"n": CHART_UNITS, "all": len(table)}
    return panel


def _hot_topics(scope: Scope) -> Panel:
    found = hot_topics.hot_topics(until=scope.end, region=scope.region)
    rows = [[t.text, t.cases, t.mentions] for t in found.terms]
    note = _("Words most cases received from %(since)s to %(until)s mention (%(n)s cases "
             "read; common words and place names left out; a word must appear in at least "
             "%(min)s cases).") % {"since": found.since, "until": found.until,
                                   "n": found.analysed, "min": hot_topics.MIN_CASES}
    if found.capped:
        note += " " + _("Only the newest %(n)s cases of the period were read.") % {
            "n": hot_topics.MAX_CASES}
    if found.pending:
        note += " " + _("%(n)s more cases have not been read yet: the background worker "
                        "reads new cases every minute.") % {"n": found.pending}
    return Panel("hot_topics", _("Hot topics"), "hbar",
                 [_("Word"), _("Cases mentioning it"), _("Mentions")], rows, [1], note=note,
                 lobby=True)


def dashboard_data(scope: Scope, *, now: datetime | None = None,
                   names: tuple[str, ...] = HEADLINE, label: str = "") -> dict:
    """Everything the dashboard (or the lobby, with its own `names`) shows for a scope."""
    now = now or timezone.now()
    figures = metrics.figures(scope, list(names), now=now)
    panels = [
        _trend(scope, "day", _("Received and closed per day"), "line", now),
        _trend(scope, "week", _("Received and closed per week"), "bar", now),
        _by(scope, "kind", _("By kind"), _("Kind"), now),
        _by(scope, "channel", _("By channel"), _("Channel"), now),
        _regions(scope, now),
        _overdue_units(scope, now),
        _hot_topics(scope),
    ]
    for panel in panels:
        if panel.chart == "hbar" and len(panel.rows) > CHART_UNITS:
            panel.limit = CHART_UNITS
    return {
        "scope": {"start": scope.start.isoformat(), "end": scope.end.isoformat(),
                  "region": scope.region, "label": label},
        "generated_at": now.isoformat(),
        "headline": [headline(figures[n]) for n in names],
        "panels": [p.as_dict() for p in panels],
    }


def scope_label(start: date, end: date, region_name: str) -> str:
    return _("%(region)s, %(start)s to %(end)s") % {
        "region": region_name or _("whole city"), "start": start, "end": end}
