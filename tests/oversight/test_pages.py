"""The oversight pages through Django's test client: forms save through the services and
say what is wrong next to the field (nothing saved then), roles, query counts that do not
grow with the rows, the menu and the case page's panel."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qinqing.cases.models import Case, CaseEvent
from qinqing.oversight import services
from qinqing.oversight.models import (
    AccountabilityRecord, Campaign, Decision, Inspection, Meeting, Problem,
)

from .conftest import LEAD, OTHER


def _error(body: str, field: str) -> str:
    """The message shown next to a field (web/field.html)."""
    match = re.search(rf'id="id_{re.escape(field)}_error"[^>]*>([^<]+)<', body)
    return match.group(1) if match else ""


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


TODAY = lambda: timezone.localdate()  # noqa: E731


# --------------------------------------------------------------------- roles and menu

@pytest.mark.parametrize("username", ["intake", "callback"])
def test_roles_without_oversight_pages_are_refused(client_for, demo_org, username):
    client = client_for(username)
    for url in ("/oversight/", "/oversight/campaigns/", "/oversight/meetings/",
                "/oversight/accountability/", "/oversight/accountability/export.csv",
                "/oversight/inspections/"):
        assert client.get(url).status_code == 403, url
    assert "/oversight/" not in client.get("/").content.decode()


@pytest.mark.parametrize("username,allowed", [
    ("supervisor", {"campaign_new", "meeting_new", "inspection_new"}),
    ("dispatcher", {"meeting_new"}),
    ("inspector", {"record_new", "inspection_new"}),
    ("r-administrator", {"record_new"}),
    ("analyst", set()), ("handler", set()), ("leader", set()),
])
def test_forms_open_only_for_the_roles_that_may_save_them(client_for, demo_org, username,
                                                          allowed):
    client = client_for(username)
    for name, url in [("campaign_new", "/oversight/campaigns/new/"),
                      ("meeting_new", "/oversight/meetings/new/"),
                      ("record_new", "/oversight/accountability/new/"),
                      ("inspection_new", "/oversight/inspections/new/")]:
        assert client.get(url).status_code == (200 if name in allowed else 403), url
    home = client.get("/").content.decode()
    assert 'href="/oversight/"' in home and "监督问责" in home


# --------------------------------------------------------------------- campaigns

def test_start_and_close_a_campaign_through_the_pages(client_for, late_case):
    late_case("handling")
    late_case("dispatched")
    client = client_for("supervisor")
    form = client.get("/oversight/campaigns/new/").content.decode()
    key = re.search(r'name="key" value="([^"]+)"', form).group(1)
    response = client.post("/oversight/campaigns/new/", {"name": "十月清零", "key": key})
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == f"/oversight/campaigns/{campaign.pk}/"
    again = client.post("/oversight/campaigns/new/", {"name": "十月清零", "key": key})
    assert again.status_code == 302 and Campaign.objects.count() == 1  # a double submit
    page = client.get(response.url).content.decode()
    assert 'data-testid="snapshot">2<' in page and 'data-testid="remaining">2<' in page
    assert "<svg" in page and 'data-testid="cleared-definition"' in page
    response = client.post(f"/oversight/campaigns/{campaign.pk}/close/", {"note": "完成"})
    assert response.status_code == 302
    assert Campaign.objects.get().closed_at is not None
    refused = client.post(f"/oversight/campaigns/{campaign.pk}/close/", {"note": ""})
    assert refused.status_code == 409  # closed already: said at the top, nothing changes


@pytest.mark.parametrize("data,field,message", [
    ({"name": ""}, "name", "必填项"),
    ({"name": "清零", "kind": "gossip"}, "kind", "选择一个有效的选项"),
    ({"name": "清零", "region": "990102-SCJG"}, "region", "选择一个有效的选项"),
])
def test_campaign_form_says_what_is_wrong_and_saves_nothing(client_for, late_case, data, field,
                                                           message):
    late_case("handling")
    response = client_for("supervisor").post("/oversight/campaigns/new/", data)
    assert response.status_code == 422
    assert message in _error(response.content.decode(), field)
    assert not Campaign.objects.exists()


def test_campaign_with_nothing_overdue_says_so(client_for, demo_org):
    response = client_for("supervisor").post("/oversight/campaigns/new/", {"name": "清零"})
    assert response.status_code == 422
    assert "没有逾期" in response.content.decode()
    assert not Campaign.objects.exists()


# --------------------------------------------------------------------- meetings

def _meeting_post(linked, **over):
    data = {"title": "联席会议", "held_on": TODAY().isoformat(),
            "cases": " ".join(c.number for c in linked), "units": [LEAD, OTHER],
            "minutes": "会议纪要。",
            "decisions-TOTAL_FORMS": "3", "decisions-INITIAL_FORMS": "0",
            "decisions-MIN_NUM_FORMS": "0", "decisions-MAX_NUM_FORMS": "30",
            "decisions-0-text": "核查", "decisions-0-owner_unit": LEAD,
            "decisions-0-due_on": (TODAY() + timedelta(days=5)).isoformat(),
            "decisions-1-text": "", "decisions-1-owner_unit": "", "decisions-1-due_on": "",
            "decisions-2-text": "答复", "decisions-2-owner_unit": OTHER,
            "decisions-2-due_on": (TODAY() + timedelta(days=9)).isoformat()}
    data.update(over)
    return data


def test_record_a_meeting_and_mark_a_decision_done_through_the_pages(client_for, make_case):
    case = make_case("handling")
    response = client_for("dispatcher").post("/oversight/meetings/new/", _meeting_post([case]))
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == f"/oversight/meetings/{meeting.pk}/"
    assert meeting.decisions.count() == 2  # the empty middle row is skipped
    decision = meeting.decisions.get(owner_unit__code=LEAD)
    handler = client_for("handler")
    page = handler.get(response.url).content.decode()
    assert f'action="/oversight/meetings/{meeting.pk}/decisions/{decision.pk}/done/"' in page
    other = meeting.decisions.get(owner_unit__code=OTHER)
    assert f"/decisions/{other.pk}/done/" not in page  # not the handler's to mark
    refused = handler.post(f"/oversight/meetings/{meeting.pk}/decisions/{decision.pk}/done/",
                           {f"done-{decision.pk}-note": ""})
    assert refused.status_code == 422
    assert "必填项" in _error(refused.content.decode(), f"done-{decision.pk}-note")
    assert Decision.objects.get(pk=decision.pk).done_at is None
    done = handler.post(f"/oversight/meetings/{meeting.pk}/decisions/{decision.pk}/done/",
                        {f"done-{decision.pk}-note": "已核查完毕"})
    assert done.status_code == 302
    assert Decision.objects.get(pk=decision.pk).done_note == "已核查完毕"
    forbidden = client_for("handler2").post(
        f"/oversight/meetings/{meeting.pk}/decisions/{decision.pk}/done/",
        {f"done-{decision.pk}-note": "x"})
    assert forbidden.status_code in (403, 404)
    case_page = client_for("handler").get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="case-oversight"' in case_page and "联席会议" in case_page
    assert 'data-event="meeting_decision_done"' in case_page


@pytest.mark.parametrize("over,field,message", [
    ({"title": ""}, "title", "必填项"),
    ({"held_on": "2024-13-45"}, "held_on", "有效的日期"),
    ({"held_on": "2099-01-01"}, "held_on", "不能是将来"),
    ({"cases": "QQ-1999-000001"}, "cases", "没有您可查看的工单"),
    ({"units": ["NOPE"]}, "units", "选择一个有效的选项"),
    ({"decisions-0-owner_unit": "990121"}, "decisions-0-owner_unit", "参会单位"),
    ({"decisions-2-due_on": "2000-01-01"}, "decisions-2-due_on", "不能早于"),
    ({"decisions-0-text": ""}, "decisions-0-text", "必填项"),
])
def test_meeting_form_says_what_is_wrong_and_saves_nothing(client_for, make_case, over, field,
                                                          message):
    case = make_case("handling")
    response = client_for("supervisor").post("/oversight/meetings/new/",
                                             _meeting_post([case], **over))
    assert response.status_code == 422
    assert message in _error(response.content.decode(), field), response.content.decode()
    assert not Meeting.objects.exists()
    assert not CaseEvent.objects.filter(action="joint_meeting").exists()


# ---------------------------------------------------------------- accountability

def _record_post(case, **over):
    data = {"cases": case.number, "official_name": "司马光", "official_position": "科长",
            "official_unit": LEAD, "sanction": "admonishment-talk", "decided_by": "示范市纪委监委",
            "decided_on": TODAY().isoformat(), "notes": ""}
    data.update(over)
    return data


def test_record_accountability_through_the_page(client_for, make_case):
    case = make_case("closed", co_units=["990000-JW"])
    response = client_for("inspector").post("/oversight/accountability/new/", _record_post(case))
    record = AccountabilityRecord.objects.get()
    assert response.status_code == 302 and response.url == f"/oversight/accountability/{record.pk}/"
    page = client_for("inspector").get(response.url).content.decode()
    assert "司马光" in page and "诫勉谈话" in page


@pytest.mark.parametrize("over,field,message", [
    ({"official_name": ""}, "official_name", "必填项"),
    ({"sanction": "flogging"}, "sanction", "选择一个有效的选项"),
    ({"official_unit": ""}, "official_unit", "必填项"),
    ({"decided_on": "2099-01-01"}, "decided_on", "不能是将来"),
    ({"cases": "QQ-1999-000001"}, "cases", "没有您可查看的工单"),
    ({"decided_by": "x" * 101}, "decided_by", "100"),
])
def test_accountability_form_says_what_is_wrong_and_saves_nothing(client_for, make_case, over,
                                                                 field, message):
    case = make_case("closed", co_units=["990000-JW"])
    response = client_for("inspector").post("/oversight/accountability/new/",
                                            _record_post(case, **over))
    assert response.status_code == 422
    assert message in _error(response.content.decode(), field)
    assert not AccountabilityRecord.objects.exists()


def test_record_filter_says_what_is_wrong(client_for, demo_org):
    response = client_for("inspector").get(
        "/oversight/accountability/?start=2024-05-01&end=2024-01-01")
    assert response.status_code == 422
    assert "结束日期不能早于开始日期" in _error(response.content.decode(), "end")
    assert client_for("inspector").get(
        "/oversight/accountability/export.csv?start=nope").status_code == 422


def test_csv_export_defuses_formulas(client_for, make_case, user):
    case = make_case("closed", co_units=["990000-JW"])
    services.record_accountability(user("inspector"), _record_post(
        case, official_name="=HYPERLINK(1)", decided_by="@SUM(A1)"))
    body = client_for("inspector").get("/oversight/accountability/export.csv").content.decode()
    assert "'=HYPERLINK(1)" in body and "'@SUM(A1)" in body


# --------------------------------------------------------------------- inspections

def _inspection_post(**over):
    data = {"held_on": TODAY().isoformat(), "team": "暗访组", "units": ["990102-HALL", LEAD],
            "undercover": "on", "summary": "暗访。",
            "problems-TOTAL_FORMS": "2", "problems-INITIAL_FORMS": "0",
            "problems-MIN_NUM_FORMS": "0", "problems-MAX_NUM_FORMS": "30",
            "problems-0-type": "responsibility", "problems-0-unit": "990102-W01",
            "problems-0-category": "SPFW-03", "problems-0-description": "未一次性告知。",
            "problems-1-type": "", "problems-1-unit": "", "problems-1-category": "",
            "problems-1-description": ""}
    data.update(over)
    return data


def test_record_an_inspection_through_the_page(client_for, demo_org):
    client = client_for("supervisor")
    response = client.post("/oversight/inspections/new/", _inspection_post())
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and inspection.undercover
    problem = Problem.objects.get()
    page = client.get(response.url).content.decode()
    assert f'data-case="{problem.case.number}"' in page
    assert 'data-testid="found">1<' in page and 'data-testid="rectified">0<' in page
    added = client.post(f"/oversight/inspections/{inspection.pk}/problems/", {
        "add-type": "conduct", "add-unit": LEAD, "add-category": "GBZF-02",
        "add-description": "推诿扯皮。"})
    assert added.status_code == 302 and Problem.objects.count() == 2
    refused = client.post(f"/oversight/inspections/{inspection.pk}/problems/", {
        "add-type": "conduct", "add-unit": "990121-W01", "add-category": "GBZF-02",
        "add-description": "推诿扯皮。"})
    assert refused.status_code == 422
    assert "所检查的单位" in _error(refused.content.decode(), "add-unit")
    assert Problem.objects.count() == 2
    case_page = client.get(f"/cases/{problem.case.number}/").content.decode()
    assert f"/oversight/inspections/{inspection.pk}/" in case_page


@pytest.mark.parametrize("over,field,message", [
    ({"team": ""}, "team", "必填项"),
    ({"units": []}, "units", "必填项"),
    ({"problems-0-unit": "990121-W01"}, "problems-0-unit", "所检查的单位"),
    ({"problems-0-description": ""}, "problems-0-description", "必填项"),
    ({"problems-1-type": "conduct"}, "problems-1-unit", "必填项"),  # a row begun
])
def test_inspection_form_says_what_is_wrong_and_saves_nothing(client_for, demo_org, over, field,
                                                             message):
    response = client_for("supervisor").post("/oversight/inspections/new/",
                                             _inspection_post(**over))
    assert response.status_code == 422
    assert message in _error(response.content.decode(), field)
    assert not Inspection.objects.exists() and not Case.objects.exists()


# ------------------------------------------------------------------- query counts

def _grow(kind, n, make_case, user):
    """n more rows of a list page's kind, made through the services."""
    for _ in range(n):
        case = make_case("handling", co_units=["990000-JW"],
                         now=timezone.now() - timedelta(days=30))
        if kind == "campaign":
            services.start_campaign(user("supervisor"), {"name": "清零"})
        elif kind == "meeting":
            services.record_meeting(user("supervisor"), {
                "title": "会", "held_on": TODAY() - timedelta(days=3), "cases": case.number,
                "units": [LEAD, "990000-JW"], "minutes": "纪要",
                "decisions": [{"text": "做", "owner_unit": LEAD,
                               "due_on": TODAY() - timedelta(days=1)}]})
        elif kind == "record":
            services.record_accountability(user("inspector"), _record_post(case))
        elif kind == "inspection":
            services.record_inspection(user("supervisor"), {
                "held_on": TODAY(), "team": "组", "units": [LEAD, "990102-HALL"],
                "summary": "查", "problems": [{"type": "other", "unit": LEAD,
                                              "category": "SPFW-01", "description": "问题"}]})


