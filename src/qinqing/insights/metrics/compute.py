"""The figures of a scope and their breakdowns: the public entry points (`figures`,
`breakdown`, `breakdowns`, `breakable`, `scope_case_ids`), which choose for each family
of figures where it is counted from (the daily rollups where they can answer, else the
facts) and apply the registry's statistic to the aggregates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases.models import Outcome
from qinqing.insights import rollup
from qinqing.insights.metrics.from_ratings import count_ratings
from qinqing.insights.metrics.from_facts import (
    count_from_facts, count_overdue, dimension_filter, p90_from_facts, period_filter,
)
from qinqing.insights.metrics.from_rollup import (
    count_from_rollup, p90_two_steps, rollup_plan, snapshot,
)
from qinqing.insights.metrics.groupings import (
    BREAKDOWNS, SANCTION, TIME_BREAKDOWNS, Grouping, make_grouping, rows_by_group,
)
from qinqing.insights.metrics.masters import Masters, master_data
from qinqing.insights.metrics.registry import DEFAULT_NAMES, METRICS, RATING_FAMILIES, Figure
from qinqing.insights.metrics.scope import InvalidScope, Scope, validate
from qinqing.insights.models import Fact
from qinqing.org.models import Unit
from qinqing.oversight.queries import outcomes_by_sanction

SOURCES = ("auto", "rollup", "facts")


def scope_case_ids(scope: Scope):
    """The ids of a scope's cases (a subquery), with exactly the figures' semantics; for
    lists that go with figures, such as a bulletin's typical cases."""
    validate(scope)
    return Fact.objects.filter(
        dimension_filter(scope, master_data()), row=Fact.Row.CASE,
        received_on__gte=scope.start, received_on__lte=scope.end).values("case_id")


def figures(scope: Scope, names: list[str] | None = None, *, now: datetime | None = None,
            source: str = "auto") -> dict[str, Figure]:
    """The named figures of a scope (all of METRICS when names is None), in that order.

    source: "auto" (the rollups where they can answer, else the facts), or "facts" or
    "rollup" to force one (the tests compare them)."""
    names = _names(names)
    case_names, rating_names = _split(names)
    agg: dict[str, Any] = {}
    with snapshot():
        if case_names:
            agg.update(_run(case_names, scope, None, now=now, source=source)[1].get("", {}))
        if rating_names:
            agg.update(_run_ratings(rating_names, scope, None)[1].get("", {}))
    return {name: METRICS[name].figure(agg) for name in names}


def breakdown(name: str, scope: Scope, by: str, *, now: datetime | None = None,
              source: str = "auto") -> list[tuple[str, str, Figure]]:
    """(key, label, figure) per group of the scope's cases; see the package's docstring."""
    return breakdowns([name], scope, by, now=now, source=source)[name]


def breakdowns(names: list[str], scope: Scope, by: str, *, now: datetime | None = None,
               source: str = "auto") -> dict[str, list[tuple[str, str, Figure]]]:
    """breakdown() of several figures at once, sharing the queries."""
    names = _names(names)
    case_names, rating_names = _split(names)
    if rating_names:
        # The rating figures group their own rows (the unit and region recorded on the
        # rating, its channel): each figure has the groups of its own rows.
        grouping, result = _run_ratings(rating_names, scope, by)
        keys = sorted(set(grouping.keys) | set(result))
        rated = {name: [(key, grouping.label(key), METRICS[name].figure(result.get(key, {})))
                        for key in keys] for name in rating_names}
        cases = breakdowns(case_names, scope, by, now=now, source=source) if case_names else {}
        return {name: rated[name] if name in rated else cases[name] for name in names}
    if by == SANCTION:
        return _by_sanction(names, scope)
    if by not in BREAKDOWNS:
        raise InvalidScope({"by": _("Break down by one of: %(values)s.") % {
            "values": ", ".join(BREAKDOWNS)}})
    with snapshot():
        grouping, result = _run(names, scope, by, now=now, source=source)
    keys = sorted(set(grouping.keys) | set(result))
    return {name: [(key, grouping.label(key), METRICS[name].figure(result.get(key, {})))
                   for key in keys] for name in names}


def breakable(by: str) -> list[str]:
    """The figures that can be broken down `by` (the accountability figures by sanction
    only, the others by anything but sanction)."""
    return [name for name, metric in METRICS.items()
            if metric.family not in RATING_FAMILIES
            and (metric.family == "accountability") == (by == SANCTION)]


