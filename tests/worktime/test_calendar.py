import re
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from qinqing.worktime.calendar import (
    SHANGHAI,
    DaySource,
    OfficeHours,
    WorkingCalendar,
    compute_deadline,
    elapsed,
    next_office_moment,
)
from qinqing.worktime.limits import LimitUnit, parse_limit

CAL = WorkingCalendar()
D, H, N = LimitUnit.WORKING_DAYS, LimitUnit.WORKING_HOURS, LimitUnit.NATURAL_HOURS


def at(y, m, d, hh=0, mm=0, tz=SHANGHAI):
    return datetime(y, m, d, hh, mm, tzinfo=tz)


def deadline(start, text, cal=CAL):
    return compute_deadline(cal, start, parse_limit(text))


def due(start, text, cal=CAL):
    return deadline(start, text, cal).due


# --- the cases the specification insists on -------------------------------------------


def test_national_day_skipped():
    result = deadline(at(2024, 9, 30, 10), "3d")
    assert result.due == at(2024, 10, 10, 17, 30)
    assert not result.provisional and result.assumed_dates == ()
    assert result.start == at(2024, 9, 30, 10)
    assert result.limit == parse_limit("3d")


def test_make_up_sunday_counts_for_working_hours():
    assert due(at(2024, 9, 27, 17), "1h") == at(2024, 9, 29, 9, 30)


def test_start_on_make_up_saturday():
    assert CAL.is_workday(date(2024, 10, 12))
    assert CAL.day_source(date(2024, 10, 12)) is DaySource.STATUTORY
    assert due(at(2024, 10, 12, 10), "1d") == at(2024, 10, 14, 17, 30)


def test_spring_festival_2026():
    assert chinese_calendar.is_workday(date(2026, 2, 14))  # make-up Saturday
    assert due(at(2026, 2, 13, 10), "1d") == at(2026, 2, 14, 17, 30)
    assert due(at(2026, 2, 13, 10), "2d") == at(2026, 2, 24, 17, 30)
    # 30 minutes left on the make-up Saturday, the rest after the holiday.
    assert due(at(2026, 2, 14, 17), "2h") == at(2026, 2, 24, 10, 30)
    assert due(at(2026, 2, 27, 10), "1d") == at(2026, 2, 28, 17, 30)
    assert not deadline(at(2026, 2, 13, 10), "10d").provisional


# --- unknown years ------------------------------------------------------------------------


def test_crossing_into_unknown_year_is_provisional():
    assert chinese_calendar.is_workday(date(2026, 12, 31))
    assert not CAL.is_known_year(2027)
    result = deadline(at(2026, 12, 30, 10), "3d")
    # 12-31 Thu (1), 2027-01-01 Fri assumed (2), 01-04 Mon assumed (3)
    assert result.due == at(2027, 1, 4, 17, 30)
    assert result.provisional
    assert result.assumed_dates == tuple(date(2027, 1, d) for d in (1, 2, 3, 4))
    assert result.assumed_years == (2027,)


def test_within_known_year_not_provisional():
    result = deadline(at(2026, 12, 30, 10), "1d")
    assert result.due == at(2026, 12, 31, 17, 30)
    assert not result.provisional


def test_override_makes_year_known():
    cal = WorkingCalendar(overrides={date(2027, 1, 1): False})
    assert cal.is_known_year(2027)
    result = deadline(at(2026, 12, 30, 10), "3d", cal)
    assert result.due == at(2027, 1, 5, 17, 30)
    assert not result.provisional and result.assumed_dates == ()
    assert cal.day_source(date(2027, 1, 1)) is DaySource.OVERRIDE
    assert cal.day_source(date(2027, 1, 4)) is DaySource.OVERRIDE
    assert not cal.is_workday(date(2027, 1, 2))  # weekends stay rest days


def test_day_sources_and_known_years():
    assert CAL.is_known_year(2004) and CAL.is_known_year(2024) and CAL.is_known_year(2026)
    assert not CAL.is_known_year(2003) and not CAL.is_known_year(2030)
    assert CAL.day_source(date(2030, 6, 3)) is DaySource.ASSUMED
    assert CAL.is_workday(date(2030, 6, 3))  # Monday
    assert not CAL.is_workday(date(2030, 6, 1))  # Saturday
    assert CAL.day_source(date(2024, 6, 3)) is DaySource.STATUTORY


def test_start_in_unknown_year_working_days_ignores_start_day_status():
    result = deadline(at(2030, 6, 3, 10), "1d")
    assert result.due == at(2030, 6, 4, 17, 30)
    assert result.assumed_dates == (date(2030, 6, 4),)


# --- overrides ----------------------------------------------------------------------------