@pytest.mark.parametrize("kind,username,url,row", [
    ("campaign", "supervisor", "/oversight/campaigns/", "data-campaign"),
    ("campaign", "supervisor", "/oversight/campaigns/{campaign}/", "data-case"),
    ("meeting", "supervisor", "/oversight/meetings/", "data-meeting"),
    ("meeting", "handler", "/oversight/meetings/", "data-decision"),
    ("record", "inspector", "/oversight/accountability/", "data-record"),
    ("record", "analyst", "/oversight/accountability/", "data-record"),
    ("record", "inspector", "/oversight/accountability/export.csv", None),
    ("inspection", "supervisor", "/oversight/inspections/", "data-inspection"),
    ("meeting", "supervisor", "/oversight/", None),
])
def test_lists_take_a_fixed_number_of_queries(client_for, make_case, user, kind, username, url,
                                              row):
    client = client_for(username)

    def page_url():
        # A campaign's page: the newest campaign, whose snapshot holds every case so far.
        latest = Campaign.objects.order_by("-pk").first()
        return url.format(campaign=latest.pk if latest else 0)

    _grow(kind, 2, make_case, user)
    few = _queries(client, page_url())
    _grow(kind, 4, make_case, user)
    body = client.get(page_url()).content.decode()
    if row:
        assert len(set(re.findall(rf'{row}="([^"]+)"', body))) >= 6, body
    assert _queries(client, page_url()) == few
    assert few <= 25


