"""The rollups and the facts agree: figures read from the daily rollups equal figures
counted from the facts directly, for random case histories driven through the services
and random scopes and breakdowns (hypothesis); the rollup equals the sum of the facts'
events and the facts equal what the case tables say (facts.differences,
facts.rollup_differences, `qinqing rollup --check`)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinqing.insights import facts
from qinqing.insights.metrics import METRICS, Scope, breakable, breakdowns, figures
from qinqing.insights.metrics.from_rollup import rollup_plan
from qinqing.insights.metrics.masters import master_data
from qinqing.insights.models import Daily, Fact
from tests.insights.conftest import CITY_DEPT, COUNTY_UNIT, DISCIPLINE, FULL, Driver, at

BASE = date(2026, 3, 2)  # a Monday
DAY = 24 * 60

LIVES = {
    "waiting": [],
    "answered": [("answer", 5)],
    "rejected": [("reject", 30)],
    "dispatched": [("dispatch", 20)],
    "signed": [("dispatch", 20), ("sign", 60)],
    "replied": FULL[:3],
    "closed": FULL,
    "closed late": [("dispatch", 20), ("sign", 60), ("reply", 5 * DAY), ("review", 5 * DAY + 10),
                    ("callback", 20 * DAY)],
    "basic": FULL[:4] + [("callback", 700, {"satisfaction": "basically_satisfied",
                                            "resolved": False})],
    "unrated": FULL[:4] + [("close_unrated", 700)],
    "reopened": FULL[:4] + [("reopen", 2 * DAY)],
    "reopened closed": FULL[:4] + [("reopen", 2 * DAY), ("reply", 3 * DAY), ("review", 3 * DAY + 5),
                                   ("callback", 3 * DAY + 30)],
    "returned": [("dispatch", 20), ("return", 90)],
    "redispatched": [("dispatch", 20), ("return", 90), ("redispatch", 200,
                                                       {"lead_unit": CITY_DEPT}), ("sign", 300)],
    "sent back": FULL[:3] + [("send_back", 620), ("reply", 900)],
}

case = st.fixed_dictionaries({
    "day": st.integers(0, 40),
    "hour": st.integers(0, 23),
    "life": st.sampled_from(sorted(LIVES)),
    "kind": st.sampled_from(["complaint", "report", "consultation", "help"]),
    "channel": st.sampled_from(["hotline", "web"]),
    "region": st.sampled_from([None, "990102", "990103", "990171"]),
    "lead": st.sampled_from([COUNTY_UNIT, CITY_DEPT, DISCIPLINE]),
})
period = st.tuples(st.integers(0, 60), st.integers(0, 60)).map(sorted)
filters = st.sampled_from([{}, {"region": "990000"}, {"region": "990102"}, {"kind": "complaint"},
                           {"channel": "web"}, {"region": "990171"}])
bys = st.sampled_from([None, "day", "week", "month", "kind", "channel", "region", "destination"])


def _drive(driver, spec):
    steps = LIVES[spec["life"]]
    kind = "consultation" if spec["life"] == "answered" else spec["kind"]
    if kind == "consultation" and spec["life"] not in ("answered", "waiting", "rejected"):
        kind = "complaint"
    lead = DISCIPLINE if kind == "report" else spec["lead"]
    received = at(BASE.year, BASE.month, BASE.day, spec["hour"]) + timedelta(days=spec["day"])
    return driver(received, kind=kind, channel=spec["channel"], region=spec["region"],
                  lead=lead, steps=steps)


def _same(a: dict, b: dict, context) -> None:
    for name in a:
        fa, fb = a[name], b[name]
        assert (fa.value, fa.numerator, fa.denominator) == (fb.value, fb.numerator,
                                                            fb.denominator), (context, name)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=st.lists(case, min_size=1, max_size=7), scopes=st.lists(
    st.tuples(period, filters, bys), min_size=3, max_size=6))
def test_rollups_and_facts_agree(demo_org, specs, scopes):
    with transaction.atomic():
        driver = Driver()
        for spec in specs:
            _drive(driver, spec)
        assert facts.differences() == []
        assert facts.rollup_differences() == []
        names = list(METRICS)
        for (first, last), where, by in scopes:
            scope = Scope(BASE + timedelta(days=first), BASE + timedelta(days=last), **where)
            if rollup_plan(scope, by, master_data()) is None:
                continue
            if by is None:
                _same(figures(scope, names, source="rollup"),
                      figures(scope, names, source="facts"), (scope, by))
            else:
                left = breakdowns(breakable(by), scope, by, source="rollup")
                right = breakdowns(breakable(by), scope, by, source="facts")
                for name in breakable(by):
                    assert [(k, f.value, f.numerator, f.denominator) for k, _l, f in left[name]] \
                        == [(k, f.value, f.numerator, f.denominator) for k, _l, f in right[name]], \
                        (scope, by, name)
        transaction.set_rollback(True)


def test_the_rollup_is_not_read_where_it_cannot_answer(demo_org):
    masters = master_data()
    jan = (date(2026, 1, 1), date(2026, 1, 31))
    assert rollup_plan(Scope(*jan), None, masters) == ("", None)
    assert rollup_plan(Scope(*jan), "destination", masters) == ("destination", None)
    assert rollup_plan(Scope(*jan, kind="complaint"), "week", masters) == ("kind", ["complaint"])
    assert rollup_plan(Scope(*jan, unit=COUNTY_UNIT), None, masters) is None
    assert rollup_plan(Scope(*jan, category="SPFW"), None, masters) is None
    assert rollup_plan(Scope(*jan, kind="complaint", channel="web"), None, masters) is None
    assert rollup_plan(Scope(*jan, region="990102"), "kind", masters) is None
    assert rollup_plan(Scope(*jan), "unit", masters) is None
    with pytest.raises(ValueError):
        figures(Scope(*jan, unit=COUNTY_UNIT), source="rollup")


def test_an_intake_is_counted_before_it_is_rolled_up(drive):
    new = drive(at(2026, 3, 2, 10))
    assert Fact.objects.filter(case_id=new.pk, rolled=False).count() == 2  # case + clock
    assert not Daily.objects.exists()
    scope = Scope(BASE, BASE)
    assert figures(scope, ["received"], source="rollup")["received"].value == 1
    drive(at(2026, 3, 2, 11), steps=[("dispatch", 10)])
    assert Daily.objects.filter(measure="routed").exists()
    _same(figures(scope, source="rollup"), figures(scope, source="facts"), scope)


def test_timeline_notes_leave_the_facts_alone(drive):
    from qinqing.cases import timeline

    case = drive(at(2026, 3, 2, 10), steps=[("dispatch", 10)])
    before = sorted(Fact.objects.filter(case_id=case.pk).values_list("pk", flat=True))
    notes = sorted(k.name for k in timeline.registry if not k.changes_figures)
    assert {"attach", "remind", "campaign_entered", "list_supervision"} <= set(notes)
    for action in notes:
        timeline.append_event(case, action, None, now=at(2026, 3, 3, 9))
    # A refresh would have deleted and inserted the rows (new ids).
    assert sorted(Fact.objects.filter(case_id=case.pk).values_list("pk", flat=True)) == before
    assert facts.differences() == []


def test_check_and_rebuild(drive, capsys):
    drive(at(2026, 3, 2, 10), steps=FULL)
    drive(at(2026, 3, 3, 10), kind="consultation", steps=[("answer", 3)])
    call_command("rollup", "--check")
    Daily.objects.filter(measure="received").update(n=99)
    Fact.objects.filter(row=Fact.Row.CASE).update(outcome="merged")
    with pytest.raises(CommandError, match="differ"):
        call_command("rollup", "--check")
    call_command("rollup", "--rebuild")
    call_command("rollup", "--check")
    assert "agree" in capsys.readouterr().out


def test_whole_months_are_read_from_the_monthly_rows(drive):
    from qinqing.insights.rollup import MONTHLY

    for day, life in ((2, "closed"), (15, "closed late"), (31, "reopened closed")):
        drive(at(2026, 3, day, 10), steps=LIVES[life])
    drive(at(2026, 4, 10, 10), steps=LIVES["signed"])
    assert Daily.objects.filter(slice__gte=MONTHLY).exists()
    for first, last in ((date(2026, 3, 1), date(2026, 4, 30)), (date(2026, 3, 2), date(2026, 4, 30)),
                        (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 27), date(2026, 4, 2))):
        scope = Scope(first, last)
        _same(figures(scope, source="rollup"), figures(scope, source="facts"), scope)
        for by in ("kind", "destination", "month"):
            left = breakdowns(breakable(by), scope, by, source="rollup")
            right = breakdowns(breakable(by), scope, by, source="facts")
            assert {n: [(k, f.value) for k, _l, f in v] for n, v in left.items()} == \
                {n: [(k, f.value) for k, _l, f in v] for n, v in right.items()}
