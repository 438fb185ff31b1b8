"""Inspections: each problem found becomes a case on the inspection channel through
create_case, follows the pipeline, and counts as rectified once its case is closed with
the outcome `resolved`. Liaocheng's published figures are the sanity check."""

from __future__ import annotations

from datetime import date

import pytest

from qinqing.cases import services as case_services
from qinqing.cases.errors import Forbidden, InvalidInput
from qinqing.cases.models import Case, CaseEvent
from qinqing.oversight import queries, services
from qinqing.oversight.models import Inspection, Problem

from .conftest import LEAD, at

NOW = at(2024, 9, 10, 17, 0)


def inspection_data(**over):
    data = {"held_on": date(2024, 9, 10), "team": "市营商环境监督组（3人）", "undercover": True,
            "units": ["990102-HALL", LEAD],
            "summary": "以办事群众身份暗访窗口。",
            "problems": [
                {"type": "responsibility", "unit": "990102-W01", "category": "SPFW-03",
                 "description": "综合受理窗口未执行一次性告知。"},
                {"type": "conduct", "unit": LEAD, "category": "GBZF-03",
                 "description": "执法人员对企业反映的问题不予理睬。"},
            ]}
    data.update(over)
    return data


def test_each_problem_becomes_a_case_on_the_inspection_channel(user, demo_org):
    supervisor = user("supervisor")
    inspection = services.record_inspection(supervisor, inspection_data(), now=NOW)
    problems = list(inspection.problems.select_related("case", "case__subject_unit",
                                                       "case__region").order_by("pk"))
    assert [(p.type, p.case.kind, p.case.channel, p.case.subject_unit.code, p.case.region.code,
             p.case.state, p.case.category.code) for p in problems] == [
        ("responsibility", "complaint", "inspection", "990102-W01", "990102", "received",
         "SPFW-03"),
        ("conduct", "report", "inspection", LEAD, "990102", "received", "GBZF-03")]
    for p in problems:
        assert p.case.created_by_id == supervisor.pk
        assert p.case.owner_unit.code == "990000"  # the supervisor's unit holds it for routing
        assert p.case.content == p.description
        assert list(p.case.events.order_by("seq").values_list("action", flat=True)) == [
            "create", "inspection_finding"]
        finding = p.case.events.get(action="inspection_finding")
        assert finding.data["inspection"] == inspection.pk and finding.data["undercover"]
        assert p.case.clocks.filter(stage="dispatch", done_at__isnull=True).exists()


def test_problem_cases_follow_the_pipeline_and_count_as_rectified_when_resolved(user, demo_org):
    inspection = services.record_inspection(user("supervisor"), inspection_data(), now=NOW)
    complaint, report = (p.case for p in inspection.problems.order_by("pk"))
    dispatcher, handler = user("dispatcher"), user("handler")

    def step(number, move, actor, payload=None, minute=0):
        case_services.perform(number, move, actor, payload or {},
                              now=at(2024, 9, 11, 10, minute))

    # A report of misconduct cannot go to the unit it is about: the commission takes it.
    with pytest.raises(InvalidInput):
        step(report.number, "dispatch", dispatcher, {"lead_unit": LEAD, "reason": "属地"})
    step(report.number, "dispatch", dispatcher, {"lead_unit": "990000-JW", "reason": "作风问题"})
    step(complaint.number, "dispatch", dispatcher, {"lead_unit": LEAD, "reason": "属地"}, 1)
    step(complaint.number, "sign", handler, {}, 2)
    step(complaint.number, "reply", handler, {"answer": "已整改，窗口已公示告知清单。"}, 3)
    figures = queries.inspection_figures(as_of=at(2024, 9, 30, 0, 0))
    assert (figures.found_total, figures.rectified) == (2, 0)  # replied is not rectified
    step(complaint.number, "review", dispatcher, {}, 4)
    step(complaint.number, "close_unrated", user("callback"),
         {"reason": "检查发现的问题，无来电人；复查已整改。"}, 5)
    figures = queries.inspection_figures(as_of=at(2024, 9, 30, 0, 0))
    assert figures.found == {"responsibility": 1, "conduct": 1, "other": 0}
    assert (figures.inspections, figures.undercover, figures.rectified) == (1, 1, 1)
    # As of a moment before the closing, it was not rectified yet.
    assert queries.inspection_figures(as_of=at(2024, 9, 11, 10, 4)).rectified == 0
    row = queries.inspections(user("supervisor")).get()
    assert (row.found, row.rectified) == (2, 1)
    # A problem whose case is closed otherwise (rejected) is not rectified.
    extra = services.add_problem(inspection.pk, user("supervisor"), {
        "type": "other", "unit": LEAD, "category": "SPFW-01", "description": "重复记录"},
        now=at(2024, 9, 11, 9, 0))
    step(extra.case.number, "reject", dispatcher, {"reason": "与第一项重复"}, 6)
    extra.case.refresh_from_db()
    assert extra.case.state == "closed" and not queries.is_rectified(extra)
    figures = queries.inspection_figures(as_of=at(2024, 9, 30, 0, 0))
    assert (figures.found_total, figures.rectified) == (3, 1)


