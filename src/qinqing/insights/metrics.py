"""Every figure Qinqing shows, by name, with its formula, numerator and denominator.

Nothing outside this module computes a figure: pages, the API, the Excel and PDF
bulletins, the dashboard and the public open data all call `figures()` or `breakdown()`.

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
"""

from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Aggregate, Case as When_, CharField, Count, IntegerField, Q, Sum, Value, When,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _, gettext_lazy

from qinqing.cases.models import Channel, Kind, Outcome, Stage
from qinqing.cases.models.case import Satisfaction
from qinqing.insights.models import Fact
from qinqing.org.models import REGION_KINDS, UnitKind
from qinqing.refdata import refdata

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """What figures are about; every field optional but the period."""

    start: date  # inclusive, local (Asia/Shanghai) calendar dates, on received_at
    end: date  # inclusive
    region: str = ""  # a region unit code (city / county / zone): that region and below
    unit: str = ""  # lead unit code: that unit and its sub-units
    kind: str = ""
    channel: str = ""
    category: str = ""  # category code: it and its children

    @property
    def since(self) -> datetime:
        return _local_midnight(self.start)

    @property
    def until(self) -> datetime:
        """The end of the period: local midnight after `end` (exclusive)."""
        return _local_midnight(self.end + timedelta(days=1))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min),
                               timezone.get_default_timezone())