def _by_sanction(names: list[str], scope: Scope) -> dict[str, list[tuple[str, str, Figure]]]:
    if any(METRICS[name].family != "accountability" for name in names):
        raise InvalidScope({"by": _("Only the accountability figures are broken down by "
                                    "sanction.")})
    validate(scope)
    rows = _sanctions(scope, master_data())
    return {name: [(code, label, METRICS[name].figure({"accountability": n}))
                   for code, label, n in rows] for name in names}


def _names(names: Iterable[str] | None) -> list[str]:
    if names is None:
        return list(DEFAULT_NAMES)
    names = list(names)
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise InvalidScope({"names": _("Unknown figures: %(names)s.") % {
            "names": ", ".join(unknown)}})
    return names



def _split(names: list[str]) -> tuple[list[str], list[str]]:
    """(case figures, rating figures) of `names`: the two are counted apart."""
    return ([n for n in names if METRICS[n].family not in RATING_FAMILIES],
            [n for n in names if METRICS[n].family in RATING_FAMILIES])


def _run_ratings(names: list[str], scope: Scope, by: str | None):
    validate(scope)
    result: dict[str, dict[str, Any]] = defaultdict(dict)
    grouping = count_ratings(_families(names), scope, by, master_data(), result)
    return grouping, result


def _families(names: list[str]) -> set[str]:
    return {METRICS[name].family for name in names}



def _run(names: list[str], scope: Scope, by: str | None, *, now: datetime | None = None,
         source: str = "auto") -> tuple[Grouping, dict[str, dict[str, Any]]]:
    """Aggregates per group key, from the rollups where the scope and breakdown allow
    (rollup.py), otherwise counted from the facts; one query per family of figures."""
    validate(scope)
    masters = master_data()
    dims = dimension_filter(scope, masters)
    grouping = make_grouping(by, scope, masters, "received_on")
    families = _families(names)
    result: dict[str, dict[str, Any]] = defaultdict(dict)
    plan = rollup_plan(scope, by, masters) if source != "facts" else None
    if source == "rollup" and plan is None:
        raise ValueError("this scope and breakdown cannot be read from the rollups")
    cohort = families & {"cases", "clocks", "callbacks"}
    p90 = "clocks" in families and any(METRICS[n].statistic == "p90" for n in names)
    if cohort and plan is not None:
        count_from_rollup(plan, scope, by, grouping, masters, dims, families, result)
        if p90:
            if plan[0] == "" and by is None:
                p90_two_steps(scope, masters, result)
            else:
                p90_from_facts(Fact.objects.filter(period_filter(scope), dims,
                                                   row=Fact.Row.CLOCK),
                               grouping, scope.until, result)
    elif cohort:
        count_from_facts(families, scope, grouping, dims, result, p90=p90)
    if "overdue" in families:
        count_overdue(scope, grouping, dims, now or timezone.now(), result)
    if "accountability" in families:
        if by is not None:
            raise InvalidScope({"by": _("Officials held accountable are broken down by "
                                        "sanction only (by=sanction).")})
        result[""]["accountability"] = sum(n for _key, _label, n in _sanctions(scope, masters))
    if "closures" in families:
        flow = make_grouping(by, scope, masters, "closed_on")
        whole = not any(getattr(scope, f) for f in ("region", "unit", "kind", "channel",
                                                    "category"))
        if source != "facts" and whole and (by is None or by in TIME_BREAKDOWNS):
            for day, n in rollup.closing_sums(start=scope.start, end=scope.end,
                                              by_day=by is not None).items():
                key = flow.key(date.fromisoformat(day)) if day else ""
                result[key]["closures"] = result[key].get("closures", 0) + n
        else:
            qs = Fact.objects.filter(dims, row=Fact.Row.CASE, closed_on__gte=scope.start,
                                     closed_on__lte=scope.end, dispatched_at__isnull=False,
                                     outcome=Outcome.RESOLVED)
            for key, agg in rows_by_group(qs, flow, closures=Count("*")):
                result[key].update(agg)
    return grouping, result



def _sanctions(scope: Scope, masters: Masters) -> list[tuple[str, str, int]]:
    """(sanction code, name, records) of the scope's period and region, every active
    sanction type listed (qinqing.oversight, which keeps the records and their officials'
    names; only counts leave it)."""
    within = None
    code = scope.unit or scope.region  # the unit is the narrower; validate() checked both
    if code:
        info = masters.unit_by_code[code]
        within = Unit(pk=info.pk, code=info.code, path=info.path, kind=info.kind)
    return [(row.sanction.code, str(row.sanction), row.count)
            for row in outcomes_by_sanction(scope.start, scope.end, region=within)]