def test_the_case_page_panel_costs_the_same_with_more_records(client_for, make_case, user):
    case = make_case("closed", co_units=["990000-JW"])
    client = client_for("inspector")
    services.record_accountability(user("inspector"), _record_post(case))
    few = _queries(client, f"/cases/{case.number}/")
    for _ in range(4):
        services.record_accountability(user("inspector"), _record_post(case))
    body = client.get(f"/cases/{case.number}/").content.decode()
    assert body.count("/oversight/accountability/") >= 5
    assert "司马光" not in body  # the panel never names, even for the commission
    assert _queries(client, f"/cases/{case.number}/") == few


def test_pages_in_english_and_chinese(client_for, user, demo_org):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user("supervisor"))
    body = client.get("/oversight/").content.decode()
    assert "Oversight and accountability" in body and "Overdue sweeps" in body
    body = client_for("supervisor").get("/oversight/").content.decode()
    assert "监督问责" in body and "专项清零" in body


@pytest.mark.parametrize("username,meeting,record", [
    ("dispatcher", True, False), ("supervisor", True, False), ("inspector", False, True),
    ("r-administrator", False, True), ("handler", False, False), ("intake", False, False)])
def test_the_case_page_offers_what_the_role_may_record(client_for, make_case, username,
                                                       meeting, record):
    case = make_case("handling", co_units=["990000-JW"])
    body = client_for(username).get(f"/cases/{case.number}/").content.decode()
    assert (f"/oversight/meetings/new/?case={case.number}" in body) is meeting
    assert (f"/oversight/accountability/new/?case={case.number}" in body) is record
    if meeting or record:
        form = client_for(username).get(
            f"/oversight/{'meetings' if meeting else 'accountability'}/new/?case={case.number}")
        assert f'value="{case.number}"' in form.content.decode()  # filled in