def test_a_supervisor_may_register_only_inspection_findings(user, demo_org):
    from .conftest import case_data

    supervisor = user("supervisor")
    for data, finding in [(case_data(), False), (case_data(), True),
                          (case_data(channel="inspection"), False)]:
        with pytest.raises(Forbidden):
            case_services.create_case(supervisor, data, inspection_finding=finding)
    assert not Case.objects.exists()
    # The hotline's rule is unchanged for everyone else, with or without the flag.
    for username in ("handler", "analyst", "callback"):
        with pytest.raises(Forbidden):
            case_services.create_case(user(username), case_data(channel="inspection"),
                                      inspection_finding=True)
    assert not Case.objects.exists()


def test_the_api_does_not_let_a_supervisor_register_cases(client_for, demo_org):
    from .conftest import case_data

    response = client_for("supervisor").post(
        "/api/v1/cases", data=case_data(channel="inspection", region="990102"),
        content_type="application/json")
    assert response.status_code in (401, 403)
    assert not Case.objects.exists()


@pytest.mark.parametrize("change,field", [
    ({"team": ""}, "team"),
    ({"summary": ""}, "summary"),
    ({"held_on": date(2099, 1, 1)}, "held_on"),
    ({"units": []}, "units"),
    ({"problems": [{"type": "bribery", "unit": LEAD, "category": "SPFW-01",
                    "description": "x"}]}, "problems.0.type"),
    ({"problems": [{"type": "other", "unit": "990121-W01", "category": "SPFW-01",
                    "description": "x"}]}, "problems.0.unit"),  # not a unit visited
    ({"problems": [{"type": "other", "unit": LEAD, "category": "NOPE",
                    "description": "x"}]}, "problems.0.category"),
    ({"problems": [{"type": "other", "unit": LEAD, "category": "SPFW-01",
                    "description": ""}]}, "problems.0.description"),
    ({"problems": [{"type": "other", "unit": LEAD, "category": "SPFW-01", "description": "x"},
                   {"type": "other", "unit": LEAD, "category": "SPFW-01",
                    "description": "y" * 2001}]}, "problems.1.description"),
])
def test_bad_input_changes_nothing(user, demo_org, change, field):
    with pytest.raises(InvalidInput) as refused:
        services.record_inspection(user("supervisor"), inspection_data(**change), now=NOW)
    assert field in refused.value.fields
    assert not Inspection.objects.exists() and not Case.objects.exists()


@pytest.mark.parametrize("username", ["dispatcher", "handler", "leader", "analyst", "admin",
                                      "intake", "callback"])
def test_only_supervisors_and_the_discipline_commission_record_inspections(user, demo_org,
                                                                           username):
    with pytest.raises(Forbidden):
        services.record_inspection(user(username), inspection_data(), now=NOW)
    assert not Inspection.objects.exists() and not Case.objects.exists()


