"""Every figure Qinqing shows, by name, with its formula, numerator and denominator.

Nothing outside this package computes a figure: pages, the API, the Excel and PDF
bulletins, the dashboard and the public open data all call `figures()` or `breakdown()`.

Where to read what:

- registry.py: **the formulas** — every figure (`METRICS`) with its label, formula text,
  numerator, denominator and statistic, and how a value is rounded for people
  (`Figure.text`). No query code: a domain reviewer reads this module alone.
- scope.py: what a figure is about (`Scope`) and its validation.
- groupings.py: the breakdowns (by day, week, month, kind, channel, region, unit,
  category, destination) and their keys and labels.
- from_facts.py, from_rollup.py: where the aggregates are counted — the fact table, or
  the daily rollups corrected by the facts not rolled up yet (the same numbers).
- from_ratings.py: the rating figures (好差评), counted from the ratings and their SMS
  directly (families "ratings" and "sms"; their formulas say what a scope means for them:
  the local day of rating, the answering unit and region recorded on the rating).
- compute.py: the entry points below, which put the two together.
- masters.py: the units and categories as the figures see them, and destinations.

What a scope means (the same for every figure unless its formula says otherwise):

- The **cases of a scope** are those *received* (``received_at``) on a local
  (Asia/Shanghai) calendar day from ``start`` to ``end`` inclusive, whose region is the
  scope's region or below it, whose lead unit is the scope's unit or below it, and whose
  kind, channel and category (or a category below it) match. Filters left empty match all.
  Each event is judged by the case's dimensions **when it happened** (facts.py): a case's
  receipt, routing and closing by its kind, category and region at the end of its day of
  receipt and the unit it was first routed to; a stage clock by those at its start and
  the unit that held it; a callback by those at the callback and the unit that replied.
- Each figure describes those cases **as they stood at the end of the period** (local
  midnight after ``end``): a case closed the day after is *in progress* in that period's
  figures. A finished period's figures are a function of what happened in it, so they
  do not change when cases are re-routed, reclassified, edited or handled later.
- Exceptions, named in their formulas: ``overdue_now`` is measured *now* (on the cases of
  the scope), and ``closures`` counts by the day of closing instead of receipt.
- A **breakdown** splits the scope's cases into groups (by the day, week or month they
  were received, or by kind, channel, region, lead unit, category or destination); each
  group is measured at the end of the whole scope, so counts add up to the scope's total.
- A rate is ``None`` when its denominator is 0, never a made-up 0 %. Values are not
  rounded: a rate is the exact quotient (a Decimal), shown rounded only by `Figure.text`.

Figures are counted from the fact table (models.Fact, kept right in the same transaction
as every case change by facts.py) with one SQL query per family of figures.

The modules are layered (pyproject.toml, [tool.importlinter]): compute → from_rollup →
from_facts → groupings → scope → masters, and registry at the bottom beside masters,
importing none of them. Below the package, the fact and rollup tables (models.py,
rollup.py) know nothing of the figures; above it, the ranking, the dashboard and the
bulletins use them. The names below are the package's interface; the modules' other
names are its own.
"""

from qinqing.insights.metrics.compute import (
    SOURCES, breakable, breakdown, breakdowns, figures, scope_case_ids,
)
from qinqing.insights.metrics.from_rollup import snapshot
from qinqing.insights.metrics.from_ratings import RATING_BREAKDOWNS
from qinqing.insights.metrics.groupings import BREAKDOWNS, SANCTION
from qinqing.insights.metrics.masters import DESTINATIONS
from qinqing.insights.metrics.registry import (
    DEFAULT_NAMES, METRICS, RATING_NAMES, STAGE_WORDS, STAGES, UNIT_COUNT, UNIT_RATIO,
    UNIT_SECONDS, Figure,
    Metric, resolution_base, response_stage, rounded_percent, satisfied_levels,
)
from qinqing.insights.metrics.scope import (
    FIRST_DAY, LAST_DAY, MAX_DAYS, InvalidScope, Scope, validate,
)

__all__ = [
    "BREAKDOWNS", "DEFAULT_NAMES", "DESTINATIONS", "FIRST_DAY", "LAST_DAY", "MAX_DAYS",
    "METRICS", "RATING_BREAKDOWNS", "RATING_NAMES", "SANCTION", "SOURCES", "STAGES",
    "STAGE_WORDS", "UNIT_COUNT", "UNIT_RATIO",
    "UNIT_SECONDS", "Figure", "InvalidScope", "Metric", "Scope", "breakable", "breakdown",
    "breakdowns", "figures", "resolution_base", "response_stage", "rounded_percent",
    "satisfied_levels", "scope_case_ids", "snapshot", "validate",
]
