"""Working-time arithmetic for statutory time limits (时限).

Every computation happens in Asia/Shanghai. Internally we use naive Shanghai
wall-clock datetimes: China has had no daylight saving time since 1991, so
wall-clock arithmetic is exact there and skips the tzinfo overhead on the hot
path. Aware datetimes in any zone are accepted and aware Shanghai datetimes are
returned.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from fractions import Fraction
from functools import lru_cache
from importlib import metadata
from itertools import islice
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar

from .limits import Limit, LimitUnit

__all__ = [
    "SHANGHAI",
    "DaySource",
    "Deadline",
    "Elapsed",
    "OfficeHours",
    "WorkingCalendar",
    "compute_deadline",
    "elapsed",
    "next_office_moment",
    "add_office_time",
    "office_time_between",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Even the Spring Festival break is under ten days; 400 rest days in a row can
# only be misconfigured overrides, and without a bound we would loop forever.
MAX_REST_RUN = 400

_ONE_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
_US_PER_HOUR = 3_600_000_000
_PERIOD_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})")
_OFFICE_HOURS_HELP = "write comma-separated HH:MM-HH:MM periods, e.g. 09:00-12:00,13:30-17:30"


@dataclass(frozen=True)
class OfficeHours:
    """The daily office periods of a working day, in Shanghai time."""

    periods: tuple[tuple[time, time], ...] = (
        (time(9, 0), time(12, 0)),
        (time(13, 30), time(17, 30)),
    )

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        object.__setattr__(self, "periods", periods)
        if not periods:
            raise ValueError("office hours need at least one period")
        for start, end in periods:
            for moment in (start, end):
                # Whole minutes keep minutes_per_day an integer and the version string exact.
                if (
                    not isinstance(moment, time)
                    or moment.tzinfo is not None
                    or moment.second
                    or moment.microsecond
                ):
                    raise ValueError(
                        f"office hours must be naive whole-minute times, got {moment!r}"
                    )
            if start >= end:
                raise ValueError(
                    f"office period {_hhmm(start)}-{_hhmm(end)} must start before it ends"
                )
        for (prev_start, prev_end), (start, end) in zip(periods, periods[1:]):
            if start < prev_end:
                raise ValueError(
                    f"office periods must be in order and must not overlap: "
                    f"{_hhmm(prev_start)}-{_hhmm(prev_end)} then {_hhmm(start)}-{_hhmm(end)}"
                )

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Parse ``09:00-12:00,13:30-17:30``."""
        periods = []
        for part in text.split(","):
            match = _PERIOD_RE.fullmatch(part.strip())
            if match is None:
                raise ValueError(f"invalid office hours {text!r}: {_OFFICE_HOURS_HELP}")
            h1, m1, h2, m2 = (int(group) for group in match.groups())
            try:
                periods.append((time(h1, m1), time(h2, m2)))
            except ValueError:
                raise ValueError(
                    f"invalid office hours {text!r}: {part.strip()!r} is not a valid time of day"
                ) from None
        try:
            return cls(tuple(periods))
        except ValueError as error:
            raise ValueError(f"invalid office hours {text!r}: {error}") from None

    @property
    def minutes_per_day(self) -> int:
        return sum(_minute_of_day(end) - _minute_of_day(start) for start, end in self.periods)

    @property
    def day_end(self) -> time:
        """End of the last period: where a working-day deadline falls."""
        return self.periods[-1][1]

    def __str__(self) -> str:
        return ",".join(f"{_hhmm(start)}-{_hhmm(end)}" for start, end in self.periods)


class DaySource(str, Enum):
    """Where a date's working/rest status came from."""

    OVERRIDE = "override"
    STATUTORY = "statutory"
    ASSUMED = "assumed"

    def __str__(self) -> str:
        return self.value