class InvalidScope(ValueError):
    """A scope that names something that does not exist; `fields` says what, per field."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


MAX_DAYS = 366 * 20  # a scope longer than this is a typing mistake, not a question
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)  # dates outside: typing mistakes


# -------------------------------------------------------------------------- figure

UNIT_COUNT, UNIT_RATIO, UNIT_SECONDS = "count", "ratio", "seconds"


@dataclass(frozen=True)
class Figure:
    name: str  # e.g. "closure_rate"
    label: str  # translated label
    formula: str  # translated, human-readable formula, e.g. "closed ÷ routed"
    value: int | Decimal | None  # None when the denominator is 0 (never a fake 0 %)
    numerator: int | None = None
    denominator: int | None = None
    unit: str = UNIT_COUNT  # count, ratio (0–1) or seconds (of working time)

    @property
    def text(self) -> str:
        """The value as shown to people: rates in per cent to one decimal, working time
        in hours to one decimal, counts as they are. Rounded here and only here."""
        if self.value is None:
            return "—"
        if self.unit == UNIT_RATIO:
            return _("%(percent)s%%") % {"percent": _round(self.value * 100, "0.1")}
        if self.unit == UNIT_SECONDS:
            return _("%(hours)s h") % {"hours": _round(Decimal(self.value) / 3600, "0.1")}
        return str(self.value)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": str(self.label), "formula": str(self.formula),
                "value": None if self.value is None else str(self.value),
                "numerator": self.numerator, "denominator": self.denominator,
                "unit": self.unit, "text": self.text}


def _round(value: Decimal, places: str) -> str:
    return str(Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _quotient(numerator: int | None, denominator: int | None) -> Decimal | None:
    if not denominator:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        return Decimal(numerator or 0) / Decimal(denominator)


# ------------------------------------------------------------------ configuration

def satisfied_levels() -> tuple[str, ...]:
    """Callback results that count as satisfied (domain.md §10: satisfied and basically
    satisfied, unless the policy says otherwise): QINQING_SATISFIED_LEVELS."""
    return tuple(getattr(settings, "QINQING_SATISFIED_LEVELS",
                         (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)))


def response_stage() -> str:
    """The stage whose on-time stop counts as a response (Beijing's response rate):
    QINQING_RESPONSE_STAGE, "sign" (default) or "dispatch"."""
    return getattr(settings, "QINQING_RESPONSE_STAGE", Stage.SIGN)


def resolution_base() -> str:
    """Denominator of the resolution rate: "rated" callbacks (default) or "all" callbacks,
    closed-unrated ones included: QINQING_RESOLUTION_BASE."""
    return getattr(settings, "QINQING_RESOLUTION_BASE", "rated")


# ------------------------------------------------------------------------ registry

@dataclass(frozen=True)
class Metric:
    """A named figure: which family of facts it is counted from, how, and its words.

    statistic: "count" (value = the numerator aggregate), "difference" (numerator −
    denominator aggregates, e.g. routed − closed), "ratio" and "mean" (numerator ÷
    denominator), "p90" (the 90th percentile aggregate, over denominator values).
    """

    name: str
    label: Promise
    formula: Promise | Callable[[], str]
    family: str  # cases, clocks, callbacks, overdue, closures
    numerator: str
    denominator: str | None = None
    statistic: str = "count"
    unit: str = UNIT_COUNT
    basis: str = "cohort"  # cohort (received in the period), snapshot (now), flow

    def formula_text(self) -> str:
        return str(self.formula() if callable(self.formula) else self.formula)

    def figure(self, agg: dict[str, Any]) -> Figure:
        num = agg.get(self.numerator, 0) or 0
        den = agg.get(self.denominator, 0) or 0 if self.denominator else None
        if self.statistic == "count":
            return self._make(num)
        if self.statistic == "difference":
            return self._make(num - den)
        if self.statistic in ("ratio", "mean"):
            return self._make(_quotient(num, den), num, den)
        if self.statistic == "p90":
            value = agg.get(self.numerator) if den else None
            return self._make(value, None, den)
        raise ValueError(self.statistic)

    def _make(self, value, numerator=None, denominator=None) -> Figure:
        return Figure(self.name, str(self.label), self.formula_text(), value, numerator,
                      denominator, self.unit)


STAGES = (Stage.DISPATCH, Stage.SIGN, Stage.RESOLVE, Stage.REVIEW, Stage.CALLBACK)
STAGE_WORDS = {  # formula words per stage: what does its work (cases COMPLETED_BY)
    Stage.DISPATCH: gettext_lazy("dispatch (received → dispatched or answered)"),
    Stage.SIGN: gettext_lazy("sign (dispatched → signed for or returned as not the unit's)"),
    Stage.RESOLVE: gettext_lazy("resolve (dispatched → replied; a return is not a reply)"),
    Stage.REVIEW: gettext_lazy("unit review (replied → approved or sent back by the unit "
                               "head)"),
    Stage.CALLBACK: gettext_lazy("callback (approved reply → called back or closed "
                                 "unrated)"),
}


def _satisfaction_formula() -> str:
    levels = "＋".join(str(Satisfaction(level).label) for level in satisfied_levels())
    return _("callbacks whose result is %(levels)s ÷ rated callbacks (a dissatisfied "
             "callback reopens the case; closed-unrated cases are not rated), made by the "
             "end of the period") % {"levels": levels}


def _response_formula() -> str:
    if response_stage() == Stage.DISPATCH:
        return _("new cases dispatched or answered on time ÷ dispatch-stage clocks started, "
                 "by the end of the period")
    return _("dispatches signed for by the unit on time ÷ dispatches (each dispatch starts "
             "a sign-stage clock), by the end of the period")


def _resolution_formula() -> str:
    if resolution_base() == "all":
        return _("callbacks where the caller says the matter is solved ÷ all callbacks "
                 "(rated or closed unrated), by the end of the period; a dissatisfied "
                 "callback counts as not solved")
    return _("callbacks where the caller says the matter is solved ÷ rated callbacks, by "
             "the end of the period; a dissatisfied callback counts as not solved")


def _registry() -> dict[str, Metric]:
    m = [
        Metric("received", gettext_lazy("Matters received"),
               gettext_lazy("cases received in the period (by time of receipt)"),
               "cases", "received"),
        Metric("consultations", gettext_lazy("Consultations received"),
               gettext_lazy("cases of kind consultation received in the period"),
               "cases", "consultations"),
        Metric("direct_answers", gettext_lazy("Answered directly"),
               gettext_lazy("consultations answered on the spot (direct answer), by the end "
                            "of the period"), "cases", "direct_answers"),
        Metric("direct_answer_rate", gettext_lazy("Direct-answer rate"),
               gettext_lazy("direct answers ÷ consultations received"),
               "cases", "direct_answers", "consultations", "ratio", UNIT_RATIO),
        Metric("routed", gettext_lazy("Routed to units"),
               gettext_lazy("cases dispatched to a lead unit at least once by the end of the "
                            "period"), "cases", "routed"),
        Metric("closed", gettext_lazy("Closed"),
               gettext_lazy("routed cases closed after handling (called back, or closed "
                            "unrated) by the end of the period; a routed case later rejected "
                            "or merged is not counted"), "cases", "closed"),
        Metric("in_progress", gettext_lazy("In progress"),
               gettext_lazy("routed cases not closed in any way (handled, rejected or "
                            "merged) by the end of the period"),
               "cases", "routed", "ended", "difference"),
        Metric("closure_rate", gettext_lazy("Closure rate"),
               gettext_lazy("closed ÷ routed (routed cases closed after handling by the end "
                            "of the period ÷ cases routed)"), "cases", "closed", "routed",
               "ratio", UNIT_RATIO),
        Metric("completion_rate", gettext_lazy("Completion rate, direct answers included"),
               gettext_lazy("(direct answers + closed) ÷ matters received"),
               "cases", "completed", "received", "ratio", UNIT_RATIO),
        Metric("other_matters", gettext_lazy("Neither answered directly nor routed"),
               gettext_lazy("received − direct answers − routed: merged, rejected, not accepted "
                            "(another procedure) or waiting for dispatch at the end of the "
                            "period"), "cases", "other"),
        Metric("closures", gettext_lazy("Closures in the period"),
               gettext_lazy("routed cases closed after handling during the period, whenever "
                            "they were received (counted by the day of closing)"), "closures",
               "closures",
               basis="flow"),
        Metric("overdue_now", gettext_lazy("Overdue now"),
               gettext_lazy("cases of the period with a running stage past its deadline now "
                            "(suspended stages not counted)"), "overdue", "overdue",
               basis="snapshot"),
        Metric("accountability_outcomes", gettext_lazy("Officials held accountable"),
               gettext_lazy("accountability records decided in the period (each one official "
                            "and one sanction), for officials of the scope's unit or region and "
                            "the units below it; kind, channel and category do not apply "
                            "(counted by the day of decision)"),
               "accountability", "accountability", basis="flow"),
        Metric("reopen_rate", gettext_lazy("Reopen rate"),
               gettext_lazy("cases whose first callback with a result was dissatisfied "
                            "(reopened) ÷ cases called back with a result (satisfied, "
                            "basically satisfied or dissatisfied; cases closed unrated are "
                            "not counted), by the end of the period, under the unit that "
                            "replied"), "callbacks", "reopened", "called_back",
               "ratio", UNIT_RATIO),
        Metric("rated_callbacks", gettext_lazy("Rated callbacks"),
               gettext_lazy("callbacks with a satisfaction result made by the end of the "
                            "period"), "callbacks", "rated"),
        Metric("satisfaction_rate", gettext_lazy("Satisfaction rate"), _satisfaction_formula,
               "callbacks", "satisfied", "rated", "ratio", UNIT_RATIO),
        Metric("response_rate", gettext_lazy("Response rate"), _response_formula,
               "clocks", "response_on_time", "response_started", "ratio", UNIT_RATIO),
        Metric("resolution_rate", gettext_lazy("Resolution rate"), _resolution_formula,
               "callbacks", "resolved", "resolution_base", "ratio", UNIT_RATIO),
    ]
    for stage in STAGES:
        words = STAGE_WORDS[stage]
        label = Stage(stage).label
        m += [
            Metric(f"on_time_rate_{stage}",
                   _lazy_format(gettext_lazy("On-time rate, %(stage)s"), stage=label),
                   _lazy_format(gettext_lazy("%(stage)s clocks done by their recorded "
                                             "deadline ÷ %(stage)s clocks done, by the end of "
                                             "the period, each under the unit that held it"),
                                stage=words),
                   "clocks", f"on_time_{stage}", f"finished_{stage}", "ratio", UNIT_RATIO),
            Metric(f"avg_working_time_{stage}",
                   _lazy_format(gettext_lazy("Average working time, %(stage)s"), stage=label),
                   _lazy_format(gettext_lazy("working time of the %(stage)s clocks done by "
                                             "the end of the period ÷ their number (office "
                                             "time by the working calendar, or natural time "
                                             "for a limit in natural hours, as urgent cases "
                                             "have; suspensions excluded; in seconds)"),
                                stage=words),
                   "clocks", f"worked_{stage}", f"finished_{stage}", "mean", UNIT_SECONDS),
            Metric(f"p90_working_time_{stage}",
                   _lazy_format(gettext_lazy("90th-percentile working time, %(stage)s"),
                                stage=label),
                   _lazy_format(gettext_lazy("the working time within which 90%% of the "
                                             "%(stage)s clocks done by the end of the period "
                                             "were done (nearest rank: the ⌈0.9 n⌉-th "
                                             "shortest; office time, or natural time for a "
                                             "limit in natural hours; in seconds)"),
                                stage=words),
                   "clocks", f"p90_{stage}", f"finished_{stage}", "p90", UNIT_SECONDS),
        ]
    return {metric.name: metric for metric in m}


class _lazy_format:
    """A translatable template with arguments, translated when shown."""

    def __init__(self, template: Promise, **args):
        self.template, self.args = template, args

    def __call__(self) -> str:
        return str(self.template) % {k: str(v) for k, v in self.args.items()}

    def __str__(self) -> str:
        return self()


METRICS: dict[str, Metric] = _registry()
DEFAULT_NAMES: tuple[str, ...] = tuple(METRICS)
BREAKDOWNS = ("day", "week", "month", "kind", "channel", "region", "unit", "category",
              "destination")

# -------------------------------------------------------------------- master data


@dataclass(frozen=True)
class _UnitInfo:
    pk: int
    code: str
    label: str
    kind: str
    path: str


@dataclass(frozen=True)
class _Masters:
    units: dict[int, _UnitInfo]
    unit_by_code: dict[str, _UnitInfo]
    categories: dict[int, tuple[str, str, int | None]]  # pk -> (code, name, parent pk)
    category_by_code: dict[str, int]

    def subtree(self, unit: _UnitInfo) -> list[int]:
        return [u.pk for u in self.units.values() if u.path.startswith(unit.path)]

    def category_subtree(self, pk: int) -> list[int]:
        found, frontier = {pk}, {pk}
        while frontier:
            frontier = {c for c, (_, _, parent) in self.categories.items()
                        if parent in frontier and c not in found}
            found |= frontier
        return sorted(found)

    def destination(self, unit: _UnitInfo) -> str:
        """Where a routed case went (domain.md §2, Linfen): the discipline commission, a
        county-level government (a county, district or development zone, or a unit below
        one), or a city department (any other unit)."""
        if unit.kind == UnitKind.DISCIPLINE_COMMISSION:
            return DISCIPLINE
        for code in unit.path.strip("/").split("/")[1:]:
            above = self.unit_by_code.get(code)
            if above is not None and above.kind in (UnitKind.COUNTY, UnitKind.DEVELOPMENT_ZONE):
                return COUNTIES
        return CITY_DEPARTMENTS


DISCIPLINE, CITY_DEPARTMENTS, COUNTIES = "discipline_commission", "city_departments", "counties"
DESTINATIONS = {
    DISCIPLINE: gettext_lazy("Discipline commission"),
    CITY_DEPARTMENTS: gettext_lazy("City departments"),
    COUNTIES: gettext_lazy("Counties, districts and zones"),
}


def _masters() -> _Masters:
    return refdata.get(("insights masters",), _load_masters)


def _load_masters() -> _Masters:
    from qinqing.cases.models import Category
    from qinqing.org.models import Unit

    units = {pk: _UnitInfo(pk, code, short or name, kind, path) for pk, code, short, name, kind, path
             in Unit.objects.values_list("pk", "code", "short_name", "name", "kind", "path")}
    categories = {pk: (code, name, parent) for pk, code, name, parent
                  in Category.objects.values_list("pk", "code", "name", "parent_id")}
    return _Masters(units, {u.code: u for u in units.values()}, categories,
                    {code: pk for pk, (code, _, _) in categories.items()})


# ------------------------------------------------------------------ validation

def validate(scope: Scope) -> None:
    """Raise InvalidScope naming every field that does not make sense."""
    errors: dict[str, str] = {}
    if not isinstance(scope.start, date) or not isinstance(scope.end, date):
        raise InvalidScope({"start": _("Give the period as dates.")})
    for name in ("start", "end"):
        if not FIRST_DAY <= getattr(scope, name) <= LAST_DAY:
            errors[name] = _("Give a date from %(first)s to %(last)s.") % {
                "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
    if errors:
        raise InvalidScope(errors)
    if scope.end < scope.start:
        errors["end"] = _("The end of the period is before its start.")
    elif (scope.end - scope.start).days > MAX_DAYS:
        errors["end"] = _("A period may be at most %(years)s years long.") % {"years": 20}
    masters = _masters()
    if scope.region:
        unit = masters.unit_by_code.get(scope.region)
        if unit is None or unit.kind not in REGION_KINDS:
            errors["region"] = _("No region (city, county or zone) has the code %(code)s.") % {
                "code": scope.region}
    if scope.unit and scope.unit not in masters.unit_by_code:
        errors["unit"] = _("No unit has the code %(code)s.") % {"code": scope.unit}
    if scope.kind and scope.kind not in Kind.values:
        errors["kind"] = _("Choose one of: %(values)s.") % {"values": ", ".join(Kind.values)}
    if scope.channel and scope.channel not in Channel.values:
        errors["channel"] = _("Choose one of: %(values)s.") % {
            "values": ", ".join(Channel.values)}
    if scope.category and scope.category not in masters.category_by_code:
        errors["category"] = _("No category has the code %(code)s.") % {"code": scope.category}
    if errors:
        raise InvalidScope(errors)


def _names(names: Iterable[str] | None) -> list[str]:
    if names is None:
        return list(DEFAULT_NAMES)
    names = list(names)
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise InvalidScope({"names": _("Unknown figures: %(names)s.") % {
            "names": ", ".join(unknown)}})
    return names


# ---------------------------------------------------------------------- queries

class PercentileDisc(Aggregate):
    """PostgreSQL's nearest-rank percentile: the first value whose cumulative share
    reaches the fraction (the ⌈0.9 n⌉-th smallest for 0.9)."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(0.9) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = IntegerField()


def nearest_rank(sorted_values: list[int], share_tenths: int = 9) -> int | None:
    """The ⌈share·n⌉-th smallest value (1-based) of a sorted list; None if empty."""
    if not sorted_values:
        return None
    return sorted_values[nearest_rank_position(len(sorted_values), share_tenths) - 1]


def _dimension_filter(scope: Scope, masters: _Masters) -> Q:
    q = Q()
    if scope.region:
        region = masters.unit_by_code[scope.region]
        q &= Q(region_id__in=[pk for pk in masters.subtree(region)
                              if masters.units[pk].kind in REGION_KINDS])
    if scope.unit:
        q &= Q(lead_unit_id__in=masters.subtree(masters.unit_by_code[scope.unit]))
    if scope.kind:
        q &= Q(kind=scope.kind)
    if scope.channel:
        q &= Q(channel=scope.channel)
    if scope.category:
        q &= Q(category_id__in=masters.category_subtree(masters.category_by_code[scope.category]))
    return q


@dataclass
class _Grouping:
    """How a breakdown groups rows: an SQL expression (None: no grouping), and the key and
    label of each group."""

    by: str
    expression: Any
    key: Callable[[Any], str]
    label: Callable[[str], str]
    keys: list[str] = field(default_factory=list)  # groups always listed, even if empty


def _grouping(by: str | None, scope: Scope, masters: _Masters, date_field: str) -> _Grouping:
    if by is None:
        return _Grouping("", None, lambda v: "", lambda k: "")
    if by == "day":
        days = [scope.start + timedelta(days=i) for i in range((scope.end - scope.start).days + 1)]
        return _Grouping(by, date_field, _day_key, _day_label, [d.isoformat() for d in days])
    if by == "week":
        return _Grouping(by, TruncWeek(date_field), _week_key, _week_label,
                         sorted({_week_key(scope.start + timedelta(days=i))
                                 for i in range((scope.end - scope.start).days + 1)}))
    if by == "month":
        months, day = [], scope.start.replace(day=1)
        while day <= scope.end:
            months.append(_month_key(day))
            day = (day + timedelta(days=32)).replace(day=1)
        return _Grouping(by, TruncMonth(date_field), _month_key, _month_label, months)
    if by == "kind":
        return _Grouping(by, "kind", str, lambda k: str(Kind(k).label) if k in Kind.values else k,
                         sorted(Kind.values))
    if by == "channel":
        return _Grouping(by, "channel", str,
                         lambda k: str(Channel(k).label) if k in Channel.values else k,
                         sorted(Channel.values))
    if by == "region":
        return _Grouping(by, "region_id", lambda pk: masters.units[pk].code,
                         lambda code: masters.unit_by_code[code].label)
    if by == "unit":
        return _Grouping(by, "lead_unit_id",
                         lambda pk: masters.units[pk].code if pk is not None else "",
                         lambda code: masters.unit_by_code[code].label if code
                         else _("Not routed"))
    if by == "category":
        return _category_grouping(scope, masters)
    if by == "destination":
        groups: dict[str, list[int]] = defaultdict(list)
        for unit in masters.units.values():
            groups[masters.destination(unit)].append(unit.pk)
        expression = When_(*[When(lead_unit_id__in=pks, then=Value(key))
                             for key, pks in sorted(groups.items())],
                           default=Value(""), output_field=CharField())
        return _Grouping(by, expression, str,
                         lambda k: str(DESTINATIONS[k]) if k else _("Not routed"),
                         sorted(DESTINATIONS))
    raise InvalidScope({"by": _("Break down by one of: %(values)s.") % {
        "values": ", ".join(BREAKDOWNS)}})


def _category_grouping(scope: Scope, masters: _Masters) -> _Grouping:
    # Groups are the categories one level below the scope's category (top-level ones when
    # the scope has none); a case filed on the scope's category itself is its own group.
    top = masters.category_by_code.get(scope.category) if scope.category else None
    heads = [pk for pk, (_, _, parent) in masters.categories.items() if parent == top]
    whens = [When(category_id__in=masters.category_subtree(pk),
                  then=Value(masters.categories[pk][0])) for pk in sorted(heads)]
    default = Value(masters.categories[top][0] if top else "")
    expression = When_(*whens, default=default, output_field=CharField())

    def label(code: str) -> str:
        pk = masters.category_by_code.get(code)
        return masters.categories[pk][1] if pk else _("Uncategorised")

    return _Grouping("category", expression, str, label)


def _day_key(value) -> str:
    return _as_date(value).isoformat()


def _week_key(value) -> str:
    year, week, _weekday = _as_date(value).isocalendar()
    return f"{year}-W{week:02d}"


def _month_key(value) -> str:
    return _as_date(value).strftime("%Y-%m")


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _day_label(key: str) -> str:
    day = date.fromisoformat(key)
    return _("%(month)s/%(day)s") % {"month": day.month, "day": day.day}


def _week_label(key: str) -> str:
    year, week = key.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return _("Week %(week)s of %(year)s (from %(month)s/%(day)s)") % {
        "week": int(week), "year": year, "month": monday.month, "day": monday.day}


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return _("%(month)s/%(year)s") % {"year": year, "month": int(month)}


def _families(names: list[str]) -> set[str]:
    return {METRICS[name].family for name in names}


SOURCES = ("auto", "rollup", "facts")
TIME_BREAKDOWNS = ("day", "week", "month")
SLICE_BREAKDOWNS = ("kind", "channel", "region", "destination")


def _run(names: list[str], scope: Scope, by: str | None, *, now: datetime | None = None,
         source: str = "auto") -> tuple[_Grouping, dict[str, dict[str, Any]]]:
    """Aggregates per group key, from the rollups where the scope and breakdown allow
    (rollup.py), otherwise counted from the facts; one query per family of figures."""
    validate(scope)
    masters = _masters()
    dims = _dimension_filter(scope, masters)
    grouping = _grouping(by, scope, masters, "received_on")
    families = _families(names)
    result: dict[str, dict[str, Any]] = defaultdict(dict)
    plan = _rollup_plan(scope, by, masters) if source != "facts" else None
    if source == "rollup" and plan is None:
        raise ValueError("this scope and breakdown cannot be read from the rollups")
    cohort = families & {"cases", "clocks", "callbacks"}
    p90 = "clocks" in families and any(METRICS[n].statistic == "p90" for n in names)
    if cohort and plan is not None:
        _from_rollup(plan, scope, by, grouping, masters, dims, families, result)
        if p90:
            if plan[0] == "" and by is None:
                _p90_two_steps(scope, masters, result)
            else:
                _p90_from_facts(Fact.objects.filter(_period(scope), dims, row=Fact.Row.CLOCK),
                                grouping, scope.until, result)
    elif cohort:
        _from_facts(families, scope, grouping, dims, result, p90=p90)
    if "overdue" in families:
        _overdue(scope, grouping, dims, now or timezone.now(), result)
    if "accountability" in families:
        if by is not None:
            raise InvalidScope({"by": _("Officials held accountable are broken down by "
                                        "sanction only (by=sanction).")})
        result[""]["accountability"] = sum(n for _key, _label, n in _sanctions(scope, masters))
    if "closures" in families:
        flow = _grouping(by, scope, masters, "closed_on")
        whole = not any(getattr(scope, f) for f in ("region", "unit", "kind", "channel",
                                                    "category"))
        if source != "facts" and whole and (by is None or by in TIME_BREAKDOWNS):
            from qinqing.insights import rollup

            for day, n in rollup.closing_sums(start=scope.start, end=scope.end,
                                              by_day=by is not None).items():
                key = flow.key(date.fromisoformat(day)) if day else ""
                result[key]["closures"] = result[key].get("closures", 0) + n
        else:
            qs = Fact.objects.filter(dims, row=Fact.Row.CASE, closed_on__gte=scope.start,
                                     closed_on__lte=scope.end, dispatched_at__isnull=False,
                                     outcome=Outcome.RESOLVED)
            for key, agg in _grouped(qs, flow, closures=Count("*")):
                result[key].update(agg)
    return grouping, result


def _period(scope: Scope) -> Q:
    return Q(received_on__gte=scope.start, received_on__lte=scope.end)


DIM_FIELDS = ("received_on", "kind", "channel", "region_id", "lead_unit_id")


def _grouped(qs, grouping: _Grouping, **aggregates) -> Iterable[tuple[str, dict]]:
    if grouping.by == BY_DIMENSIONS:
        for row in qs.values(*DIM_FIELDS).annotate(**aggregates).order_by():
            yield tuple(row.pop(name) for name in DIM_FIELDS), row
        return
    if grouping.expression is None:
        yield "", qs.aggregate(**aggregates)
        return
    rows = (qs.annotate(_group=_expr(grouping.expression)).values("_group")
            .annotate(**aggregates).order_by())
    for row in rows:
        group = row.pop("_group")
        yield grouping.key(group), row


def _expr(expression):
    from django.db.models import F

    return F(expression) if isinstance(expression, str) else expression


# ------------------------------------------------------------ counted from the facts

class _Counter:
    """Aggregate expressions for _from_facts. Plainly: the events before `until`. As a
    correction of the rollups (`pending`, `late` given): the events before `until` of
    the rows not rolled up yet, less the events at or after it of the rolled rows that
    have some — one query per family, whatever the two sets hold."""

    def __init__(self, until: datetime, pending: Q | None = None, late: Q | None = None):
        self.until, self.pending, self.late = until, pending, late

    def rows(self) -> Q:
        if self.pending is None:
            return Q()
        return self.pending if self.late is None else (self.pending | self.late)

    def count(self, when: Q = Q(), at: str | None = None):
        return self._make(lambda cond: Count("received_on", filter=cond), when, at)

    def sum(self, field: str, when: Q = Q(), at: str | None = None):
        return self._make(lambda cond: Coalesce(Sum(field, filter=cond), 0), when, at)

    def _make(self, aggregate, when: Q, at: str | None):
        before = Q(**{f"{at}__lt": self.until}) if at else Q()
        if self.pending is None:
            cond = when & before
            return aggregate(cond if cond else None)
        added = aggregate(self.pending & when & before)
        if at is None or self.late is None:
            return added  # an event at receipt is never after the end
        return added - aggregate(self.late & when & Q(**{f"{at}__gte": self.until}))


def _from_facts(families: set[str], scope: Scope, grouping: _Grouping, dims: Q, result,
                *, counter: _Counter | None = None, p90: bool = True) -> None:
    """The families' aggregates counted from the fact rows of the scope matching `dims`:
    the events up to the end of the scope (or, with a correcting `counter`, the rollups'
    correction)."""
    period, until = _period(scope), scope.until
    c = counter or _Counter(until)
    rows = c.rows()
    if "cases" in families:
        qs = Fact.objects.filter(period, dims, rows, row=Fact.Row.CASE)
        for key, agg in _grouped(
                qs, grouping,
                received=c.count(),
                consultations=c.count(Q(kind=Kind.CONSULTATION)),
                direct_answers=c.count(Q(outcome=Outcome.DIRECT_ANSWER), "closed_at"),
                # A case is closed after its first dispatch: "closed_at" alone says when.
                routed=c.count(Q(), "dispatched_at"),
                # Closed after handling (called back or closed unrated), not a routed
                # case later rejected or merged: that one has ended without being handled.
                closed=c.count(Q(dispatched_at__isnull=False, outcome=Outcome.RESOLVED),
                               "closed_at"),
                ended=c.count(Q(dispatched_at__isnull=False), "closed_at")):
            agg["completed"] = agg["direct_answers"] + agg["closed"]
            agg["other"] = agg["received"] - agg["direct_answers"] - agg["routed"]
            result[key].update(agg)
    if "clocks" in families:
        qs = Fact.objects.filter(period, dims, rows, row=Fact.Row.CLOCK)
        if grouping.by == BY_DIMENSIONS:
            values, grouped = [*DIM_FIELDS, "stage"], qs
        else:
            values = ["_group", "stage"] if grouping.expression is not None else ["stage"]
            grouped = (qs.annotate(_group=_expr(grouping.expression))
                       if grouping.expression is not None else qs)
        # (Annotation names differ from the fields: a filter naming `on_time` must mean
        # the field, not an aggregate of the same name.) A stopped clock counts as its
        # stage done only when a move doing the stage's work stopped it: then, and only
        # then, it has a working-time bucket (facts.facts_for).
        done = Q(bucket__isnull=False)
        for row in grouped.values(*values).annotate(
                n_finished=c.count(done, "done_at"),
                n_on_time=c.count(done & Q(on_time=True), "done_at"),
                s_worked=c.sum("worked_seconds", done, "done_at"),
                n_started=c.count(Q(), "started_at"),
                n_signed=c.count(done & Q(on_time=True, ended_by="sign"), "done_at"),
        ).order_by():
            if grouping.by == BY_DIMENSIONS:
                key = tuple(row[name] for name in DIM_FIELDS)
            else:
                key = grouping.key(row["_group"]) if grouping.expression is not None else ""
            _put_stage(result[key], row["stage"], row["n_finished"], row["n_on_time"],
                       row["s_worked"] or 0, row["n_started"], row["n_signed"])
        if p90:
            _p90_from_facts(qs, grouping, until, result)
    if "callbacks" in families:
        qs = Fact.objects.filter(period, dims, rows, row=Fact.Row.CALLBACK)
        rated = ~Q(satisfaction="")
        base = rated if resolution_base() != "all" else Q()
        first = Q(first_rated=True)
        for key, agg in _grouped(
                qs, grouping,
                # Cases called back with a result, and reopened by that result: counted by
                # each case's first rated callback (closed-unrated cases are not rated).
                called_back=c.count(first, "done_at"),
                reopened=c.count(first & Q(satisfaction=Satisfaction.DISSATISFIED),
                                 "done_at"),
                callbacks=c.count(Q(), "done_at"),
                rated=c.count(rated, "done_at"),
                satisfied=c.count(Q(satisfaction__in=satisfied_levels()), "done_at"),
                resolved=c.count(base & Q(resolved=True), "done_at"),
                resolution_base=c.count(base, "done_at")):
            result[key].update(agg)


def _p90_from_facts(qs, grouping: _Grouping, until: datetime, result) -> None:
    """The nearest-rank 90th percentile of the finished clocks' working time per stage:
    PostgreSQL's percentile_disc, or the same rank in Python elsewhere."""
    finished = Q(done_at__lt=until, bucket__isnull=False)  # stage done (see _from_facts)
    values = ["_group", "stage"] if grouping.expression is not None else ["stage"]
    grouped = (qs.annotate(_group=_expr(grouping.expression))
               if grouping.expression is not None else qs)
    if connection.vendor == "postgresql":
        rows = grouped.filter(finished).values(*values).annotate(
            p90=PercentileDisc("worked_seconds")).order_by()
        for row in rows:
            key = grouping.key(row["_group"]) if grouping.expression is not None else ""
            result[key][f"p90_{row['stage']}"] = row["p90"]
        return
    ordered = (grouped.filter(finished).values_list(*values, "worked_seconds")
               .order_by(*values, "worked_seconds"))
    runs: dict[tuple, list[int]] = defaultdict(list)
    for *group, seconds in ordered:
        runs[tuple(group)].append(seconds)
    for group, seconds in runs.items():
        key = grouping.key(group[0]) if grouping.expression is not None else ""
        result[key][f"p90_{group[-1]}"] = nearest_rank(seconds)


def _put_stage(agg: dict, stage: str, finished: int, on_time: int, worked: int,
               started: int, signed_on_time: int = 0) -> None:
    agg[f"finished_{stage}"] = finished
    agg[f"on_time_{stage}"] = on_time
    agg[f"worked_{stage}"] = worked
    agg[f"started_{stage}"] = started
    if stage == response_stage():
        # A response is a dispatch signed for on time (a return is not a signing); with
        # QINQING_RESPONSE_STAGE=dispatch, a new case dispatched or answered on time.
        agg["response_on_time"] = signed_on_time if stage == Stage.SIGN else on_time
        agg["response_started"] = started


def _overdue(scope: Scope, grouping: _Grouping, dims: Q, moment: datetime, result) -> None:
    # One CASE row per case carries its earliest running, unsuspended deadline (only CASE
    # rows have one: no condition on the row kind, so the partial index answers alone).
    qs = Fact.objects.filter(_period(scope), dims, next_due_at__lt=moment)
    for key, agg in _grouped(qs, grouping, overdue=Count("*")):
        result[key].update(agg)


# ------------------------------------------------------------------ from the rollups

def _rollup_plan(scope: Scope, by: str | None, masters: _Masters):
    """(slice, keys) when the rollups can answer this scope and breakdown, else None:
    no unit or category filter, at most one of region, kind and channel, and a breakdown
    by time or by that same dimension (or by any of them without a filter)."""
    if scope.unit or scope.category:
        return None
    filters = [name for name in ("region", "kind", "channel") if getattr(scope, name)]
    if len(filters) > 1 or (by is not None and by not in TIME_BREAKDOWNS + SLICE_BREAKDOWNS):
        return None
    by_slice = by if by in SLICE_BREAKDOWNS else None
    if filters and by_slice and by_slice != filters[0]:
        return None
    slice_name = by_slice or (filters[0] if filters else "")
    if not filters:
        return slice_name, None
    if filters[0] == "region":
        region = masters.unit_by_code[scope.region]
        return "region", [str(pk) for pk in masters.subtree(region)
                          if masters.units[pk].kind in REGION_KINDS]
    return filters[0], [getattr(scope, filters[0])]


def _from_rollup(plan, scope: Scope, by: str | None, grouping: _Grouping, masters: _Masters,
                 dims: Q, families: set[str], result) -> None:
    """rollup rows + events up to the end of fact rows not rolled up yet − events after
    the end of rolled rows (rollup.py); the two corrections are counted in SQL, as
    _from_facts counts, over those few rows."""
    from qinqing.insights import rollup

    slice_name, keys_in = plan
    group = None if by is None else ("day" if by in TIME_BREAKDOWNS else "key")
    sums = rollup.sums(start=scope.start, end=scope.end, slice_name=slice_name,
                       keys_in=keys_in, group=group)
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g, measures in sums.items():
        if group == "day":
            key = grouping.key(date.fromisoformat(g))
        elif group == "key" and by == "region":
            key = masters.units[int(g)].code
        else:
            key = g
        for measure, (n, total) in measures.items():
            merged[key][measure] += n
            seconds[key][measure] += total
    for key, measures in merged.items():
        result[key].update(_aggregates(measures, seconds[key]))
    for dimensions, values in _correction(scope, families, dims).items():
        received_on, kind, channel, region_id, lead_unit_id = dimensions
        if by is None:
            key = ""
        elif by in TIME_BREAKDOWNS:
            key = grouping.key(received_on)
        elif by == "region":
            key = masters.units[region_id].code
        elif by == "destination":
            key = masters.destination(masters.units[lead_unit_id]) if lead_unit_id else ""
        else:
            key = {"kind": kind, "channel": channel}[by]
        target = result[key]
        for name, value in values.items():
            target[name] = target.get(name, 0) + (value or 0)


def _correction(scope: Scope, families: set[str], dims: Q) -> dict[tuple, dict]:
    """The rollups' correction of a scope by (day, kind, channel, region, lead unit): the
    events up to the end of rows not rolled up yet, less the events after the end of
    rolled rows (none when the period has not ended: no event is in the future). Shared by
    the figures and breakdowns computed within one `snapshot()`."""
    from qinqing.insights import rollup

    cohort = families & {"cases", "clocks", "callbacks"}
    shared = _shared.get()
    result: dict[tuple, dict] = defaultdict(dict)
    wanted = []
    for family in sorted(cohort):
        cached = shared.get((scope, family)) if shared is not None else None
        if cached is None:
            wanted.append(family)
            continue
        for dimensions, values in cached.items():
            result[dimensions].update(values)
    if wanted:
        late = (rollup.late(scope.start, scope.end)
                if scope.until <= timezone.now() else None)
        for family in wanted:
            rows: dict[tuple, dict] = defaultdict(dict)
            _from_facts({family}, scope, _BY_DIMENSIONS, dims, rows, p90=False,
                        counter=_Counter(scope.until, rollup.pending(scope.start, scope.end),
                                         late))
            if shared is not None:
                shared[(scope, family)] = rows
            for dimensions, values in rows.items():
                result[dimensions].update(values)
    return result


BY_DIMENSIONS = "_dimensions"
_BY_DIMENSIONS = _Grouping(BY_DIMENSIONS, None, lambda value: value, lambda key: "")
_shared: ContextVar[dict | None] = ContextVar("insights_shared", default=None)


@contextmanager
def snapshot():
    """Several figures read as of one moment, and read once: on PostgreSQL one
    REPEATABLE READ transaction (the rollups and the facts that correct them are seen
    at the same instant — outside it, a case change committed between the two reads could
    be counted twice or missed until the next read); the rollups' corrections are shared
    by the figures and breakdowns computed inside. (SQLite's transactions here take the
    write lock, so there each query reads the latest commit.) JIT compilation is off
    inside it."""
    if _shared.get() is not None:
        yield
        return
    token = _shared.set({})
    try:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    # These are short reads of indexed rows; PostgreSQL's JIT compiler, which
                    # their cost estimates trigger, spends ~100 ms per query for nothing.
                    cursor.execute("SET LOCAL jit = off")
                yield
        else:
            yield
    finally:
        _shared.reset(token)


def _aggregates(n: dict[str, int], seconds: dict[str, int]) -> dict[str, int]:
    """The families' aggregates from rollup measures (names as _from_facts makes them)."""
    agg = {name: n.get(name, 0) for name in (
        "received", "consultations", "direct_answers", "routed", "closed", "ended",
        "called_back",
        "reopened", "callbacks", "resolved")}
    agg["completed"] = agg["direct_answers"] + agg["closed"]
    agg["other"] = agg["received"] - agg["direct_answers"] - agg["routed"]
    levels = {m[6:]: v for m, v in n.items() if m.startswith("level:")}
    agg["rated"] = sum(levels.values())
    agg["satisfied"] = sum(levels.get(level, 0) for level in satisfied_levels())
    agg["resolution_base"] = agg["rated"] if resolution_base() != "all" else agg["callbacks"]
    for stage in STAGES:
        _put_stage(agg, stage, n.get(f"finished:{stage}", 0), n.get(f"on_time:{stage}", 0),
                   seconds.get(f"finished:{stage}", 0), n.get(f"started:{stage}", 0),
                   n.get("signed_on_time", 0))
    return agg


def _p90_two_steps(scope: Scope, masters: _Masters, result) -> None:
    """The whole scope's 90th percentiles: the bucket that holds the ⌈0.9 n⌉-th working
    time (from the rollups, corrected like the counts), then that time among the
    bucket's facts."""
    from qinqing.insights import rollup

    counts = rollup.bucket_sums(start=scope.start, end=scope.end)
    late = rollup.late(scope.start, scope.end)
    for row in (Fact.objects.filter(late | rollup.pending(scope.start, scope.end),
                                    row=Fact.Row.CLOCK, bucket__isnull=False)
                .values("stage", "bucket").annotate(
                    n_added=Count("received_on", filter=Q(done_at__lt=scope.until)),
                    n_taken=Count("received_on", filter=Q(rolled=True))).order_by()):
        measure = f"b:{row['stage']}:{row['bucket']}"
        counts[measure] = counts.get(measure, 0) + row["n_added"] - row["n_taken"]
    agg = result[""]
    for stage in STAGES:
        n = agg.get(f"finished_{stage}", 0)
        if not n:
            continue
        rank = nearest_rank_position(n)
        below = 0
        buckets = sorted((int(m.rsplit(":", 1)[1]), c) for m, c in counts.items()
                         if m.startswith(f"b:{stage}:") and c)
        for bucket, count in buckets:
            if below + count >= rank:
                # (Only finished CLOCK rows have a bucket: the index fact_worked answers.)
                values = list(Fact.objects.filter(
                    _period(scope), stage=stage, bucket=bucket, done_at__lt=scope.until).order_by("worked_seconds").values_list(
                    "worked_seconds", flat=True)[rank - below - 1:rank - below])
                if values:
                    agg[f"p90_{stage}"] = values[0]
                break
            below += count
        if f"p90_{stage}" not in agg:
            # The rollup disagrees with the facts (`qinqing rollup --check` says where):
            # count this one from the facts rather than show a wrong time.
            logger.error("insights: working-time buckets disagree with the facts for %s, "
                         "%s..%s; run `qinqing rollup --check`", stage, scope.start, scope.end)
            fallback: dict[str, dict] = defaultdict(dict)
            _p90_from_facts(Fact.objects.filter(_period(scope), row=Fact.Row.CLOCK,
                                                stage=stage),
                            _grouping(None, scope, masters, "received_on"), scope.until,
                            fallback)
            agg[f"p90_{stage}"] = fallback[""].get(f"p90_{stage}")


def nearest_rank_position(n: int, share_tenths: int = 9) -> int:
    """1-based rank of the nearest-rank percentile: ⌈share·n⌉ (at least 1)."""
    return max((share_tenths * n + 9) // 10, 1)


# ---------------------------------------------------------------------- the API

def scope_case_ids(scope: Scope):
    """The ids of a scope's cases (a subquery), with exactly the figures' semantics; for
    lists that go with figures, such as a bulletin's typical cases."""
    validate(scope)
    return Fact.objects.filter(
        _dimension_filter(scope, _masters()), row=Fact.Row.CASE,
        received_on__gte=scope.start, received_on__lte=scope.end).values("case_id")


def figures(scope: Scope, names: list[str] | None = None, *, now: datetime | None = None,
            source: str = "auto") -> dict[str, Figure]:
    """The named figures of a scope (all of METRICS when names is None), in that order.

    source: "auto" (the rollups where they can answer, else the facts), or "facts" or
    "rollup" to force one (the tests compare them)."""
    names = _names(names)
    with snapshot():
        _grouping_, result = _run(names, scope, None, now=now, source=source)
    agg = result.get("", {})
    return {name: METRICS[name].figure(agg) for name in names}


def breakdown(name: str, scope: Scope, by: str, *, now: datetime | None = None,
              source: str = "auto") -> list[tuple[str, str, Figure]]:
    """(key, label, figure) per group of the scope's cases; see the module's docstring."""
    return breakdowns([name], scope, by, now=now, source=source)[name]


def breakdowns(names: list[str], scope: Scope, by: str, *, now: datetime | None = None,
               source: str = "auto") -> dict[str, list[tuple[str, str, Figure]]]:
    """breakdown() of several figures at once, sharing the queries."""
    names = _names(names)
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


# ------------------------------------------------------------ accountability

SANCTION = "sanction"  # a breakdown of the accountability figures only


def _sanctions(scope: Scope, masters: _Masters) -> list[tuple[str, str, int]]:
    """(sanction code, name, records) of the scope's period and region, every active
    sanction type listed (qinqing.oversight, which keeps the records and their officials'
    names; only counts leave it)."""
    from qinqing.oversight.queries import outcomes_by_sanction
    from qinqing.org.models import Unit

    within = None
    code = scope.unit or scope.region  # the unit is the narrower; validate() checked both
    if code:
        info = masters.unit_by_code[code]
        within = Unit(pk=info.pk, code=info.code, path=info.path, kind=info.kind)
    return [(row.sanction.code, str(row.sanction), row.count)
            for row in outcomes_by_sanction(scope.start, scope.end, region=within)]


def breakable(by: str) -> list[str]:
    """The figures that can be broken down `by` (the accountability figures by sanction
    only, the others by anything but sanction)."""
    return [name for name, metric in METRICS.items()
            if (metric.family == "accountability") == (by == SANCTION)]


def _by_sanction(names: list[str], scope: Scope) -> dict[str, list[tuple[str, str, Figure]]]:
    if any(METRICS[name].family != "accountability" for name in names):
        raise InvalidScope({"by": _("Only the accountability figures are broken down by "
                                    "sanction.")})
    validate(scope)
    rows = _sanctions(scope, _masters())
    return {name: [(code, label, METRICS[name].figure({"accountability": n}))
                   for code, label, n in rows] for name in names}


def rounded_percent(value: Decimal | None) -> str:
    """A ratio as a per-cent string to one decimal (for summaries), or "—"."""
    return "—" if value is None else _round(value * 100, "0.1")
