"""How a breakdown splits a scope's cases into groups: by the day, ISO week or month they
were received, or by kind, channel, region, lead unit, category or destination; each
group's key (e.g. "2026-01-05", "2026-W02", "2026-01", a unit code) and its label.

Each group is measured at the end of the whole scope, so the groups add up to the
scope's total (see the package's docstring).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case as When_, CharField, F, Value, When
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases.models import Channel, Kind
from qinqing.insights.metrics.masters import DESTINATIONS, Masters
from qinqing.insights.metrics.scope import InvalidScope, Scope

BREAKDOWNS = ("day", "week", "month", "kind", "channel", "region", "unit", "category",
              "destination")
TIME_BREAKDOWNS = ("day", "week", "month")
SLICE_BREAKDOWNS = ("kind", "channel", "region", "destination")  # the rollups' slices
SANCTION = "sanction"  # a breakdown of the accountability figures only

@dataclass
class Grouping:
    """How a breakdown groups rows: an SQL expression (None: no grouping), and the key and
    label of each group."""

    by: str
    expression: Any
    key: Callable[[Any], str]
    label: Callable[[str], str]
    keys: list[str] = field(default_factory=list)  # groups always listed, even if empty


def make_grouping(by: str | None, scope: Scope, masters: Masters, date_field: str) -> Grouping:
    if by is None:
        return Grouping("", None, lambda v: "", lambda k: "")
    if by == "day":
        days = [scope.start + timedelta(days=i) for i in range((scope.end - scope.start).days + 1)]
        return Grouping(by, date_field, _day_key, _day_label, [d.isoformat() for d in days])
    if by == "week":
        return Grouping(by, TruncWeek(date_field), _week_key, _week_label,
                         sorted({_week_key(scope.start + timedelta(days=i))
                                 for i in range((scope.end - scope.start).days + 1)}))
    if by == "month":
        months, day = [], scope.start.replace(day=1)
        while day <= scope.end:
            months.append(_month_key(day))
            day = (day + timedelta(days=32)).replace(day=1)
        return Grouping(by, TruncMonth(date_field), _month_key, _month_label, months)
    if by == "kind":
        return Grouping(by, "kind", str, lambda k: str(Kind(k).label) if k in Kind.values else k,
                         sorted(Kind.values))
    if by == "channel":
        return Grouping(by, "channel", str,
                         lambda k: str(Channel(k).label) if k in Channel.values else k,
                         sorted(Channel.values))
    if by == "region":
        return Grouping(by, "region_id", lambda pk: masters.units[pk].code,
                         lambda code: masters.unit_by_code[code].label)
    if by == "unit":
        return Grouping(by, "lead_unit_id",
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
        return Grouping(by, expression, str,
                         lambda k: str(DESTINATIONS[k]) if k else _("Not routed"),
                         sorted(DESTINATIONS))
    raise InvalidScope({"by": _("Break down by one of: %(values)s.") % {
        "values": ", ".join(BREAKDOWNS)}})


def _category_grouping(scope: Scope, masters: Masters) -> Grouping:
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

    return Grouping("category", expression, str, label)


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


# A grouping by the facts' own dimensions (DIM_FIELDS), keyed by their tuple: the rollups'
# correction is counted per (day, kind, channel, region, lead unit) and then regrouped.
BY_DIMENSIONS = "_dimensions"
DIM_FIELDS = ("received_on", "kind", "channel", "region_id", "lead_unit_id")
DIMENSIONS = Grouping(BY_DIMENSIONS, None, lambda value: value, lambda key: "")


def rows_by_group(qs, grouping: Grouping, **aggregates) -> Iterable[tuple[str, dict]]:
    """(group key, aggregates) per group of a queryset's rows."""
    if grouping.by == BY_DIMENSIONS:
        for row in qs.values(*DIM_FIELDS).annotate(**aggregates).order_by():
            yield tuple(row.pop(name) for name in DIM_FIELDS), row
        return
    if grouping.expression is None:
        yield "", qs.aggregate(**aggregates)
        return
    rows = (qs.annotate(_group=expr(grouping.expression)).values("_group")
            .annotate(**aggregates).order_by())
    for row in rows:
        group = row.pop("_group")
        yield grouping.key(group), row


def expr(expression):
    """A grouping's expression as Django takes it (a field name becomes F(name))."""
    return F(expression) if isinstance(expression, str) else expression
