"""GET /api/v1/metrics: figures of a scope, with their formulas, numerators, denominators.

Thin: the query is validated here (types by the schema, meaning by metrics.validate), the
scope checked against what the caller may see (queries.scope_for), and the figures come
from qinqing.insights.metrics.
"""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import Channel, Kind
from qinqing.cases.schemas import ErrorOut
from qinqing.insights import queries
from qinqing.insights.metrics import (
    BREAKDOWNS, MAX_DAYS, METRICS, SANCTION, Figure, InvalidScope, Scope, breakable, breakdowns,
    figures, validate,
)
from qinqing.text import RefuseControlChars

router = Router(tags=["figures"])
ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}


class MetricsQuery(RefuseControlChars, Schema):
    start: date = Field(description="first day of the period (local date, YYYY-MM-DD)")
    end: date = Field(description="last day of the period, included")
    region: str = Field("", max_length=32, description="region code: that region and below")
    unit: str = Field("", max_length=32, description="lead unit code: that unit and below")
    kind: Kind | None = None
    channel: Channel | None = None
    category: str = Field("", max_length=32, description="category code: it and its children")
    names: list[str] = Field(default_factory=list, description=(
        "figures wanted (repeat the parameter or separate with commas); default: all"))
    by: str = Field("", max_length=12, description="also break down by: " + ", ".join(
        (*BREAKDOWNS, SANCTION)) + " (sanction: the accountability figures only)")


class FigureOut(Schema):
    name: str
    label: str
    formula: str
    value: str | None = Field(description="exact value as a decimal string; null when the "
                                          "denominator is 0")
    numerator: int | None
    denominator: int | None
    unit: str = Field(description="count, ratio (0–1) or seconds (working time)")
    text: str = Field(description="the value as shown, rounded")


class ScopeOut(Schema):
    start: date
    end: date
    region: str
    unit: str
    kind: str
    channel: str
    category: str


class GroupOut(Schema):
    key: str
    label: str
    figures: list[FigureOut]


class MetricsOut(Schema):
    scope: ScopeOut
    figures: list[FigureOut]
    by: str = ""
    groups: list[GroupOut] = Field(default_factory=list)


def _names(raw: list[str]) -> list[str] | None:
    names = [n.strip() for item in raw for n in item.split(",") if n.strip()]
    if not names:
        return None
    unknown = sorted({n for n in names if n not in METRICS})
    if unknown:
        raise InvalidInput(_("Some fields need correcting."), fields={"names": _(
            "Unknown figures: %(names)s. Known: %(known)s.") % {
                "names": ", ".join(unknown), "known": ", ".join(METRICS)}})
    return list(dict.fromkeys(names))


def _out(figure: Figure) -> dict:
    return figure.as_dict()


@router.get("/metrics", response={200: MetricsOut, **ERRORS},
            summary="Figures of a period and scope, each with formula, numerator and denominator")
def metrics(request: HttpRequest, q: Query[MetricsQuery]):
    """Who may read which scope: a member of the city government any scope; a member of
    a county, district or zone government that region and below (the default); a member
    of any other unit the cases led by that unit and its sub-units (the default)."""
    errors = {}
    if q.end < q.start:
        errors["end"] = _("The end of the period is before its start.")
    elif (q.end - q.start).days > MAX_DAYS:
        errors["end"] = _("A period may be at most %(years)s years long.") % {"years": 20}
    if q.by and q.by not in (*BREAKDOWNS, SANCTION):
        errors["by"] = _("Break down by one of: %(values)s.") % {
            "values": ", ".join((*BREAKDOWNS, SANCTION))}
    if errors:
        raise InvalidInput(_("Some fields need correcting."), fields=errors)
    names = _names(q.names)
    scope = Scope(q.start, q.end, region=q.region.strip(), unit=q.unit.strip(),
                  kind=q.kind or "", channel=q.channel or "", category=q.category.strip())
    try:
        validate(scope)
        scope = queries.scope_for(request.auth, scope)
        result = {"scope": scope.__dict__,
                  "figures": [_out(f) for f in figures(scope, names).values()]}
        if q.by:
            groups = breakdowns(names or breakable(q.by), scope, q.by)
            first = next(iter(groups.values()))
            result["by"] = q.by
            result["groups"] = [{"key": key, "label": label,
                                 "figures": [_out(groups[name][i][2]) for name in groups]}
                                for i, (key, label, _f) in enumerate(first)]
    except InvalidScope as exc:
        raise InvalidInput(_("Some fields need correcting."), fields=exc.fields) from None
    return result