def test_the_discipline_commission_records_an_inspection_and_keeps_seeing_it(user, demo_org):
    inspector = user("inspector")
    inspection = services.record_inspection(inspector, inspection_data(undercover=False),
                                            now=NOW)
    assert queries.visible_inspections(inspector).get() == inspection
    case = inspection.problems.first().case
    assert case.owner_unit.code == "990000-JW"
    # The city dispatcher routes it like any case (the commission is within the city).
    case_services.perform(case.number, "dispatch", user("dispatcher"),
                          {"lead_unit": LEAD, "reason": "属地"}, now=at(2024, 9, 11, 9, 0))


def test_a_problem_added_later_is_a_case_too(user, demo_org):
    inspection = services.record_inspection(user("supervisor"), inspection_data(problems=[]),
                                            now=NOW)
    assert not Case.objects.exists()
    problem = services.add_problem(inspection.pk, user("supervisor"), {
        "type": "other", "unit": "990102-HALL", "category": "SPFW-04",
        "description": "大厅自助终端无法打印回执。"}, now=at(2024, 9, 11, 9, 0))
    assert problem.case.channel == "inspection"
    with pytest.raises(InvalidInput) as refused:
        services.add_problem(inspection.pk, user("supervisor"), {
            "type": "other", "unit": "990103-HALL", "category": "SPFW-04",
            "description": "x"}, now=at(2024, 9, 11, 9, 0))
    assert set(refused.value.fields) == {"unit"}
    assert Problem.objects.count() == 1


def test_liaocheng_figures(user, demo_org):
    """581 inspections found 71 responsibility and 13 conduct problems; 75 were rectified
    (domain.md §2). Built through the services; the counting query must give them back."""
    supervisor, dispatcher = user("supervisor"), user("dispatcher")
    handler, jw, callback = user("handler"), user("h-jw"), user("callback")
    problems = ([("responsibility", LEAD, "SPFW-01")] * 71
                + [("conduct", LEAD, "GBZF-03")] * 13)
    day = date(2024, 1, 2)
    for i in range(581):
        found = problems[i * len(problems) // 581:(i + 1) * len(problems) // 581]
        services.record_inspection(supervisor, {
            "held_on": day, "team": f"第{i % 7 + 1}检查组", "undercover": i % 3 == 0,
            "units": [LEAD], "summary": "检查。",
            "problems": [{"type": t, "unit": u, "category": c, "description": f"问题{i}"}
                         for t, u, c in found]}, now=at(2024, 1, 2, 17, 0))
    cases = list(Case.objects.filter(channel="inspection").order_by("pk"))
    assert len(cases) == 84
    # Rectify all but 9: 66 responsibility and 9 conduct problems closed resolved.
    rectify = cases[:66] + cases[71:80]
    for n, case in enumerate(rectify):
        lead, unit_handler = (("990000-JW", jw) if case.kind == "report" else (LEAD, handler))
        for move, actor, payload in [
                ("dispatch", dispatcher, {"lead_unit": lead, "reason": "检查发现问题"}),
                ("sign", unit_handler, {}), ("reply", unit_handler, {"answer": "已整改"}),
                ("review", dispatcher, {}),
                ("close_unrated", callback, {"reason": "检查发现问题，复查已整改"})]:
            case_services.perform(case.number, move, actor, payload,
                                  now=at(2024, 3, 1, 10, 0))
    figures = queries.inspection_figures(date(2024, 1, 1), date(2024, 12, 31))
    assert (figures.inspections, figures.found["responsibility"], figures.found["conduct"],
            figures.found_total, figures.rectified) == (581, 71, 13, 84, 75)
    assert queries.inspection_figures(date(2025, 1, 1), date(2025, 12, 31)).inspections == 0
    assert CaseEvent.objects.filter(action="inspection_finding").count() == 84