def test_override_weekday_to_holiday():
    cal = WorkingCalendar(overrides={date(2024, 10, 9): False})
    assert not cal.is_workday(date(2024, 10, 9))
    assert cal.day_source(date(2024, 10, 9)) is DaySource.OVERRIDE
    assert due(at(2024, 9, 30, 10), "3d", cal) == at(2024, 10, 11, 17, 30)


def test_override_weekend_to_working_day():
    cal = WorkingCalendar(overrides={date(2024, 10, 19): True})
    assert due(at(2024, 10, 18, 10), "1d") == at(2024, 10, 21, 17, 30)
    assert due(at(2024, 10, 18, 10), "1d", cal) == at(2024, 10, 19, 17, 30)


def test_override_cancels_make_up_day():
    cal = WorkingCalendar(overrides={date(2024, 9, 29): False})
    assert due(at(2024, 9, 27, 17), "1h", cal) == at(2024, 9, 30, 9, 30)


def test_override_validation():
    with pytest.raises(TypeError):
        WorkingCalendar(overrides={datetime(2024, 1, 1): True})
    with pytest.raises(TypeError):
        WorkingCalendar(overrides={date(2024, 1, 1): 1})
    with pytest.raises(TypeError):
        WorkingCalendar(overrides={"2024-01-01": True})


def test_everything_rest_is_refused():
    days = {date(2024, 1, 1) + timedelta(days=i): False for i in range(500)}
    cal = WorkingCalendar(overrides=days)
    with pytest.raises(ValueError, match="no working day in the 400 days"):
        deadline(at(2024, 1, 1, 10), "1d", cal)
    with pytest.raises(ValueError, match="no working day"):
        deadline(at(2024, 1, 1, 10), "1h", cal)
    with pytest.raises(ValueError, match="no working day"):
        next_office_moment(cal, at(2024, 1, 1, 10))


def test_long_holiday_below_bound_is_fine():
    days = {date(2024, 1, 1) + timedelta(days=i): False for i in range(300)}
    cal = WorkingCalendar(overrides=days)
    assert due(at(2024, 1, 1, 10), "1d", cal) == at(2024, 10, 28, 17, 30)


# --- working hours ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        (at(2024, 10, 14, 7, 45), "2h", at(2024, 10, 14, 11)),  # before opening
        (at(2024, 10, 14, 12, 30), "1h", at(2024, 10, 14, 14, 30)),  # at lunch
        (at(2024, 10, 14, 12), "1h", at(2024, 10, 14, 14, 30)),  # exactly at a period end
        (at(2024, 10, 14, 18), "1h", at(2024, 10, 15, 10)),  # after closing
        (at(2024, 10, 14, 17, 30), "1h", at(2024, 10, 15, 10)),  # exactly at closing
        (at(2024, 10, 3, 10), "1h", at(2024, 10, 8, 10)),  # on a holiday
        (at(2024, 10, 14, 16, 30), "16h", at(2024, 10, 17, 10)),  # several days
        (at(2024, 10, 14, 11, 15), "1h", at(2024, 10, 14, 13, 45)),  # across lunch
    ],
)
def test_working_hours(start, limit, expected):
    assert due(start, limit) == expected


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        (at(2024, 10, 14, 10), "2h", at(2024, 10, 14, 12)),
        (at(2024, 10, 14, 9), "3h", at(2024, 10, 14, 12)),
        (at(2024, 10, 14, 9), "7h", at(2024, 10, 14, 17, 30)),
        (at(2024, 10, 14, 7), "7h", at(2024, 10, 14, 17, 30)),
        (at(2024, 9, 27, 17), "1h", at(2024, 9, 29, 9, 30)),
    ],
)
def test_working_hours_end_exactly_at_period_end(start, limit, expected):
    assert due(start, limit) == expected


def test_seconds_are_kept():
    start = datetime(2024, 10, 14, 10, 0, 17, 5, tzinfo=SHANGHAI)
    assert due(start, "1h") == start + timedelta(hours=1)


# --- working days -------------------------------------------------------------------------


@pytest.mark.parametrize("hour", [0, 8, 10, 12, 17, 23])
def test_working_days_ignore_time_of_day(hour):
    assert due(at(2024, 10, 14, hour), "2d") == at(2024, 10, 16, 17, 30)


def test_working_day_from_weekend_start():
    assert due(at(2024, 10, 19, 10), "1d") == at(2024, 10, 21, 17, 30)


# --- natural hours ------------------------------------------------------------------------


def test_natural_hours_ignore_holidays():
    result = deadline(at(2024, 9, 30, 10), "24n")
    assert result.due == at(2024, 10, 1, 10)
    assert not result.provisional and result.assumed_dates == ()


