"""Figures attributed as things happened (issue 15, item 5): each fact carries the case's
dimensions at the moment of its event, each stage clock the unit that held it, and each
clock ends with the outcome of the move that stopped it. A published period's figures
reproduce from the data whatever happens to its cases afterwards."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import translation

from qinqing.cases import services as case_services
from qinqing.cases.models import Case, Stage, StageClock
from qinqing.cases.transitions import TABLE
from qinqing.insights import bulletins, facts, queries, services
from qinqing.insights.metrics import Scope, breakdown, figures
from tests.insights.conftest import CITY_DEPT, COUNTY_UNIT, FULL, at
from tests.insights.every_move import Mover, every_move, january

JAN = Scope(date(2026, 1, 1), date(2026, 1, 31))
CITY = Scope(JAN.start, JAN.end, region="990000")


def _published(document: dict) -> dict:
    """What a bulletin states about its period (not when it was computed, its typical
    cases, or "overdue now", which is measured at the moment of computing by definition)."""
    keep = ("figures", "stage_figures", "by_kind", "by_channel", "by_destination",
            "by_region", "accountability", "by_sanction")
    out = {key: document[key] for key in keep}
    out["figures"] = [f for f in out["figures"] if f["name"] != "overdue_now"]
    return out


def test_a_published_period_reproduces_after_every_move(drive, user):
    c = january(drive)
    bulletin = services.publish_bulletin(user("analyst"), CITY.start, CITY.end, "990000",
                                         today=date(2026, 2, 1), now=at(2026, 2, 1, 9))

    # February: every move of the table on January's cases, and a reclassification.
    move = Mover(drive, at(2026, 2, 2, 9))
    every_move(move, c, user("inspector"))
    assert move.done == set(TABLE), set(TABLE) - move.done
    drive(at(2026, 2, 3, 10), steps=FULL)  # and February has cases of its own

    again = bulletins.document(CITY, region_name=queries.region_name("990000"),
                               now=at(2026, 3, 1, 9))
    assert _published(again) == _published(bulletin.document)
    stated = {f["name"]: _value(f) for f in bulletin.document["figures"]
              + bulletin.document["stage_figures"] if f["name"] != "overdue_now"}
    for source in ("facts", "rollup"):
        assert {n: f.value for n, f in figures(CITY, list(stated), source=source).items()
                } == stated, source
    assert facts.differences() == [] and facts.rollup_differences() == []


def _value(figure: dict):
    from decimal import Decimal

    if figure["value"] is None:
        return None
    return int(figure["value"]) if figure["unit"] == "count" else Decimal(figure["value"])


def test_a_rerouted_case_charges_each_unit_its_own_clocks(drive):
    # The county bureau lets the sign limit (2 working hours) pass, then returns the case;
    # the city department it is re-routed to signs and replies in time.
    case = drive(at(2026, 1, 5, 9), steps=[
        ("dispatch", 10), ("return", 60 * 5),
        ("redispatch", 60 * 5 + 10, {"lead_unit": CITY_DEPT}), ("sign", 60 * 5 + 20),
        ("reply", 60 * 6), ("review", 60 * 6 + 10), ("callback", 60 * 7)])
    units = dict(StageClock.objects.filter(case=case, stage=Stage.SIGN)
                 .values_list("started_at", "unit__code"))
    assert sorted(units.values()) == sorted([COUNTY_UNIT, CITY_DEPT])

    def by_unit(name):
        return {k: (f.numerator, f.denominator) for k, _l, f in breakdown(name, JAN, "unit")}

    sign = by_unit("on_time_rate_sign")
    assert sign[COUNTY_UNIT] == (0, 1)  # its late objection is its own
    assert sign[CITY_DEPT] == (1, 1)
    assert by_unit("response_rate")[CITY_DEPT] == (1, 1)
    assert by_unit("response_rate")[COUNTY_UNIT] == (0, 1)
    resolve = by_unit("on_time_rate_resolve")
    assert resolve[CITY_DEPT] == (1, 1)
    assert resolve.get(COUNTY_UNIT, (0, 0)) == (0, 0)  # it never resolved anything
    # The case itself counts where it was first routed; its callback where it was replied.
    assert {k: f.value for k, _l, f in breakdown("routed", JAN, "unit") if f.value} == {
        COUNTY_UNIT: 1}
    assert {k: f.value for k, _l, f in breakdown("rated_callbacks", JAN, "unit")
            if f.value} == {CITY_DEPT: 1}


def test_a_return_is_not_an_on_time_resolve(drive):
    drive(at(2026, 1, 5, 10), steps=[("dispatch", 10), ("return", 30)])
    f = figures(JAN, ["on_time_rate_resolve", "avg_working_time_resolve"])
    assert f["on_time_rate_resolve"].denominator == 0
    assert f["avg_working_time_resolve"].value is None
    assert figures(JAN, ["on_time_rate_resolve"], source="facts")[
        "on_time_rate_resolve"].denominator == 0


def test_a_send_back_is_not_a_callback(drive):
    # Before the unit review existed a send-back stopped the callback clock (cases 0006):
    # such a clock, stopped by a send-back, is not a callback made.
    case = drive(at(2026, 1, 5, 10), steps=FULL[:3])
    clock = StageClock.objects.filter(case=case, stage=Stage.REVIEW).get()
    StageClock.objects.create(
        case=case, stage=Stage.CALLBACK, policy=clock.policy, limit="1d",
        started_at=clock.started_at, warn_at=clock.warn_at, due_at=clock.due_at,
        done_at=clock.started_at + timedelta(minutes=5), on_time=True, ended_by="send_back",
        calendar_version=clock.calendar_version)
    facts.refresh_case(Case.objects.get(pk=case.pk))
    for source in ("facts", "rollup"):
        f = figures(JAN, ["on_time_rate_callback"], source=source)["on_time_rate_callback"]
        assert (f.numerator, f.denominator) == (0, 0), source


def test_a_routed_then_rejected_case_is_not_closed(drive):
    drive(at(2026, 1, 5, 10), steps=[("dispatch", 10), ("return", 30), ("reject", 40)])
    drive(at(2026, 1, 5, 11), steps=FULL)
    for source in ("facts", "rollup"):
        f = figures(JAN, ["routed", "closed", "in_progress", "closure_rate", "closures"],
                    source=source)
        assert f["routed"].value == 2, source
        assert f["closed"].value == 1, source  # the handled one only
        assert f["in_progress"].value == 0, source  # the rejected one has ended
        assert (f["closure_rate"].numerator, f["closure_rate"].denominator) == (1, 2)
        assert f["closures"].value == 1, source


def test_working_time_formula_says_natural_hours_for_urgent_cases(drive, user):
    # An urgent case's limits are in natural hours (cases 0002): received at 21:00 on a
    # Monday, dispatched at 22:00, its dispatch stage took one natural hour.
    number = case_services.create_case(user("intake"), {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01",
        "urgency": "urgent", "content": "企业停水停产，情况紧急。",
        "reporter": {"name": "李四", "phone": "13800000002"}}, now=at(2026, 1, 5, 21)).case.number
    case_services.perform(number, "dispatch", user("dispatcher"),
                          {"lead_unit": COUNTY_UNIT, "reason": "按职责"},
                          now=at(2026, 1, 5, 22))
    f = figures(JAN, ["avg_working_time_dispatch", "p90_working_time_dispatch"])
    assert f["avg_working_time_dispatch"].value == 3600
    with translation.override("en"):
        for name in ("avg_working_time_dispatch", "p90_working_time_dispatch"):
            assert "natural hours" in figures(JAN, [name])[name].formula
    with translation.override("zh-hans"):
        assert "自然小时" in figures(JAN, ["avg_working_time_dispatch"])[
            "avg_working_time_dispatch"].formula


def test_existing_clocks_get_their_unit_and_stop_from_the_timeline(drive):
    # cases 0009 fills the clocks written before clocks recorded them: the same values the
    # services record now, for a re-routed case and a whole life.
    from importlib import import_module

    from django.apps import apps

    fill = import_module("qinqing.cases.migrations.0009_stage_clock_unit_and_ended_by").fill
    drive(at(2026, 1, 5, 9), steps=[
        ("dispatch", 10), ("return", 60), ("redispatch", 70, {"lead_unit": CITY_DEPT}),
        ("sign", 80), ("reply", 600), ("send_back", 610), ("reply", 700), ("review", 710),
        ("reopen", 720), ("reply", 800), ("review", 810), ("callback", 820)])
    drive(at(2026, 1, 6, 9), steps=FULL)
    recorded = sorted(StageClock.objects.values_list("pk", "unit_id", "ended_by"))
    assert {u for _pk, u, _e in recorded} > {None}
    StageClock.objects.update(unit=None, ended_by="")
    fill(apps, None)
    assert sorted(StageClock.objects.values_list("pk", "unit_id", "ended_by")) == recorded
