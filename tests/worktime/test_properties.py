from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qinqing.worktime.calendar import SHANGHAI, WorkingCalendar, compute_deadline, elapsed
from qinqing.worktime.limits import Limit, LimitUnit

ZONES = [SHANGHAI, timezone.utc, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kathmandu")]

starts = st.datetimes(
    min_value=datetime(2023, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59, 59),
    timezones=st.sampled_from(ZONES),
)
overrides = st.one_of(
    st.just({}),
    st.dictionaries(st.dates(date(2023, 1, 1), date(2028, 12, 31)), st.booleans(), max_size=12),
)
working_limits = st.one_of(
    st.builds(Limit, st.integers(1, 30), st.just(LimitUnit.WORKING_DAYS)),
    st.builds(Limit, st.integers(1, 80), st.just(LimitUnit.WORKING_HOURS)),
)
all_limits = st.one_of(
    working_limits, st.builds(Limit, st.integers(1, 500), st.just(LimitUnit.NATURAL_HOURS))
)

PROPERTY = settings(max_examples=200, deadline=None)


def in_office(calendar: WorkingCalendar, moment: datetime) -> bool:
    local = moment.astimezone(SHANGHAI)
    if not calendar.is_workday(local.date()):
        return False
    clock = local.time().replace(tzinfo=None)
    return any(start < clock <= end for start, end in calendar.office_hours.periods)


@PROPERTY
@given(start=starts, limit=working_limits, days=overrides)
def test_due_is_inside_office_time(start, limit, days):
    calendar = WorkingCalendar(overrides=days)
    result = compute_deadline(calendar, start, limit)
    assert result.due.tzinfo is SHANGHAI
    assert result.due > start
    assert in_office(calendar, result.due)
    if limit.unit is LimitUnit.WORKING_DAYS:
        assert result.due.time() == calendar.office_hours.day_end
    assert result.provisional == bool(result.assumed_dates)
    assert all(not calendar.is_known_year(d.year) for d in result.assumed_dates)
    first, last = start.astimezone(SHANGHAI).date(), result.due.date()
    assert all(first <= d <= last for d in result.assumed_dates)


@PROPERTY
@given(start=starts, unit=st.sampled_from([LimitUnit.WORKING_DAYS, LimitUnit.WORKING_HOURS]),
       a=st.integers(1, 30), b=st.integers(1, 30), days=overrides)
def test_more_time_means_later_due(start, unit, a, b, days):
    assume(a != b)
    a, b = sorted((a, b))
    calendar = WorkingCalendar(overrides=days)
    assert compute_deadline(calendar, start, Limit(a, unit)).due < compute_deadline(
        calendar, start, Limit(b, unit)
    ).due


@PROPERTY
@given(start=starts, delay=st.timedeltas(timedelta(0), timedelta(days=20)), limit=all_limits,
       days=overrides)
def test_later_start_never_means_earlier_due(start, delay, limit, days):
    calendar = WorkingCalendar(overrides=days)
    # Shift in UTC: wall-clock addition in a DST zone is not always later.
    later_start = start.astimezone(timezone.utc) + delay
    earlier = compute_deadline(calendar, start, limit).due
    later = compute_deadline(calendar, later_start, limit).due
    assert later >= earlier


@PROPERTY
@given(start=starts, limit=all_limits, days=overrides)
def test_elapsed_at_due_is_the_limit(start, limit, days):
    calendar = WorkingCalendar(overrides=days)
    result = compute_deadline(calendar, start, limit)
    measured = elapsed(calendar, start, result.due, limit.unit)
    assert measured.amount == limit.amount
    assert measured.assumed_dates == result.assumed_dates


@PROPERTY
@given(start=starts, limit=all_limits, share=st.floats(0, 1, exclude_max=True), days=overrides)
def test_elapsed_before_due_is_less(start, limit, share, days):
    calendar = WorkingCalendar(overrides=days)
    due = compute_deadline(calendar, start, limit).due
    utc_start = start.astimezone(timezone.utc)
    moment = utc_start + (due - utc_start) * share
    assume(moment < due)
    assert 0 <= elapsed(calendar, start, moment, limit.unit).amount < limit.amount


@PROPERTY
@given(start=starts, amount=st.integers(1, 87600))
def test_natural_hours_are_exact(start, amount):
    result = compute_deadline(WorkingCalendar(), start, Limit(amount, LimitUnit.NATURAL_HOURS))
    assert result.due - start == timedelta(hours=amount)
    assert not result.provisional and result.assumed_dates == ()