def test_natural_hours_are_physical_time_across_dst():
    new_york = ZoneInfo("America/New_York")
    start = datetime(2024, 3, 9, 12, tzinfo=new_york)  # DST starts 2024-03-10
    result = deadline(start, "24n")
    assert result.due - start == timedelta(hours=24)
    assert result.due.astimezone(new_york) == datetime(2024, 3, 10, 13, tzinfo=new_york)
    assert elapsed(CAL, start, result.due, N).amount == 24


# --- time zones ---------------------------------------------------------------------------


def test_input_in_other_zone_is_converted():
    start = datetime(2024, 9, 30, 2, tzinfo=timezone.utc)  # 10:00 in Shanghai
    result = deadline(start, "3d")
    assert result.due == at(2024, 10, 10, 17, 30)
    assert result.start == at(2024, 9, 30, 10)
    assert result.due.tzinfo is SHANGHAI and result.start.tzinfo is SHANGHAI


def test_utc_evening_is_next_shanghai_day():
    # 2024-10-13 18:00 UTC is Monday 02:00 in Shanghai: the start day is Monday.
    assert due(datetime(2024, 10, 13, 18, tzinfo=timezone.utc), "1d") == at(2024, 10, 15, 17, 30)


def test_naive_datetimes_rejected():
    naive = datetime(2024, 10, 14, 10)
    with pytest.raises(ValueError, match="must be timezone-aware"):
        compute_deadline(CAL, naive, parse_limit("1d"))
    with pytest.raises(ValueError, match="must be timezone-aware"):
        elapsed(CAL, at(2024, 10, 14), naive, H)
    with pytest.raises(ValueError, match="must be timezone-aware"):
        next_office_moment(CAL, naive)


# --- next_office_moment -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2024, 10, 14, 10, 7), at(2024, 10, 14, 10, 7)),
        (at(2024, 10, 14, 9), at(2024, 10, 14, 9)),
        (at(2024, 10, 14, 12), at(2024, 10, 14, 13, 30)),
        (at(2024, 10, 14, 17, 30), at(2024, 10, 15, 9)),
        (at(2024, 9, 28, 10), at(2024, 9, 29, 9)),  # Saturday, then make-up Sunday
        (at(2024, 10, 1, 0), at(2024, 10, 8, 9)),
    ],
)
def test_next_office_moment(moment, expected):
    assert next_office_moment(CAL, moment) == expected


# --- elapsed ------------------------------------------------------------------------------


def test_elapsed_working_days():
    start = at(2024, 9, 30, 10)
    assert elapsed(CAL, start, at(2024, 9, 30, 17), D).amount == 0  # start day is free
    assert elapsed(CAL, start, at(2024, 10, 5, 12), D).amount == 0  # holidays
    assert elapsed(CAL, start, at(2024, 10, 8, 8), D).amount == 0
    assert elapsed(CAL, start, at(2024, 10, 9, 12), D).amount == 1 + Fraction(3, 7)
    assert elapsed(CAL, start, at(2024, 10, 9, 13), D).amount == 1 + Fraction(3, 7)
    assert elapsed(CAL, start, at(2024, 10, 10, 17, 30), D).amount == 3
    assert elapsed(CAL, start, at(2024, 10, 10, 23), D).amount == 3
    assert elapsed(CAL, start, at(2024, 10, 13, 12), D).amount == 5  # incl. make-up Saturday


def test_elapsed_working_hours():
    assert elapsed(CAL, at(2024, 10, 14, 11), at(2024, 10, 14, 14, 30), H).amount == 2
    assert elapsed(CAL, at(2024, 9, 27, 17), at(2024, 9, 29, 9, 30), H).amount == 1
    assert elapsed(CAL, at(2024, 10, 14, 9), at(2024, 10, 14, 9, 20), H).amount == Fraction(1, 3)


def test_elapsed_natural_hours():
    assert elapsed(CAL, at(2024, 10, 1, 10), at(2024, 10, 1, 11, 30), N).amount == Fraction(3, 2)


@pytest.mark.parametrize("unit", list(LimitUnit))
def test_elapsed_clamps_when_end_before_start(unit):
    result = elapsed(CAL, at(2024, 10, 14, 12), at(2024, 10, 14, 10), unit)
    assert result.amount == 0 and not result.provisional and result.assumed_dates == ()


def test_elapsed_over_a_year_is_exact():
    workdays_2024 = sum(
        chinese_calendar.is_workday(date(2024, 1, 1) + timedelta(days=i)) for i in range(366)
    )
    hours = elapsed(CAL, at(2024, 1, 1), at(2025, 1, 1), H).amount
    days = elapsed(CAL, at(2023, 12, 31), at(2025, 1, 1), D).amount
    assert hours == workdays_2024 * 7
    assert days == workdays_2024


