"""The scope of a figure (the period and the filters) and its validation.

What a scope means is said in the package's docstring (metrics/__init__.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases.models import Channel, Kind
from qinqing.insights.metrics.masters import master_data
from qinqing.org.models import REGION_KINDS


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
    masters = master_data()
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

