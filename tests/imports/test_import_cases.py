"""`qinqing import-cases`: a city's history loaded through the services at its own times.

Files are built here (openpyxl for Excel). What is checked: the one-row lives and a JSON
lines history with a richer life load with their original times; each bad row is named
with its row number and reason and nothing is loaded; re-importing changes nothing; the
ledger verifies and the facts agree after it; an imported month's figures equal those
of the same cases handled live; the command speaks Chinese and English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import translation

from tests.imports.conftest import at, run, write_jsonl, write_xlsx
from tests.insights.lives import CITY_DEPT, COUNTY_UNIT, DEFAULTS, DISCIPLINE, FULL

HEADER = ["原工单编号", "诉求类型", "来源渠道", "类别编码", "区划代码", "标题", "诉求内容",
          "反映人姓名", "联系电话", "受理时间", "派单时间", "主办单位编码", "签收时间", "答复时间",
          "答复内容", "审核时间", "回访时间", "满意度", "回访说明", "办结时间", "办结方式", "办结说明"]


def row(**values) -> list:
    keys = ["external_id", "kind", "channel", "category", "region", "title", "content",
            "reporter_name", "reporter_phone", "received_at", "dispatched_at", "lead_unit",
            "signed_at", "replied_at", "answer", "reviewed_at", "called_back_at",
            "satisfaction", "callback_note", "closed_at", "outcome", "close_reason"]
    return [values.get(k) for k in keys]


BASE = {"channel": "hotline", "category": "SPFW-01", "region": "990102",
        "content": "营业执照办理超过承诺时限仍未办结。"}
NORMAL = dict(BASE, external_id="2025-0001", kind="投诉", channel="热线电话", reporter_name="王五",
              reporter_phone="13911112222", received_at=at(2025, 11, 3, 9, 0).replace(tzinfo=None),
              dispatched_at="2025-11-03 09:20", lead_unit=COUNTY_UNIT,
              signed_at="2025-11-03 10:00", replied_at="2025-11-05 16:00",
              answer="已协调窗口当日办结。", reviewed_at="2025-11-06 09:00",
              called_back_at="2025-11-06 10:30", satisfaction="满意")


def lives_xlsx(tmp_path):
    return write_xlsx(tmp_path / "history.xlsx", HEADER, [
        row(**NORMAL),
        row(**BASE, external_id="2025-0002", kind="咨询", received_at="2025-11-03 09:05",
            closed_at="2025-11-03 09:09", outcome="直接答复", answer="可在网上办理。"),
        row(**BASE, external_id="2025-0003", kind="投诉", received_at="2025-11-03 11:00",
            closed_at="2025-11-03 11:30", outcome="rejected", close_reason="无具体诉求内容。"),
        row(**BASE, external_id="2025-0004", kind="投诉", received_at="2025-11-03 11:10",
            closed_at="2025-11-03 11:20", outcome="not_accepted",
            close_reason="已进入诉讼程序。", answer="告知来电人依法通过诉讼解决。"),
        row(**dict(NORMAL, external_id="2025-0005", called_back_at=None, satisfaction=None,
                   outcome="未回访办结", closed_at="2025-11-07 10:00",
                   close_reason="三次联系未接通。")),
        row(**BASE, external_id="2025-0006", kind="help", received_at="2025-11-04 14:00",
            dispatched_at="2025-11-04 14:30", lead_unit=CITY_DEPT),
    ])


def case_by(external_id: str):
    from qinqing.cases.models import Case

    return Case.objects.get(intake_key__endswith=f":import:{external_id}")


# ------------------------------------------------------------------------ loading

def test_an_excel_history_loads_with_its_times(city, tmp_path):
    from qinqing.cases import confidential
    from qinqing.cases.models import Reporter

    out, err, error = run(lives_xlsx(tmp_path))
    assert error is None, err
    normal = case_by("2025-0001")
    assert (normal.state, normal.outcome, normal.satisfaction) == ("closed", "resolved",
                                                                     "satisfied")
    assert normal.received_at == at(2025, 11, 3, 9, 0)
    assert normal.closed_at == at(2025, 11, 6, 10, 30)
    assert normal.lead_unit.code == COUNTY_UNIT
    assert [(e.action, e.at) for e in normal.events.order_by("seq")] == [
        ("create", at(2025, 11, 3, 9, 0)), ("dispatch", at(2025, 11, 3, 9, 20)),
        ("sign", at(2025, 11, 3, 10, 0)), ("reply", at(2025, 11, 5, 16, 0)),
        ("review", at(2025, 11, 6, 9, 0)), ("callback", at(2025, 11, 6, 10, 30))]
    assert {e.actor.username for e in normal.events.all()} == {
        "import-hotline", "import-unit", "import-callback"}
    reporter = Reporter.objects.get(case=normal)
    assert confidential.decrypt(reporter.name_enc) == "王五"
    assert "王五" not in reporter.name_enc and reporter.phone_index  # encrypted, findable
    # The sign clock ran from 09:20 on a Monday, by the working calendar of that day.
    short = {c: (case_by(c).state, case_by(c).outcome) for c in
             ("2025-0002", "2025-0003", "2025-0004", "2025-0005", "2025-0006")}
    assert short == {"2025-0002": ("closed", "direct_answer"),
                     "2025-0003": ("closed", "rejected"),
                     "2025-0004": ("closed", "not_accepted"),
                     "2025-0005": ("closed", "resolved"),
                     "2025-0006": ("dispatched", "")}
    assert case_by("2025-0005").satisfaction == ""  # closed unrated
    assert case_by("2025-0002").closed_at == at(2025, 11, 3, 9, 9)


def test_deadlines_follow_the_calendar_of_their_dates(city, tmp_path):
    """Dispatched on the eve of the 2025 National Day holiday (Oct 1-8, a make-up Saturday
    on Sep 28): the sign and resolve deadlines skip the holiday, as a live dispatch did."""
    from qinqing.cases import deadlines
    from qinqing.cases.models import StageClock
    from qinqing.worktime.queries import current_calendar

    path = write_jsonl(tmp_path / "h.jsonl", [dict(
        BASE, external_id="N1", kind="complaint", received_at="2025-09-30 16:00",
        dispatched_at="2025-09-30 16:30", lead_unit=COUNTY_UNIT)])
    assert run(path)[2] is None
    case = case_by("N1")
    policy = deadlines.policy_for(case.kind, case.urgency)
    for clock in StageClock.objects.filter(case=case, done_at__isnull=True):
        expected = deadlines.new_clock(case, clock.stage, policy, current_calendar(),
                                       at(2025, 9, 30, 16, 30)).due_at
        assert clock.due_at == expected
        assert clock.due_at > at(2025, 10, 9)  # after the holiday


def test_a_json_lines_history_with_a_richer_life(city, tmp_path):
    steps = [("dispatch", "2025-11-03 09:20", {"lead_unit": COUNTY_UNIT}),
             ("return", "2025-11-03 10:00", {"reason": "不属于本单位职责"}),
             ("redispatch", "2025-11-03 11:00", {"lead_unit": CITY_DEPT, "reason": "改派市局"}),
             ("sign", "2025-11-03 11:30", {}),
             ("request_extension", "2025-11-04 09:00", {"reason": "需现场核查", "limit": "2d"}),
             ("approve_extension", "2025-11-04 10:00", {"reason": "同意"}),
             ("reply", "2025-11-07 15:00", {"answer": "已核查。"}),
             ("send_back", "2025-11-07 16:00", {"reason": "答复不完整"}),
             ("reply", "2025-11-10 15:00", {"answer": "已核查并整改。"}),
             ("review", "2025-11-10 16:00", {}),
             ("callback", "2025-11-11 09:00", {"satisfaction": "dissatisfied",
                                                "reason": "仍未解决"}),
             ("reply", "2025-11-13 15:00", {"answer": "已再次整改。"}),
             ("review", "2025-11-13 16:00", {}),
             ("callback", "2025-11-14 09:00", {"satisfaction": "basically_satisfied"})]
    path = write_jsonl(tmp_path / "h.jsonl", [dict(
        BASE, external_id="J1", kind="complaint", received_at="2025-11-03T09:00:00+08:00",
        steps=[{"action": a, "at": t, **p} for a, t, p in steps])])
    out, err, error = run(path)
    assert error is None, err
    case = case_by("J1")
    assert (case.state, case.outcome, case.satisfaction) == ("closed", "resolved",
                                                              "basically_satisfied")
    assert (case.reopen_count, case.extension_count, case.lead_unit.code) == (1, 1, CITY_DEPT)
    assert [e.action for e in case.events.order_by("seq")] == ["create", *[
        "reopen" if p.get("satisfaction") == "dissatisfied" else a for a, _, p in steps]]


# --------------------------------------------------------------------- rejections

GOOD = dict(BASE, external_id="G1", kind="complaint", received_at="2025-11-03 09:00",
            dispatched_at="2025-11-03 09:20", lead_unit=COUNTY_UNIT)
FUTURE = (date.today() + timedelta(days=3)).isoformat() + " 10:00"


@pytest.mark.parametrize("change, reason", [
    ({"category": "NOPE"}, "category: unknown category code NOPE"),
    ({"region": "123456"}, "region: unknown unit code 123456"),
    ({"region": COUNTY_UNIT}, f"region: {COUNTY_UNIT} is not a region"),
    ({"lead_unit": "990000-XX"}, "unknown unit code 990000-XX"),
    ({"dispatched_at": "2025-11-03 08:00"}, "times out of order"),
    ({"received_at": FUTURE, "dispatched_at": None, "lead_unit": None}, "in the future"),
    ({"content": ""}, "content: required"),
    ({"external_id": None}, "external_id: required"),
    ({"kind": "grumble"}, "kind: unknown value grumble"),
    ({"title": "标" * 121}, "title: at most 120 characters, this one has 121"),
    ({"content": "内容\x07"}, "content: contains control characters"),
    ({"received_at": "yesterday"}, "received_at: not a date and time"),
    ({"replied_at": "2025-11-04 10:00", "answer": "已办结"}, "not possible when the case is "
                                                              "Dispatched"),
    ({"outcome": "direct_answer", "closed_at": "2025-11-03 09:10"},
     "ends the case at intake"),
    ({"dispatched_at": None, "lead_unit": None, "outcome": "直接答复",
      "closed_at": "2025-11-03 09:10", "answer": "答复"}, "only a consultation"),
    ({"signed_at": "2025-11-03 10:00", "called_back_at": "2025-11-05 10:00",
      "satisfaction": "满意"}, "not possible when the case is Handling"),
])
def test_a_bad_row_is_named_and_nothing_is_loaded(city, tmp_path, change, reason):
    from qinqing.cases.models import Case
    from qinqing.org.models import User

    bad = {k: v for k, v in {**GOOD, "external_id": "B1", **change}.items() if v is not None}
    path = write_jsonl(tmp_path / "h.jsonl", [GOOD, bad, dict(GOOD, external_id="G2")])
    with translation.override("en"):
        out, err, error = run(path)
    assert error == f"{len(err.splitlines())} problem(s) in {path}; nothing was imported"
    assert err.splitlines()[0].startswith("row 2: ") and reason in err, err
    assert not Case.objects.exists()
    assert not User.objects.filter(username__startswith="import-").exists()


def test_excel_rows_are_numbered_as_the_sheet_shows_them(city, tmp_path):
    from qinqing.cases.models import Case

    path = write_xlsx(tmp_path / "h.xlsx", HEADER, [
        row(**NORMAL), row(**dict(NORMAL, external_id="2025-0002", category="XXX")),
        row(**NORMAL)])
    with translation.override("en"):
        out, err, error = run(path)
    assert err.splitlines() == ["row 4: category: unknown category code XXX",
                                "row 5: external_id 2025-0001: given twice in this file"]
    assert error and not Case.objects.exists()


def test_dry_run_validates_and_loads_nothing(city, tmp_path):
    from qinqing.cases.models import Case

    with translation.override("en"):
        out, err, error = run(lives_xlsx(tmp_path), "--dry-run")
    assert error is None
    assert out.strip() == ("dry run, nothing loaded. 6 row(s) read: 6 new case(s) with 14 "
                           "move(s), 0 imported before")
    assert not Case.objects.exists()


def test_an_unreadable_file_is_one_line(city, tmp_path):
    (tmp_path / "h.csv").write_text("a,b\n")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with translation.override("en"):
        assert "give an Excel .xlsx or a JSON lines .jsonl file" in run(tmp_path / "h.csv")[2]
        assert "not a readable Excel .xlsx workbook" in run(tmp_path / "bad.xlsx")[2]
        assert "no such file" in run(tmp_path / "none.jsonl")[2]


# ------------------------------------------------------------ re-import, integrity

def _counts():
    from qinqing.cases.models import Case, CaseEvent, Reporter, StageClock
    from qinqing.insights.models import Daily, Fact

    return {m.__name__: m.objects.count() for m in (Case, CaseEvent, Reporter, StageClock,
                                                    Fact, Daily)}


@pytest.mark.parametrize("through_services", [False, True])
def test_an_import_texts_no_reporter(city, tmp_path, through_services):
    """Historic cases: their reporters (phones given) are told nothing, neither the number
    and query code nor any step of the history, whether the cases are replayed in bulk or
    registered and moved through the services (create_case's notify_reporter=False)."""
    from qinqing.cases.models import Case, Reporter
    from qinqing.notifications.models import SmsMessage

    out, err, error = run(lives_xlsx(tmp_path), *(["--through-services"] if through_services
                                                  else []))
    assert error is None, err
    assert Case.objects.count() == 6
    assert Reporter.objects.exclude(phone_index="").count() >= 2
    assert not Reporter.objects.filter(sms_updates=True).exists()
    assert not SmsMessage.objects.exists()


def test_reimporting_the_same_file_changes_nothing(city, tmp_path):
    from qinqing.cases.models import CaseEvent

    path = lives_xlsx(tmp_path)
    assert run(path)[2] is None
    before, last_event = _counts(), CaseEvent.objects.order_by("-pk").first().pk
    with translation.override("en"):
        out, err, error = run(path)
    assert error is None
    assert "0 case(s) loaded with 0 move(s), 6 imported before and left unchanged" in out
    assert _counts() == before
    assert CaseEvent.objects.order_by("-pk").first().pk == last_event


def test_a_changed_row_of_an_imported_case_is_refused(city, tmp_path):
    assert run(write_xlsx(tmp_path / "a.xlsx", HEADER, [row(**NORMAL)]))[2] is None
    before = _counts()
    changed = write_xlsx(tmp_path / "b.xlsx", HEADER, [
        row(**dict(NORMAL, content="另一件事。")), row(**dict(NORMAL, external_id="new"))])
    with translation.override("en"):
        out, err, error = run(changed)
    assert "row 3: external_id 2025-0001 was imported before with other case data" in err
    assert _counts() == before


def test_the_ledger_verifies_and_the_facts_agree_after_an_import(city, tmp_path):
    from django.core.management import call_command

    path = lives_xlsx(tmp_path)
    assert run(path, "--batch", "2")[2] is None  # three transactions
    assert _counts()["Case"] == 6
    call_command("verify_ledger", stdout=(out := __import__("io").StringIO()))
    assert "ledger intact" in out.getvalue()
    call_command("rollup", "--check", stdout=(out := __import__("io").StringIO()))
    assert "facts agree" in out.getvalue()


def test_the_command_speaks_chinese_and_english(city, tmp_path):
    path = write_jsonl(tmp_path / "h.jsonl", [dict(GOOD, category="NOPE")])
    with translation.override("zh-hans"):
        out, err, error = run(path)
    assert err.strip() == "第 1 行：类别编码：类别编码 NOPE 不存在"
    assert error == f"{path} 中有 1 处问题，未导入任何工单"
    with translation.override("zh-hans"):
        out, err, error = run(lives_xlsx(tmp_path), "--dry-run")
    assert out.strip() == "试运行，未导入。读取 6 行：新工单 6 件（办理步骤 14 步），此前已导入 0 件"


# -------------------------------------------------------------- figures equal live

# The same January handled live and imported: (received, kind, steps, lead).
JANUARY = [
    (at(2026, 1, 5, 10), "consultation", [("answer", 2)], COUNTY_UNIT),
    (at(2026, 1, 6, 10), "complaint", FULL, COUNTY_UNIT),
    (at(2026, 1, 6, 11), "complaint", FULL, CITY_DEPT),
    (at(2026, 1, 7, 10), "report", FULL[:2], DISCIPLINE),
    (at(2026, 1, 7, 15), "complaint", [("reject", 20)], COUNTY_UNIT),
    (at(2026, 1, 8, 9), "complaint", [("dispatch", 10), ("return", 40),
                                      ("redispatch", 60, {"lead_unit": CITY_DEPT}),
                                      ("sign", 70), ("reply", 900), ("review", 950),
                                      ("callback", 1000)], COUNTY_UNIT),
    (at(2026, 1, 9, 9), "complaint", [*FULL[:4], ("reopen", 700), ("reply", 1500),
                                      ("review", 1600), ("callback", 1700)], COUNTY_UNIT),
    (at(2026, 1, 12, 9), "help", [*FULL[:4], ("close_unrated", 800)], CITY_DEPT),
    (at(2026, 1, 13, 9), "complaint", [("dispatch", 10), ("sign", 3000), ("reply", 20000),
                                       ("review", 20100), ("callback", 20200)], COUNTY_UNIT),
    (at(2026, 1, 14, 9), "complaint", [("dispatch", 10), ("sign", 30),
                                       ("request_extension", 60), ("approve_extension", 90),
                                       ("reply", 3000), ("review", 3100), ("callback", 3200)],
     CITY_DEPT),
    (at(2026, 1, 15, 9), "suggestion", [*FULL[:3], ("send_back", 620), ("reply", 900),
                                        ("review", 950), ("callback", 1000)], COUNTY_UNIT),
    (at(2026, 1, 30, 16), "complaint", FULL[:3], COUNTY_UNIT),  # still open on Feb 1
]
CONTENT = "营业执照办理超过承诺时限仍未办结。"


def _record(i, received, kind, steps, lead) -> dict:
    listed, current = [], lead
    for move, minutes, *rest in steps:
        payload = dict(rest[0]) if rest else {}
        if move in ("dispatch", "redispatch"):
            payload.setdefault("lead_unit", current)
            payload.setdefault("reason", "按职责转办")
            current = payload["lead_unit"]
        payload = {**DEFAULTS.get(move, {}), **payload}
        listed.append({"action": move, "at": (received + timedelta(minutes=minutes)).isoformat(),
                       **payload})
    return {"external_id": f"JAN-{i}", "kind": kind, "channel": "hotline",
            "category": "SPFW-01", "content": CONTENT, "reporter_name": "张三",
            "reporter_phone": "13800000001", "received_at": received.isoformat(),
            "steps": listed}


def _figures(now):
    from qinqing.insights import bulletins, metrics
    from qinqing.insights.metrics import Scope

    scope = Scope(date(2026, 1, 1), date(2026, 1, 31), region="990000")
    doc = bulletins.document(scope, region_name="示范市", now=now)
    doc.pop("computed_at")
    result = {"bulletin": doc}
    for by in ("unit", "destination", "region", "kind", "channel", "day", "category"):
        result[by] = {name: [(key, label, figure.as_dict()) for key, label, figure in rows]
                      for name, rows in metrics.breakdowns(metrics.breakable(by), scope, by,
                                                           now=now).items()}
    return result


def _histories():
    from qinqing.cases.models import Case, StageClock

    return [(c.number, c.state, c.outcome, c.closed_at,
             [(e.action, e.at, e.from_state, e.to_state) for e in c.events.order_by("seq")],
             sorted((k.stage, k.started_at, k.due_at, k.done_at, k.on_time)
                    for k in StageClock.objects.filter(case=c)))
            for c in Case.objects.order_by("number")]


@pytest.mark.parametrize("how", [[], ["--through-services"]], ids=["replayed", "services"])
def test_an_imported_month_has_the_figures_of_the_same_cases_handled_live(city, drive,
                                                                         tmp_path, how):
    """Both ways of loading: replayed in bulk (the default: the cases with a return or a
    request go through the services) and every case through the services."""
    now = at(2026, 3, 1, 9)
    path = write_jsonl(tmp_path / "january.jsonl",
                       [_record(i, *life) for i, life in enumerate(JANUARY, start=1)])
    with transaction.atomic():
        out, err, error = run(path, *how)
        assert error is None, err
        imported, imported_cases = _figures(now), _histories()
        transaction.set_rollback(True)
    for received, kind, steps, lead in JANUARY:
        drive(received, kind=kind, steps=steps, lead=lead, content=CONTENT)
    live = _figures(now)
    received = [f for f in live["bulletin"]["figures"] if f["name"] == "received"]
    assert received and received[0]["value"] == str(len(JANUARY))  # not an empty comparison
    assert imported == live
    assert imported_cases == _histories()


def test_a_load_stopped_by_a_changed_unit_keeps_whole_batches_and_resumes(city, tmp_path):
    """Validated, then a unit is deactivated before loading: the batches before the row
    that routes to it are loaded whole, that row's batch is not, and the same import run
    again (the unit active again) loads the rest and skips what is loaded."""
    from django.utils import timezone

    from qinqing.cases.models import Case
    from qinqing.imports import services
    from qinqing.org.models import Unit

    records = [dict(GOOD, external_id=f"R{i}", lead_unit=COUNTY_UNIT) for i in range(1, 4)]
    records.append(dict(GOOD, external_id="R4", lead_unit=CITY_DEPT))
    path = write_jsonl(tmp_path / "h.jsonl", records)
    now = timezone.now()
    assert services.validate(path, now=now, report=lambda *a: None).bad_rows == 0
    Unit.objects.filter(code=CITY_DEPT).update(is_active=False)
    with pytest.raises(services.LoadError) as stopped:
        services.load(path, now=now, batch=2)
    assert (stopped.value.row, stopped.value.loaded) == (4, 2)
    assert {key.rsplit(":", 1)[1] for key in Case.objects.values_list("intake_key", flat=True)
            } == {"R1", "R2"}
    Unit.objects.filter(code=CITY_DEPT).update(is_active=True)
    summary = services.import_cases(path)
    assert (summary.new, summary.unchanged, Case.objects.count()) == (2, 2, 4)