class WorkingCalendar:
    """Which dates are working days, and the office hours on them.

    Overrides (date -> True for working day, False for rest day) win over the
    chinese_calendar package. A year the package does not cover becomes known
    as soon as one override falls in it: the administrator is then expected to
    enter that year's holidays and make-up working days (调休), and all other
    dates follow the Monday-Friday week with source OVERRIDE. Dates in years
    nobody knows about follow the same week with source ASSUMED, which makes
    any deadline depending on them provisional.
    """

    def __init__(
        self,
        office_hours: OfficeHours = OfficeHours(),
        overrides: Mapping[date, bool] | None = None,
    ) -> None:
        clean: dict[date, bool] = {}
        for day, working in (overrides or {}).items():
            # datetime is a date subclass; a datetime key would never match a lookup.
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"override keys must be dates, got {day!r}")
            if not isinstance(working, bool):
                raise TypeError(f"override for {day} must be True or False, got {working!r}")
            clean[day] = working
        self._office_hours = office_hours
        self._overrides = clean
        self._override_years = frozenset(day.year for day in clean)
        self._days: dict[date, tuple[bool, DaySource]] = {}
        listing = "\n".join(f"{day.isoformat()}={int(w)}" for day, w in sorted(clean.items()))
        digest = hashlib.sha256(listing.encode()).hexdigest()[:12]
        self._version = (
            f"chinesecalendar={_package_version()};overrides={digest};hours={office_hours}"
        )

    @property
    def office_hours(self) -> OfficeHours:
        return self._office_hours

    @property
    def overrides(self) -> Mapping[date, bool]:
        return MappingProxyType(self._overrides)

    @property
    def version(self) -> str:
        """Identifies the data behind every answer; stored with deadlines for audit."""
        return self._version

    def is_known_year(self, year: int) -> bool:
        return _package_covers(year) or year in self._override_years

    def is_workday(self, day: date) -> bool:
        return self._status(day)[0]

    def day_source(self, day: date) -> DaySource:
        return self._status(day)[1]

    def assumed_dates(self, first: date, last: date) -> tuple[date, ...]:
        """Dates in ``first..last`` (inclusive) whose status is only assumed."""
        found = []
        day = first
        while day <= last:
            if self._status(day)[1] is DaySource.ASSUMED:
                found.append(day)
            day += _ONE_DAY
        return tuple(found)

    def _status(self, day: date) -> tuple[bool, DaySource]:
        try:
            return self._days[day]
        except KeyError:
            pass
        if isinstance(day, datetime):
            raise TypeError(f"expected a date, got datetime {day!r}")
        if day in self._overrides:
            status = (self._overrides[day], DaySource.OVERRIDE)
        elif _package_covers(day.year):
            status = (chinese_calendar.is_workday(day), DaySource.STATUTORY)
        elif day.year in self._override_years:
            status = (day.weekday() < 5, DaySource.OVERRIDE)
        else:
            status = (day.weekday() < 5, DaySource.ASSUMED)
        self._days[day] = status
        return status

    def __repr__(self) -> str:
        return f"WorkingCalendar({self._version!r})"


@dataclass(frozen=True)
class Deadline:
    """When a time limit started at ``start`` runs out."""

    due: datetime
    limit: Limit
    start: datetime
    provisional: bool
    assumed_dates: tuple[date, ...]

    @property
    def assumed_years(self) -> tuple[int, ...]:
        return tuple(sorted({day.year for day in self.assumed_dates}))


@dataclass(frozen=True)
class Elapsed:
    """How much of a limit's unit has passed between two moments."""

    amount: Fraction
    provisional: bool
    assumed_dates: tuple[date, ...]

    @property
    def assumed_years(self) -> tuple[int, ...]:
        return tuple(sorted({day.year for day in self.assumed_dates}))


def compute_deadline(calendar: WorkingCalendar, start: datetime, limit: Limit) -> Deadline:
    """The moment ``limit`` runs out for a stage starting at ``start``.

    Working days: the start day does not count (Chinese administrative
    procedure); the deadline is the end of office hours on the Nth working day
    after it. Working hours: only office time counts, and a deadline that lands
    exactly on a period end stays there (12:00, not 13:30).
    """
    local = _local(start, "start")
    aware_start = local.replace(tzinfo=SHANGHAI)
    if limit.unit is LimitUnit.NATURAL_HOURS:
        # Via UTC so a start given in a DST zone still means elapsed physical time.
        due = start.astimezone(timezone.utc) + timedelta(hours=limit.amount)
        return Deadline(due.astimezone(SHANGHAI), limit, aware_start, False, ())

    if limit.unit is LimitUnit.WORKING_DAYS:
        first = local.date() + _ONE_DAY
        due_day = next(islice(_workdays_from(calendar, first), limit.amount - 1, None))
        due = datetime.combine(due_day, calendar.office_hours.day_end)
    else:
        first = local.date()
        due = _add_office_time(calendar, local, timedelta(hours=limit.amount))
    assumed = calendar.assumed_dates(first, due.date())
    return Deadline(due.replace(tzinfo=SHANGHAI), limit, aware_start, bool(assumed), assumed)


