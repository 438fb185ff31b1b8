"""The metrics module: each figure's definition, the period semantics, filters, breakdowns.

Cases are driven through services.perform at chosen moments, so the facts are exactly
what the application writes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qinqing.insights import facts
from qinqing.insights.metrics import (
    BREAKDOWNS, METRICS, RATING_NAMES, InvalidScope, Scope, breakable, breakdown, breakdowns, figures,
)
from tests.insights.conftest import CITY_DEPT, COUNTY_UNIT, DISCIPLINE, FULL, at

JAN = Scope(date(2026, 1, 1), date(2026, 1, 31))


def test_counts_rates_and_their_parts(drive):
    # 2026-01-05 is a Monday (a working day).
    drive(at(2026, 1, 5, 10), kind="consultation", steps=[("answer", 2)])
    drive(at(2026, 1, 5, 10), kind="consultation")  # still waiting
    drive(at(2026, 1, 5, 11), steps=FULL)
    drive(at(2026, 1, 6, 11), steps=FULL[:2])  # dispatched and signed: in progress
    drive(at(2026, 1, 7, 11), steps=FULL, lead=CITY_DEPT)
    drive(at(2026, 2, 2, 11), steps=FULL)  # another month

    f = figures(JAN)
    assert f["received"].value == 5
    assert f["consultations"].value == 2
    assert f["direct_answers"].value == 1
    assert (f["direct_answer_rate"].numerator, f["direct_answer_rate"].denominator) == (1, 2)
    assert f["direct_answer_rate"].value == Decimal(1) / Decimal(2)
    assert f["routed"].value == 3
    assert f["closed"].value == 2
    assert f["in_progress"].value == 1
    rate = f["closure_rate"]
    assert (rate.value, rate.numerator, rate.denominator) == (Decimal(2) / Decimal(3), 2, 3)
    assert rate.text == "66.7%"
    assert f["completion_rate"].numerator == 3 and f["completion_rate"].denominator == 5
    assert f["other_matters"].value == 1
    assert f["satisfaction_rate"].numerator == 2 and f["satisfaction_rate"].denominator == 2
    assert f["reopen_rate"].value == 0
    # Every figure carries its formula and label.
    for name, figure in f.items():
        assert figure.name == name and figure.label and figure.formula


def test_a_rate_without_cases_is_none_not_zero(demo_org):
    f = figures(JAN)
    assert f["received"].value == 0
    assert f["closure_rate"].value is None
    assert f["closure_rate"].denominator == 0
    assert f["closure_rate"].text == "—"
    assert f["p90_working_time_resolve"].value is None


def test_a_case_closed_after_the_period_is_in_progress_in_it(drive):
    # Received 30 January, closed on 2 February (after the callback).
    drive(at(2026, 1, 30, 9), steps=[("dispatch", 10), ("sign", 20), ("reply", 60),
                                     ("review", 70), ("callback", 3 * 24 * 60)])
    jan = figures(JAN, ["routed", "closed", "in_progress", "closures", "rated_callbacks"])
    assert (jan["routed"].value, jan["closed"].value, jan["in_progress"].value) == (1, 0, 1)
    assert jan["rated_callbacks"].value == 0  # the callback came after the period
    assert jan["closures"].value == 0
    longer = figures(Scope(date(2026, 1, 1), date(2026, 2, 28)), ["closed", "in_progress"])
    assert (longer["closed"].value, longer["in_progress"].value) == (1, 0)
    feb = figures(Scope(date(2026, 2, 1), date(2026, 2, 28)), ["received", "closures"])
    assert feb["received"].value == 0 and feb["closures"].value == 1


def test_periods_are_local_calendar_days(drive):
    drive(at(2026, 1, 31, 23, 30))  # 15:30 UTC: still 31 January in Shanghai
    drive(at(2026, 2, 1, 0, 30))  # 31 January 16:30 UTC, but 1 February here
    assert figures(JAN, ["received"])["received"].value == 1


def test_destinations_follow_the_lead_unit(drive):
    drive(at(2026, 1, 5, 10), steps=FULL[:1], lead=DISCIPLINE)
    drive(at(2026, 1, 5, 10), steps=FULL[:1], lead=CITY_DEPT)
    drive(at(2026, 1, 5, 10), steps=FULL[:1], lead=COUNTY_UNIT)
    drive(at(2026, 1, 5, 10), steps=FULL[:1], lead="990102")  # the county government
    drive(at(2026, 1, 5, 10), kind="consultation", steps=[("answer", 1)])
    rows = {key: figure.value for key, _label, figure in breakdown("routed", JAN, "destination")}
    assert rows == {"": 0, "city_departments": 1, "counties": 2, "discipline_commission": 1}
    received = {key: f.value for key, _l, f in breakdown("received", JAN, "destination")}
    assert received[""] == 1  # answered directly: never routed


def test_breakdowns_add_up_and_list_every_day(drive):
    drive(at(2026, 1, 5, 10), steps=FULL)
    drive(at(2026, 1, 5, 15), steps=FULL[:1])
    drive(at(2026, 1, 20, 10), steps=FULL, channel="web")
    days = breakdown("received", JAN, "day")
    assert [k for k, _l, _f in days][:2] == ["2026-01-01", "2026-01-02"] and len(days) == 31
    assert sum(f.value for _k, _l, f in days) == 3
    weeks = breakdown("closed", JAN, "week")
    assert [k for k, _l, _f in weeks] == ["2026-W01", "2026-W02", "2026-W03", "2026-W04",
                                         "2026-W05"]
    assert sum(f.value for _k, _l, f in weeks) == figures(JAN, ["closed"])["closed"].value == 2
    channels = {k: f.value for k, _l, f in breakdown("received", JAN, "channel")}
    assert channels["hotline"] == 2 and channels["web"] == 1 and channels["rating"] == 0
    month = breakdown("closure_rate", JAN, "month")
    assert [(k, f.numerator, f.denominator) for k, _l, f in month] == [("2026-01", 2, 3)]


def test_filters_narrow_the_cases(drive):
    drive(at(2026, 1, 5, 10), steps=FULL, lead=COUNTY_UNIT, region="990102")
    drive(at(2026, 1, 5, 10), steps=FULL, lead=CITY_DEPT, category="ZFJG-01")
    drive(at(2026, 1, 5, 10), kind="consultation", channel="web", region="990103")

    def received(**kw):
        return figures(Scope(date(2026, 1, 1), date(2026, 1, 31), **kw),
                       ["received"])["received"].value

    assert received() == 3
    assert received(region="990102") == 1
    assert received(region="990000") == 3  # the city and everything below it
    assert received(unit=COUNTY_UNIT) == 1
    assert received(unit="990102") == 1  # the county and its departments
    assert received(kind="consultation") == 1
    assert received(channel="web") == 1
    assert received(category="ZFJG") == 1  # a category and its children
    assert received(category="ZFJG-01") == 1


def test_clock_figures(drive):
    # Monday 5 Jan 2026, office 09:00-12:00 and 13:30-17:30. Dispatched after 10 minutes
    # (1-hour limit: on time), signed 20 minutes later (2 hours: on time), replied the next
    # morning (3 working days: on time).
    drive(at(2026, 1, 5, 10), steps=[("dispatch", 10), ("sign", 30), ("reply", 24 * 60),
                                     ("review", 24 * 60 + 10), ("callback", 24 * 60 + 20)])
    # Dispatched after 3 hours (late), never signed.
    drive(at(2026, 1, 5, 9), steps=[("dispatch", 180)])
    f = figures(JAN)
    assert (f["on_time_rate_dispatch"].numerator, f["on_time_rate_dispatch"].denominator) == (1, 2)
    assert f["avg_working_time_dispatch"].numerator == 10 * 60 + 180 * 60
    assert f["avg_working_time_dispatch"].value == Decimal(95 * 60)
    assert f["p90_working_time_dispatch"].value == 180 * 60
    assert f["p90_working_time_dispatch"].denominator == 2
    # Replied 24 hours after dispatch: office time from Monday 10:10 to Tuesday 10:00.
    assert f["avg_working_time_resolve"].value == Decimal((110 + 240 + 60) * 60)
    assert (f["response_rate"].numerator, f["response_rate"].denominator) == (1, 2)


def test_a_return_is_not_a_response(drive):
    drive(at(2026, 1, 5, 10), steps=[("dispatch", 10), ("sign", 30)])  # signed in time
    drive(at(2026, 1, 5, 10), steps=[("dispatch", 10), ("return", 30)])  # objected in time
    f = figures(JAN, ["response_rate", "on_time_rate_sign"])
    assert (f["response_rate"].numerator, f["response_rate"].denominator) == (1, 2)
    # The sign stage itself ended on time both times.
    assert (f["on_time_rate_sign"].numerator, f["on_time_rate_sign"].denominator) == (2, 2)
    for source in ("rollup", "facts"):
        assert figures(JAN, ["response_rate"], source=source)["response_rate"].numerator == 1


def test_overdue_now(drive):
    drive(at(2026, 1, 5, 9), steps=[("dispatch", 10)])  # sign and resolve both late now
    drive(at(2026, 1, 5, 9))  # dispatch late
    f = figures(JAN, ["overdue_now"], now=at(2026, 3, 1, 10))
    assert f["overdue_now"].value == 2
    assert figures(JAN, ["overdue_now"], now=at(2026, 1, 5, 9, 5))["overdue_now"].value == 0
    by_unit = {k: f.value for k, _l, f in
               breakdown("overdue_now", JAN, "unit", now=at(2026, 3, 1, 10))}
    assert by_unit == {"": 1, COUNTY_UNIT: 1}


def test_reopen_and_satisfaction(drive):
    drive(at(2026, 1, 5, 10), steps=FULL[:4] + [
        ("reopen", 700), ("reply", 800), ("review", 810),
        ("callback", 820, {"satisfaction": "basically_satisfied", "resolved": False})])
    drive(at(2026, 1, 6, 10), steps=FULL[:4] + [("close_unrated", 700)])
    f = figures(JAN)
    # The case closed unrated was never rated: it is not in the reopen rate's denominator.
    assert (f["reopen_rate"].numerator, f["reopen_rate"].denominator) == (1, 1)
    assert (f["satisfaction_rate"].numerator, f["satisfaction_rate"].denominator) == (1, 2)
    assert f["rated_callbacks"].value == 2
    assert (f["resolution_rate"].numerator, f["resolution_rate"].denominator) == (0, 2)


def test_configurable_rates(drive, settings):
    drive(at(2026, 1, 5, 10), steps=FULL[:4] + [
        ("callback", 700, {"satisfaction": "basically_satisfied"})])
    drive(at(2026, 1, 6, 10), steps=FULL[:4] + [("close_unrated", 700)])
    assert figures(JAN, ["satisfaction_rate"])["satisfaction_rate"].numerator == 1
    settings.QINQING_SATISFIED_LEVELS = ("satisfied",)
    settings.QINQING_RESOLUTION_BASE = "all"
    f = figures(JAN, ["satisfaction_rate", "resolution_rate"])
    assert f["satisfaction_rate"].numerator == 0
    assert "满意" in f["satisfaction_rate"].formula or "satisfied" in f["satisfaction_rate"].formula
    assert (f["resolution_rate"].numerator, f["resolution_rate"].denominator) == (1, 2)


def test_bad_scopes_are_refused_with_reasons(demo_org):
    with pytest.raises(InvalidScope) as err:
        figures(Scope(date(2026, 2, 1), date(2026, 1, 1), region="990102-SCJG", unit="nope",
                      kind="x", channel="y", category="z"))
    assert set(err.value.fields) == {"end", "region", "unit", "kind", "channel", "category"}
    with pytest.raises(InvalidScope):
        figures(JAN, ["no_such_figure"])
    with pytest.raises(InvalidScope):
        breakdown("received", JAN, "weekday")


def test_registry_and_breakdowns_are_complete(drive):
    drive(at(2026, 1, 5, 10), steps=FULL)
    total = figures(JAN)
    for by in BREAKDOWNS:
        groups = breakdowns(breakable(by), JAN, by)
        # Every figure but the accountability ones (by sanction only: their own tests)
        # and the rating ones (asked for by name: test_rating_figures.py).
        assert set(groups) == set(METRICS) - {"accountability_outcomes"} - set(RATING_NAMES)
        for name, rows in groups.items():
            for key, label, figure in rows:
                assert figure.name == name and isinstance(key, str) and label is not None
        # Counts of the cohort add up to the scope's own figure in every breakdown.
        for name in ("received", "routed", "closed", "direct_answers"):
            assert sum(f.value for _k, _l, f in groups[name]) == total[name].value, (by, name)


def test_facts_follow_every_move(drive):
    case = drive(at(2026, 1, 5, 10), steps=FULL[:1] + [("return", 40), ("redispatch", 50)])
    assert facts.differences() == []
    other = drive(at(2026, 1, 5, 10), steps=FULL[:4] + [("reopen", 700)])
    assert facts.differences([case.pk, other.pk]) == []



def test_each_life_of_the_linfen_line_through_the_services(demo_org):
    """The smaller Linfen: each life of tests/insights/linfen.py once, driven through
    services.perform, gives the figures its share of the Linfen line predicts."""
    from tests.insights import linfen

    linfen.build(scale=1)
    f = figures(linfen.PERIOD)
    assert (f["received"].value, f["direct_answers"].value, f["routed"].value) == (10, 1, 9)
    assert (f["closed"].value, f["in_progress"].value) == (5, 4)
    assert (f["closure_rate"].numerator, f["closure_rate"].denominator) == (5, 9)
    assert (f["satisfaction_rate"].numerator, f["satisfaction_rate"].denominator) == (4, 5)
    by_destination = {k: f.value for k, _l, f in breakdown("routed", linfen.PERIOD,
                                                            "destination")}
    assert by_destination == {"": 0, "discipline_commission": 2, "city_departments": 2,
                              "counties": 5}
