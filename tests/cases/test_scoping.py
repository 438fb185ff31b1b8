"""Who sees and acts on what: a unit sees its own cases, not a neighbour county's."""

from __future__ import annotations

import pytest

from qinqing.cases import queries, services
from qinqing.cases.errors import Forbidden, InvalidInput, NotFound
from qinqing.cases.models import Case, CaseEvent, Kind, State, UnmaskLog
from qinqing.org.models import Unit, UnitKind
from qinqing.org.services import ensure_unit

from .conftest import LEAD, OTHER


def numbers(qs) -> set[str]:
    return set(qs.values_list("number", flat=True))


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {services.issue_token(user)}"}


# ------------------------------------------------------------- another county's case

def test_handler_of_another_county_cannot_list_open_or_act(make_case, user):
    case = make_case("dispatched")
    mine, theirs = user("handler"), user("handler2")
    # The positive control: the lead unit's handler does see it.
    assert case.number in numbers(queries.visible_cases(mine))
    assert case.number in numbers(queries.filtered_cases(mine, queries.CaseFilters()))
    assert queries.case_detail(mine, case.number) is not None

    assert case.number not in numbers(queries.visible_cases(theirs))
    assert case.number not in numbers(queries.filtered_cases(theirs, queries.CaseFilters()))
    assert case.number not in numbers(
        queries.filtered_cases(theirs, queries.CaseFilters(unit=LEAD, text=case.number)))
    assert queries.case_detail(theirs, case.number) is None
    events = case.events.count()
    for action, payload in [("sign", {}), ("return", {"reason": "不是我们的"})]:
        with pytest.raises(NotFound):
            services.perform(case.number, action, theirs, payload)
    with pytest.raises(NotFound):
        services.unmask_reporters(case.number, theirs, "核实")
    case.refresh_from_db()
    assert (case.state, case.events.count()) == (State.DISPATCHED, events)


def test_unknown_and_invisible_numbers_look_alike(make_case, user):
    case = make_case("dispatched")
    with pytest.raises(NotFound) as hidden:
        services.perform(case.number, "sign", user("handler2"))
    with pytest.raises(NotFound) as missing:
        services.perform("QQ-2026-999999", "sign", user("handler2"))
    assert hidden.value.code == missing.value.code == "not_found"


def test_scoping_through_the_http_api(client, make_case, user):
    case = make_case("dispatched")
    url = f"/api/v1/cases/{case.number}"
    theirs, mine = bearer(user("handler2")), bearer(user("handler"))

    listed = client.get("/api/v1/cases", **theirs)
    assert listed.status_code == 200
    assert case.number not in [row["number"] for row in listed.json()["items"]]
    assert client.get(url, **theirs).status_code == 404
    acted = client.post(f"{url}/actions/sign", data={}, content_type="application/json",
                        **theirs)
    assert acted.status_code == 404
    assert acted.json()["code"] == "not_found"
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED

    # The same requests with the lead unit's handler's token succeed.
    assert case.number in [r["number"] for r in client.get("/api/v1/cases", **mine).json()["items"]]
    assert client.get(url, **mine).status_code == 200
    signed = client.post(f"{url}/actions/sign", data={}, content_type="application/json", **mine)
    assert signed.status_code == 200, signed.content
    assert signed.json()["state"] == State.HANDLING


def test_api_without_a_valid_token_is_refused(client, make_case):
    case = make_case("dispatched")
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 401
    assert client.get(f"/api/v1/cases/{case.number}",
                      HTTP_AUTHORIZATION="Bearer qq_not-a-token").status_code == 401


