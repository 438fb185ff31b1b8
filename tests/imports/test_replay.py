"""The bulk replay of a history (qinqing.imports.replay) against the service path.

The same file is imported into two fresh states (each in a transaction rolled back at
the end): once through the services case by case (`--through-services`), once replayed
in bulk. Every row they write is compared field by field: the cases (by number), their
reporters, co-units, events (kind, time, actor, states, reason, details; and the chains
verify), stage clocks (start, warning, deadline, end, outcome, unit, limit, calendar),
facts and the daily rollups. The file mixes the lives the replay makes itself with ones
it hands to the services (an extension request, a return), across two years, so the
numbers of the two kinds interleave in file order."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.imports.conftest import at, run, write_jsonl
from tests.insights.lives import CITY_DEPT, COUNTY_UNIT, DISCIPLINE

CONTENT = "营业执照办理超过承诺时限仍未办结。"
BASE = {"channel": "hotline", "category": "SPFW-01", "region": "990102", "content": CONTENT,
        "reporter_name": "张三", "reporter_phone": "13800000001"}


def _steps(received, steps):
    from datetime import timedelta

    return [{"action": a, "at": (received + timedelta(minutes=m)).isoformat(), **p}
            for a, m, p in steps]


FULL = [("dispatch", 10, {"lead_unit": COUNTY_UNIT}), ("sign", 30, {}),
        ("reply", 600, {"answer": "已办结。"}), ("review", 620, {}),
        ("callback", 700, {"satisfaction": "satisfied", "note": "好"})]


def _file(tmp_path):
    lives = [
        # the end of a year and the start of the next: two number sequences
        (at(2025, 12, 30, 10), "complaint", FULL, {}),
        (at(2025, 12, 31, 16), "consultation", [("answer", 3, {"answer": "可网上办理。"})], {}),
        (at(2026, 1, 5, 9), "complaint", [("reject", 20, {"reason": "无具体诉求。"})], {}),
        (at(2026, 1, 5, 10), "help", [("not_accept", 15, {"reason": "已诉讼。",
                                                           "told": "告知依法解决。"})],
         {"reporter_name": "", "reporter_phone": ""}),  # anonymous
        # handed to the services (a request), between replayed ones
        (at(2026, 1, 5, 11), "complaint", [
            ("dispatch", 10, {"lead_unit": CITY_DEPT, "reason": "按职责转办"}), ("sign", 30, {}),
            ("request_extension", 60, {"reason": "需核查", "limit": "2d"}),
            ("approve_extension", 90, {"reason": "同意"}),
            ("reply", 3000, {"answer": "已办结。"}), ("review", 3100, {}),
            ("callback", 3200, {"satisfaction": "basically_satisfied"})], {}),
        (at(2026, 1, 6, 9), "suggestion", [
            ("dispatch", 10, {"lead_unit": COUNTY_UNIT, "co_units": [CITY_DEPT]}),
            ("sign", 30, {}), ("reply", 600, {"answer": "初步答复。"}),
            ("send_back", 620, {"reason": "不完整"}), ("reply", 900, {"answer": "完整答复。"}),
            ("review", 950, {}), ("callback", 1000, {"satisfaction": "dissatisfied",
                                                     "reason": "仍未解决"}),
            ("reply", 5000, {"answer": "再次整改。"}), ("review", 5100, {}),
            ("close_unrated", 6000, {"reason": "联系不上"})], {}),
        # a report of misconduct, routed away from the unit it accuses; urgent
        (at(2026, 1, 7, 15), "report", [
            ("dispatch", 10, {"lead_unit": DISCIPLINE, "reason": "纪委办理"}), ("sign", 30, {})],
         {"subject_unit": COUNTY_UNIT, "urgency": "urgent"}),
        (at(2026, 1, 8, 9), "complaint", [("dispatch", 10, {"lead_unit": COUNTY_UNIT})],
         {"region": None}),  # the hotline's region
        (at(2026, 1, 8, 10), "complaint", [], {}),  # received only: facts stay pending
        (at(2026, 1, 9, 9), "complaint", [  # a return: through the services
            ("dispatch", 10, {"lead_unit": COUNTY_UNIT}), ("return", 40, {"reason": "非本单位"}),
            ("redispatch", 60, {"lead_unit": CITY_DEPT, "reason": "改派"}), ("sign", 70, {})],
         {}),
        (at(2026, 1, 30, 16), "complaint", FULL[:3], {}),  # open at handling
    ]
    records = []
    for i, (received, kind, steps, extra) in enumerate(lives, start=1):
        record = dict(BASE, external_id=f"EQ-{i}", kind=kind, received_at=received.isoformat(),
                      steps=_steps(received, steps), **extra)
        records.append({k: v for k, v in record.items() if v is not None})
    return write_jsonl(tmp_path / "eq.jsonl", records)


def _state():
    """Every row the import wrote, by case number, without ids or encrypted bytes."""
    from qinqing.cases import confidential
    from qinqing.cases.models import Case, CaseEvent, ChangeRequest, Reporter, StageClock
    from qinqing.cases.timeline import broken_chains
    from qinqing.insights import facts
    from qinqing.insights.models import Daily, Fact

    number = dict(Case.objects.values_list("pk", "number"))
    skip = {"id", "query_code_enc", "query_code_hash", "updated_at"}
    cases = {}
    for case in Case.objects.order_by("number"):
        row = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields
               if f.attname not in skip}
        row["co_units"] = sorted(case.co_units.values_list("code", flat=True))
        row["query_code"] = bool(case.query_code_enc and case.query_code_hash)
        cases[case.number] = row
    reporters = sorted((number[r.case_id], confidential.decrypt(r.name_enc),
                        confidential.decrypt(r.phone_enc), r.phone_index, r.is_primary,
                        r.protected, r.accused_unit_id) for r in Reporter.objects.all())
    # A request's id is the database's (PostgreSQL does not reuse ids of a rolled-back
    # transaction): named by its case and time instead.
    requests = {r.pk: (number[r.case_id], r.requested_at) for r in ChangeRequest.objects.all()}

    def details(data):
        return {**data, "request": requests[data["request"]]} if "request" in data else data

    events = [(number[e.case_id], e.seq, e.action, e.at, e.actor_id, e.actor_role,
               e.actor_unit_id, e.from_state, e.to_state, e.reason, details(e.data))
              for e in CaseEvent.objects.order_by("case__number", "seq")]
    clocks = sorted((number[c.case_id], c.stage, c.started_at, c.warn_at, c.due_at, c.done_at,
                     c.on_time, c.ended_by, c.unit_id, c.policy_id, c.limit, c.paused_seconds,
                     c.paused_at, tuple(c.extension_limits), c.provisional, c.calendar_version)
                    for c in StageClock.objects.all())
    fact_rows = sorted(((number[f.case_id], f.rolled, *facts._key(f))
                        for f in Fact.objects.all()), key=repr)
    daily = sorted((d.slice, d.day, d.key, d.measure, d.n, d.seconds)
                   for d in Daily.objects.exclude(n=0, seconds=0))
    checks = (list(broken_chains()), facts.differences(), facts.rollup_differences())
    return {"cases": cases, "reporters": reporters, "events": events, "clocks": clocks,
            "facts": fact_rows, "daily": daily, "checks": checks}


def _imported(path, *args):
    with transaction.atomic():
        out, err, error = run(path, *args)
        assert error is None, err
        state = _state()
        transaction.set_rollback(True)
    return state


def test_the_bulk_replay_writes_what_the_services_write(city, tmp_path):
    from qinqing.imports.services import import_accounts

    path = _file(tmp_path)
    import_accounts()  # one set of accounts for both (ids are not reused on PostgreSQL)
    live = _imported(path, "--through-services")
    bulk = _imported(path)
    assert len(live["cases"]) == 11 and len(live["events"]) > 40  # not an empty comparison
    assert any(f[1] for f in live["facts"]) and live["daily"]
    assert live["checks"] == ([], [], [])
    assert bulk["checks"] == ([], [], [])
    for number, row in live["cases"].items():
        assert {k: v for k, v in bulk["cases"][number].items() if v != row[k]} == {}, number
    for part in ("cases", "reporters", "events", "clocks", "facts", "daily"):
        assert bulk[part] == live[part], part


def test_every_replayed_case_goes_out_on_the_timeline_hook(city, tmp_path):
    """The consequences of a replayed case are not skipped: `case_changed` is sent for it,
    with its events and clocks (and the figures' facts come back from it)."""
    from qinqing.cases import timeline

    seen = []

    def receiver(sender, case, events, clocks, created=False, **kwargs):
        seen.append((case.number, created, [e.action for e in events], len(clocks)))

    timeline.case_changed.connect(receiver, dispatch_uid="test: replay hook")
    try:
        path = write_jsonl(tmp_path / "one.jsonl", [dict(
            BASE, external_id="H1", kind="complaint", received_at=at(2026, 1, 5, 9).isoformat(),
            steps=_steps(at(2026, 1, 5, 9), FULL))])
        out, err, error = run(path)
        assert error is None, err
    finally:
        timeline.case_changed.disconnect(dispatch_uid="test: replay hook")
    assert seen == [(seen[0][0], True, ["create", "dispatch", "sign", "reply", "review",
                                        "callback"], 5)]


@pytest.mark.parametrize("action", ["return", "request_extension", "resume", "redispatch"])
def test_moves_the_replay_does_not_make_go_through_the_services(action):
    from qinqing.imports import replay
    from qinqing.imports.rows import CasePlan, Step

    plan = CasePlan(1, "X", {}, at(2026, 1, 5, 9),
                    [Step("dispatch", at(2026, 1, 5, 9), "dispatcher", {}),
                     Step(action, at(2026, 1, 5, 10), "handler", {})])
    assert not replay.replayable(plan)
    assert replay.replayable(CasePlan(1, "X", {}, at(2026, 1, 5, 9), plan.steps[:1]))


def test_a_stopped_load_rolls_up_what_it_committed(city, tmp_path):
    """A load refused in its second batch: the first batch's replayed cases are committed
    with their facts rolled up (none left pending), and the rollups agree with the facts."""
    from django.utils import timezone

    from qinqing.imports import services
    from qinqing.insights import facts
    from qinqing.insights.models import Fact
    from qinqing.org.models import Unit

    received = at(2026, 1, 5, 9)
    records = [dict(BASE, external_id=f"S{i}", kind="complaint",
                    received_at=received.isoformat(),
                    steps=_steps(received, [("dispatch", 10, {"lead_unit": lead})]))
               for i, lead in enumerate([COUNTY_UNIT, COUNTY_UNIT, CITY_DEPT], start=1)]
    path = write_jsonl(tmp_path / "s.jsonl", records)
    now = timezone.now()
    assert services.validate(path, now=now, report=lambda *a: None).bad_rows == 0
    Unit.objects.filter(code=CITY_DEPT).update(is_active=False)
    with pytest.raises(services.LoadError) as stopped:
        services.load(path, now=now, batch=2)
    assert (stopped.value.row, stopped.value.loaded) == (3, 2)
    assert Fact.objects.count() > 2 and not Fact.objects.filter(rolled=False).exists()
    assert facts.rollup_differences() == [] and facts.differences() == []