def test_elapsed_provisional_in_unknown_year():
    result = elapsed(CAL, at(2026, 12, 30, 10), at(2027, 1, 4, 12), D)
    assert result.amount == 2 + Fraction(3, 7)
    assert result.provisional
    assert result.assumed_years == (2027,)
    assert not elapsed(CAL, at(2026, 12, 30, 10), at(2026, 12, 31, 12), D).provisional


def test_elapsed_accepts_unit_codes():
    assert elapsed(CAL, at(2024, 10, 14, 11), at(2024, 10, 14, 14, 30), "h").amount == 2


# --- office hours -------------------------------------------------------------------------


def test_default_office_hours():
    hours = OfficeHours()
    assert hours.minutes_per_day == 420
    assert str(hours) == "09:00-12:00,13:30-17:30"
    assert OfficeHours.parse("09:00-12:00,13:30-17:30") == hours
    assert OfficeHours.parse(" 9:00 - 12:00 , 13:30-17:30 ") == hours


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((time(12), time(9)),),
        ((time(9), time(9)),),
        ((time(13, 30), time(17, 30)), (time(9), time(12))),
        ((time(9), time(12)), (time(11), time(14))),
        ((time(9, 0, 30), time(12)),),
        ((time(9, tzinfo=SHANGHAI), time(12)),),
    ],
)
def test_office_hours_validation(periods):
    with pytest.raises(ValueError):
        OfficeHours(periods)


def test_touching_periods_allowed():
    assert OfficeHours(((time(9), time(12)), (time(12), time(13)))).minutes_per_day == 240


@pytest.mark.parametrize(
    "text",
    ["", "9-12", "09:00-25:00", "12:00-09:00", "09:00-12:00,11:00-13:00", "09:00-12:00;13:30-17:30",
     "09:00-12:00,", "09:60-12:00"],
)
def test_office_hours_parse_errors(text):
    with pytest.raises(ValueError, match=re.escape(f"invalid office hours {text!r}")):
        OfficeHours.parse(text)


def test_custom_summer_hours():
    summer = OfficeHours.parse("08:30-12:00,14:00-18:00")
    assert summer.minutes_per_day == 450
    cal = WorkingCalendar(summer)
    assert due(at(2024, 10, 14, 10), "1d", cal) == at(2024, 10, 15, 18)
    assert due(at(2024, 10, 14, 11, 30), "1h", cal) == at(2024, 10, 14, 14, 30)
    assert due(at(2024, 10, 14, 8), "3h", cal) == at(2024, 10, 14, 11, 30)
    assert due(at(2024, 10, 14, 17, 30), "1h", cal) == at(2024, 10, 15, 9)
    assert next_office_moment(cal, at(2024, 10, 14, 13)) == at(2024, 10, 14, 14)
    assert elapsed(cal, at(2024, 10, 14, 10), at(2024, 10, 15, 10), D).amount == Fraction(1, 5)
    assert cal.version.endswith(";hours=08:30-12:00,14:00-18:00")


def test_single_period_day():
    cal = WorkingCalendar(OfficeHours.parse("10:00-16:00"))
    assert due(at(2024, 10, 14, 15), "2h", cal) == at(2024, 10, 15, 11)


# --- version ------------------------------------------------------------------------------


def test_version_string():
    assert re.fullmatch(
        r"chinesecalendar=1\.11\.0;overrides=[0-9a-f]{12};hours=09:00-12:00,13:30-17:30",
        CAL.version,
    )


def test_version_tracks_data():
    a = WorkingCalendar(overrides={date(2027, 1, 1): False, date(2027, 2, 6): True})
    b = WorkingCalendar(overrides={date(2027, 2, 6): True, date(2027, 1, 1): False})
    c = WorkingCalendar(overrides={date(2027, 1, 1): False})
    d = WorkingCalendar(overrides={date(2027, 1, 1): True})
    e = WorkingCalendar(OfficeHours.parse("08:30-12:00,14:00-18:00"), {date(2027, 1, 1): False})
    assert a.version == b.version
    assert len({a.version, c.version, d.version, e.version, CAL.version}) == 5
    assert WorkingCalendar().version == CAL.version


def test_overrides_are_read_only_copy():
    source = {date(2027, 1, 1): False}
    cal = WorkingCalendar(overrides=source)
    source[date(2027, 1, 4)] = False
    assert cal.is_workday(date(2027, 1, 4))
    with pytest.raises(TypeError):
        cal.overrides[date(2027, 1, 5)] = False  # type: ignore[index]