def test_admin_case_list_is_for_administrators_only(client, make_case, user):
    case = make_case("dispatched")
    client.force_login(user("handler2"))
    response = client.get("/admin/cases/case/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    client.force_login(user("handler"))  # even the lead unit's staff use the pages, not admin
    assert client.get("/admin/cases/case/").status_code == 302
    client.force_login(user("admin"))
    response = client.get("/admin/cases/case/")
    assert response.status_code == 200
    assert case.number in response.content.decode()


# ------------------------------------------------------------------------ co-units

def test_co_unit_sees_the_case_but_may_not_sign(make_case, user):
    case = make_case("dispatched", co_units=[OTHER])
    co = user("handler2")
    assert case.number in numbers(queries.visible_cases(co))
    assert queries.case_detail(co, case.number) is not None
    events = case.events.count()
    with pytest.raises(Forbidden):
        services.perform(case.number, "sign", co)
    with pytest.raises(Forbidden):
        services.perform(case.number, "return", co, {"reason": "不归我们"})
    case.refresh_from_db()
    assert (case.state, case.events.count()) == (State.DISPATCHED, events)
    assert "sign" not in _available(case, co)
    assert "sign" in _available(case, user("handler"))


def _available(case, actor):
    from qinqing.cases.transitions import available_moves

    return available_moves(Case.objects.select_related("owner_unit", "lead_unit").get(pk=case.pk),
                           actor)


# ------------------------------------------------------------- misconduct reports

@pytest.fixture
def report(make_case):
    return make_case("received", kind=Kind.REPORT, subject_unit=LEAD,
                     title="执法人员吃拿卡要", content="检查时暗示企业请吃饭。")


def test_report_cannot_be_routed_to_the_unit_it_is_about(report, user, demo_org):
    below = ensure_unit(code="990102-SCJG-ZFD", name="河阳区市场监管执法大队",
                        kind=UnitKind.DEPARTMENT, parent=Unit.objects.get(code=LEAD))
    dispatcher = user("dispatcher")
    for payload in ({"lead_unit": LEAD}, {"lead_unit": below.code},
                    {"lead_unit": "990000-JW", "co_units": [LEAD]},
                    {"lead_unit": "990000-JW", "co_units": [below.code]}):
        with pytest.raises(InvalidInput) as refused:
            services.perform(report.number, "dispatch", dispatcher, payload)
        assert set(refused.value.fields) == {"lead_unit"}
    report.refresh_from_db()
    assert (report.state, report.lead_unit, report.events.count()) == (State.RECEIVED, None, 1)
    # Elsewhere (the discipline commission, a neighbour county) is fine.
    services.perform(report.number, "dispatch", dispatcher,
                     {"lead_unit": OTHER, "co_units": ["990000-JW"]})
    assert Case.objects.get(pk=report.pk).state == State.DISPATCHED


def test_report_reporters_are_hidden_from_unit_staff(report, user, client):
    services.perform(report.number, "dispatch", user("dispatcher"),
                     {"lead_unit": OTHER, "co_units": ["990000-JW"]})
    case = Case.objects.get(pk=report.pk)
    for name in ("handler2", "leader2"):  # the lead unit's own staff
        staff = user(name)
        assert queries.case_detail(staff, case.number) is not None
        assert queries.masked_reporters(case, staff) is None
        with pytest.raises(Forbidden):
            services.unmask_reporters(case.number, staff, "需要联系举报人")
        body = client.get(f"/api/v1/cases/{case.number}", **bearer(staff)).json()
        assert body["reporters"] is None
        for secret in ("三丰", "13812345678", "11010519491231002X", "****"):
            assert secret not in str(body)
    # Hotline staff see it masked but may not unmask a report.
    masked = queries.masked_reporters(case, user("dispatcher"))
    assert masked and masked[0]["name"] == "张**"
    for name in ("intake", "dispatcher", "callback"):
        with pytest.raises(Forbidden):
            services.unmask_reporters(case.number, user(name), "需要联系举报人")
    assert not UnmaskLog.objects.exists()
    assert not CaseEvent.objects.filter(case=case, action="unmask").exists()
    # Only the discipline commission may.
    shown = services.unmask_reporters(case.number, user("inspector"), "核查举报线索")
    assert shown[0]["name"] == "张三丰"
    assert UnmaskLog.objects.filter(case=case, user=user("inspector")).count() == 1


def test_unit_staff_see_masked_reporters_of_ordinary_cases(make_case, user):
    case = make_case("dispatched")
    masked = queries.masked_reporters(case, user("handler"))
    assert masked is not None and masked[0]["phone"] == "138****5678"
    # A complaint's reporter the lead unit may reveal, with a reason, to contact the person
    # first (先行联系, issue 14); logged like every unmasking.
    shown = services.unmask_reporters(case.number, user("handler"), "联系企业")
    assert shown[0]["phone"] == "13812345678"
    assert UnmaskLog.objects.filter(case=case, user=user("handler")).count() == 1