def elapsed(
    calendar: WorkingCalendar, start: datetime, end: datetime, unit: LimitUnit
) -> Elapsed:
    """How much time in ``unit`` has run from ``start`` to ``end``.

    Measured so that the deadline of an N-unit limit is exactly N. When ``end``
    is before ``start`` the clock has not started yet, so nothing has elapsed
    (a negative amount would read as time credited back to the handler).
    """
    unit = LimitUnit(unit)
    local_start, local_end = _local(start, "start"), _local(end, "end")
    if local_end <= local_start:
        return Elapsed(Fraction(0), False, ())

    if unit is LimitUnit.NATURAL_HOURS:
        span = end.astimezone(timezone.utc) - start.astimezone(timezone.utc)
        return Elapsed(Fraction(span // _MICROSECOND, _US_PER_HOUR), False, ())

    if unit is LimitUnit.WORKING_HOURS:
        office = _office_time_between(calendar, local_start, local_end)
        amount = Fraction(office // _MICROSECOND, _US_PER_HOUR)
        assumed = calendar.assumed_dates(local_start.date(), local_end.date())
        return Elapsed(amount, bool(assumed), assumed)

    start_day, end_day = local_start.date(), local_end.date()
    if end_day == start_day:
        return Elapsed(Fraction(0), False, ())
    whole = 0
    day = start_day + _ONE_DAY
    while day < end_day:
        whole += calendar.is_workday(day)
        day += _ONE_DAY
    # The last day counts by the share of its office time already used.
    used_today = _office_time_between(calendar, datetime.combine(end_day, time.min), local_end)
    day_length = timedelta(minutes=calendar.office_hours.minutes_per_day)
    amount = whole + Fraction(used_today // _MICROSECOND, day_length // _MICROSECOND)
    assumed = calendar.assumed_dates(start_day + _ONE_DAY, end_day)
    return Elapsed(amount, bool(assumed), assumed)


def add_office_time(calendar: WorkingCalendar, start: datetime, amount: timedelta) -> datetime:
    """The moment ``amount`` of office time after ``start`` (for warning points and pauses)."""
    if amount < timedelta(0):
        raise ValueError("office time to add must not be negative")
    due = _add_office_time(calendar, _local(start, "start"), amount)
    return due.replace(tzinfo=SHANGHAI)


def office_time_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Office time between two moments; zero when ``end`` is not after ``start``."""
    local_start, local_end = _local(start, "start"), _local(end, "end")
    if local_end <= local_start:
        return timedelta(0)
    return _office_time_between(calendar, local_start, local_end)


def next_office_moment(calendar: WorkingCalendar, moment: datetime) -> datetime:
    """The earliest office instant at or after ``moment`` (periods are half-open)."""
    local = _local(moment, "moment")
    for day in _workdays_from(calendar, local.date()):
        for start, end in calendar.office_hours.periods:
            if datetime.combine(day, end) > local:
                return max(datetime.combine(day, start), local).replace(tzinfo=SHANGHAI)
    raise AssertionError("unreachable: _workdays_from never ends")  # pragma: no cover


def _add_office_time(calendar: WorkingCalendar, local: datetime, amount: timedelta) -> datetime:
    remaining = amount
    for day in _workdays_from(calendar, local.date()):
        for start, end in calendar.office_hours.periods:
            period_end = datetime.combine(day, end)
            if period_end <= local:
                continue
            begin = max(datetime.combine(day, start), local)
            available = period_end - begin
            # "<=" so that running out exactly at a period end stays at that end.
            if remaining <= available:
                return begin + remaining
            remaining -= available
    raise AssertionError("unreachable: _workdays_from never ends")  # pragma: no cover


def _office_time_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    """Office time in [start, end], both naive Shanghai; one step per day."""
    periods = calendar.office_hours.periods
    full_day = timedelta(minutes=calendar.office_hours.minutes_per_day)
    total = timedelta()
    day, last = start.date(), end.date()
    while day <= last:
        if calendar.is_workday(day):
            if start.date() < day < last:
                total += full_day
            else:
                for period_start, period_end in periods:
                    low = max(datetime.combine(day, period_start), start)
                    high = min(datetime.combine(day, period_end), end)
                    if high > low:
                        total += high - low
        day += _ONE_DAY
    return total


def _workdays_from(calendar: WorkingCalendar, first: date) -> Iterator[date]:
    """Working days from ``first`` on, refusing an absurd run of rest days."""
    day = first
    last_workday = first - _ONE_DAY
    while True:
        if calendar.is_workday(day):
            last_workday = day
            yield day
        elif (day - last_workday).days >= MAX_REST_RUN:
            raise ValueError(
                f"no working day in the {MAX_REST_RUN} days from "
                f"{(last_workday + _ONE_DAY).isoformat()} to {day.isoformat()}; "
                f"check the calendar overrides, they probably mark too many rest days"
            )
        day += _ONE_DAY


def _local(moment: datetime, name: str) -> datetime:
    """Naive Shanghai wall-clock time of an aware datetime."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {moment!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}")
    return moment.astimezone(SHANGHAI).replace(tzinfo=None)


@lru_cache(maxsize=None)
def _package_covers(year: int) -> bool:
    # chinese_calendar signals a year it has no data for with NotImplementedError.
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=1)
def _package_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        return "unknown"


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _minute_of_day(moment: time) -> int:
    return moment.hour * 60 + moment.minute
