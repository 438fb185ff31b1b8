"""The workbench pages about cases, through Django's test client: scoping, moves, bad
input, query counts, language. The browser tests (tests/e2e) drive the same pages."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qinqing.cases.models import CaseEvent, State, UnmaskLog

from .conftest import LEAD, OTHER


def events(case):
    return CaseEvent.objects.filter(case=case).count()


def test_pages_need_sign_in(demo_org):
    response = Client().get("/cases/dispatch/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_sign_in_opens_home_in_chinese_with_an_english_switch(demo_org):
    client = Client()
    response = client.post("/login/", {"username": "dispatcher", "password": "qinqing-demo"},
                           follow=True)
    assert response.status_code == 200
    assert "我的工作" in response.content.decode()  # no preference given: Chinese
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert "My work" in response.content.decode()
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    assert "我的工作" in response.content.decode()


def test_wrong_password_keeps_username_and_says_why(demo_org):
    response = Client().post("/login/", {"username": "dispatcher", "password": "nope"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="dispatcher"' in body
    assert 'role="alert"' in body


def test_other_county_handler_can_neither_list_open_nor_act(client_for, make_case):
    case = make_case("dispatched")
    other = client_for("handler2")  # 990103, the case is led by 990102
    row = f'data-case="{case.number}"'
    assert row not in other.get("/cases/inbox/").content.decode()
    assert row not in other.get(f"/cases/?q={case.number}").content.decode()
    assert row not in other.get("/").content.decode()
    assert other.get(f"/cases/{case.number}/").status_code == 404
    response = other.post(f"/cases/{case.number}/act/sign/", {})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.state == State.DISPATCHED
    # …while the lead unit's handler sees and signs it.
    own = client_for("handler")
    assert row in own.get("/cases/inbox/").content.decode()
    assert own.post(f"/cases/{case.number}/act/sign/", {}).status_code == 302
    case.refresh_from_db()
    assert case.state == State.HANDLING


def test_a_full_life_through_the_pages(client_for, make_case):
    case = make_case("received")
    number = case.number
    dispatcher = client_for("dispatcher")
    page = dispatcher.get(f"/cases/{number}/").content.decode()
    assert 'data-action="dispatch"' in page and 'data-action="sign"' not in page
    response = dispatcher.post(f"/cases/{number}/act/dispatch/", {
        "dispatch-lead_unit": LEAD, "dispatch-reason": "属地市场监管部门负责"})
    assert response.status_code == 302, response.content.decode()[:2000]

    handler = client_for("handler")
    assert handler.post(f"/cases/{number}/act/sign/", {}).status_code == 302
    evidence = SimpleUploadedFile("整改照片.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    response = handler.post(f"/cases/{number}/act/reply/",
                            {"reply-answer": "已督促窗口当日办结并致歉。", "reply-evidence": evidence})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.REPLIED and case.attachments.count() == 1
    reply = CaseEvent.objects.get(case=case, action="reply")
    assert reply.data["attachments"] == [case.attachments.get().pk]

    assert client_for("leader").post(f"/cases/{number}/act/review/", {}).status_code == 302
    callback = client_for("callback")
    assert number in callback.get("/cases/callbacks/").content.decode()
    response = callback.post(f"/cases/{number}/act/callback/", {
        "callback-satisfaction": "satisfied", "callback-resolved": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.satisfaction == "satisfied"
    history = callback.get(f"/cases/{number}/").content.decode()
    for action in ("create", "dispatch", "sign", "attach", "reply", "review", "callback"):
        assert f'data-event="{action}"' in history


def test_bad_input_is_refused_next_to_the_field_and_changes_nothing(client_for, make_case):
    case = make_case("received")
    before = events(case)
    dispatcher = client_for("dispatcher")
    response = dispatcher.post(f"/cases/{case.number}/act/dispatch/", {
        "dispatch-lead_unit": "NO-SUCH-UNIT", "dispatch-reason": "我写的理由"})
    assert response.status_code == 422
    body = response.content.decode()
    assert re.search(r'id="id_dispatch-lead_unit_error"[^>]*>[^<]*NO-SUCH-UNIT', body)
    assert 'value="NO-SUCH-UNIT"' in body and "我写的理由" in body  # what was typed is kept
    case.refresh_from_db()
    assert case.state == State.RECEIVED and case.lead_unit is None and events(case) == before

    # A form-level error (a required field left empty) too.
    response = dispatcher.post(f"/cases/{case.number}/act/reject/", {"reject-reason": ""})
    assert response.status_code == 422
    assert 'id="id_reject-reason_error"' in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.RECEIVED and events(case) == before


def test_a_move_the_role_may_not_make_is_refused(client_for, make_case):
    case = make_case("received")
    response = client_for("callback").post(f"/cases/{case.number}/act/dispatch/", {
        "dispatch-lead_unit": LEAD, "dispatch-reason": "x"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == State.RECEIVED


def test_a_move_in_the_wrong_state_is_refused(client_for, make_case):
    case = make_case("handling")
    response = client_for("handler").post(f"/cases/{case.number}/act/sign/", {})
    assert response.status_code == 409
    assert 'role="alert"' in response.content.decode()


def test_dissatisfied_callback_needs_a_reason_then_reopens(client_for, make_case):
    case = make_case("reviewed")
    callback = client_for("callback")
    response = callback.post(f"/cases/{case.number}/act/callback/",
                             {"callback-satisfaction": "dissatisfied"})
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.state == State.REVIEWED
    response = callback.post(f"/cases/{case.number}/act/callback/", {
        "callback-satisfaction": "dissatisfied", "callback-reason": "企业称问题仍未解决"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.HANDLING and case.reopen_count == 1


def test_return_then_redispatch(client_for, make_case):
    case = make_case("dispatched")
    handler = client_for("handler")
    assert handler.post(f"/cases/{case.number}/act/return/",
                        {"return-reason": "属于区行政审批局职责"}).status_code == 302
    dispatcher = client_for("dispatcher")
    assert case.number in dispatcher.get("/cases/dispatch/").content.decode()
    response = dispatcher.post(f"/cases/{case.number}/act/redispatch/", {
        "redispatch-lead_unit": OTHER, "redispatch-reason": "改派河东区市场监管局"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.lead_unit.code == OTHER


def test_revealing_a_reporter_is_explicit_and_logged(client_for, make_case):
    case = make_case("reviewed")
    callback = client_for("callback")
    page = callback.get(f"/cases/{case.number}/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    assert "13812345678" not in callback.get(f"/cases/{case.number}/reveal/").content.decode()
    response = callback.post(f"/cases/{case.number}/reveal/", {"reason": "回访"})
    assert "13812345678" in response.content.decode()
    log = UnmaskLog.objects.get(case=case)
    assert log.user.username == "callback" and log.reason == "回访"


def test_unit_staff_never_see_a_misconduct_reporter(client_for, make_case):
    case = make_case("dispatched", kind="report", category="GBZF-01")
    page = client_for("handler").get(f"/cases/{case.number}/").content.decode()
    assert "138****5678" not in page and "张" not in page.split("h-reporter")[1][:400]
    assert client_for("handler").post(f"/cases/{case.number}/reveal/",
                                      {"reason": "x"}).status_code == 422


def test_queues_refuse_other_roles(client_for, demo_org):
    assert client_for("handler").get("/cases/dispatch/").status_code == 403
    assert client_for("callback").get("/cases/inbox/").status_code == 403
    assert client_for("handler").get("/cases/callbacks/").status_code == 403
    assert client_for("handler").get("/supervision/").status_code == 403


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx)


@pytest.mark.parametrize("username,url,state", [
    ("dispatcher", "/cases/dispatch/", "received"),
    ("handler", "/cases/inbox/", "handling"),
    ("callback", "/cases/callbacks/", "reviewed"),
    ("supervisor", "/supervision/", "handling"),
    ("dispatcher", "/cases/", "handling"),
    ("handler", "/", "dispatched"),
    ("dispatcher", "/", "received"),
])
def test_lists_take_a_fixed_number_of_queries(client_for, make_case, username, url, state,
                                              settings):
    from datetime import timedelta

    from django.utils import timezone

    # Old enough that every stage is overdue, so the supervision board lists them too.
    long_ago = timezone.now() - timedelta(days=30)
    client = client_for(username)
    make_case(state, now=long_ago)
    make_case(state, now=long_ago)
    few = _queries(client, url)
    for _ in range(4):
        make_case(state, now=long_ago)
    page = client.get(url).content.decode()
    assert len(set(re.findall(r'data-case="(QQ-[\d-]+)"', page))) >= 6
    assert _queries(client, url) == few
    assert few <= 15


def test_supervision_board_groups_late_stages_by_unit(client_for, make_case):
    from datetime import timedelta

    from django.utils import timezone

    case = make_case("handling", now=timezone.now() - timedelta(days=30))
    page = client_for("supervisor").get("/supervision/").content.decode()
    group = page.split(f'data-unit="{LEAD}"')[1]
    assert case.number in group and 'data-status="overdue"' in group
    # Filtered to another region, it disappears.
    page = client_for("supervisor").get("/supervision/?region=990103").content.decode()
    assert case.number not in page


def test_bulk_reminder_from_the_board(client_for, make_case):
    from datetime import timedelta

    from django.utils import timezone

    long_ago = timezone.now() - timedelta(days=30)
    late = [make_case("handling", now=long_ago) for _ in range(2)]
    fresh = make_case("handling")  # nothing late: chosen by mistake, skipped
    supervisor = client_for("supervisor")
    response = supervisor.post("/supervision/remind/", {
        "cases": [c.number for c in late] + [fresh.number], "note": "请于今日内办结",
        "back": "region=&kind="}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    for case in late:
        event = CaseEvent.objects.get(case=case, action="remind")
        assert event.reason == "请于今日内办结" and event.actor.username == "supervisor"
        assert event.data["stages"][0]["overdue"] is True
    assert not CaseEvent.objects.filter(case=fresh, action="remind").exists()
    assert 'class="messages"' in body
    history = client_for("handler").get(f"/cases/{late[0].number}/").content.decode()
    assert 'data-event="remind"' in history and "请于今日内办结" in history


def test_bulk_reminder_refuses_bad_input_and_other_roles(client_for, make_case):
    from datetime import timedelta

    from django.utils import timezone

    case = make_case("handling", now=timezone.now() - timedelta(days=30))
    supervisor = client_for("supervisor")
    response = supervisor.post("/supervision/remind/", {"cases": [], "note": "x"})
    assert response.status_code == 422 and 'id="remind-error"' in response.content.decode()
    response = supervisor.post("/supervision/remind/", {"cases": [case.number], "note": "长" * 501})
    body = response.content.decode()
    assert response.status_code == 422 and ("长" * 501) in body  # what was typed is kept
    assert f'value="{case.number}" id="pick-' in body and "checked" in body
    assert client_for("handler").post("/supervision/remind/",
                                      {"cases": [case.number]}).status_code == 403
    assert not CaseEvent.objects.filter(action="remind").exists()


def test_only_moves_that_can_succeed_now_are_offered(client_for, make_case, user):
    from qinqing.cases import services
    from qinqing.cases.transitions import available_moves

    assert "answer" not in available_moves(make_case("received"), user("dispatcher"))
    assert "answer" in available_moves(make_case("received", kind="consultation"),
                                       user("dispatcher"))
    case = make_case("handling")
    handler, dispatcher = user("handler"), user("dispatcher")
    moves = available_moves(case, handler)
    assert "resume" not in moves and {"reply", "request_extension", "request_suspension"} <= set(moves)
    assert not {"approve_extension", "deny_extension"} & set(available_moves(case, dispatcher))
    services.perform(case.number, "request_extension", handler, {"reason": "需现场核查", "limit": "2d"})
    case.refresh_from_db()
    assert not {"request_extension", "request_suspension"} & set(available_moves(case, handler))
    assert {"approve_extension", "deny_extension"} <= set(available_moves(case, dispatcher))
    page = client_for("dispatcher").get(f"/cases/{case.number}/").content.decode()
    assert 'data-action="approve_extension"' in page and 'data-action="approve_suspension"' not in page


def test_board_totals_count_beyond_what_it_lists(client_for, make_case, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from qinqing.supervision import queries

    for _ in range(3):
        make_case("handling", now=timezone.now() - timedelta(days=30))
    monkeypatch.setattr(queries, "BOARD_LIMIT", 2)
    page = client_for("supervisor").get("/supervision/").content.decode()
    assert len(re.findall(r'<tr data-case=', page)) == 2
    assert re.search(r'data-testid="total-overdue">[^<]*3<', page)


# ------------------------------------------------------------------ merge, confirmed

def test_merge_shows_both_cases_and_merges_only_when_confirmed(client_for, make_case):
    earlier = make_case(enterprise_name="示范市清风商贸有限公司", title="营业执照办理超期")
    repeat = make_case(enterprise_name="示范市明月食品有限公司", title="食品许可办理超期",
                       content="申请食品经营许可已超过承诺时限仍未办结。")
    client = client_for("dispatcher")
    url = f"/cases/{repeat.number}/act/merge/"
    page = client.post(url, {"merge-into": earlier.number, "merge-reason": "同一事项"})
    assert page.status_code == 200
    html = page.content.decode()
    repeat.refresh_from_db()
    assert repeat.state == "received" and repeat.merged_into_id is None  # nothing merged yet
    assert 'data-testid="merge-enterprise-warning"' in html and "两件工单涉及的企业不同" in html
    for text in (earlier.number, repeat.number, "示范市清风商贸有限公司", "示范市明月食品有限公司",
                 "营业执照办理超期", "食品许可办理超期", "申请食品经营许可已超过承诺时限",
                 "投诉", "已受理"):
        assert text in html, text
    assert "13812345678" not in html and "138****5678" in html  # reporters masked
    assert 'name="merge-confirm" value="1"' in html and "同一事项" in html

    done = client.post(url, {"merge-into": earlier.number, "merge-reason": "同一事项",
                             "merge-confirm": "1"})
    assert done.status_code == 302
    repeat.refresh_from_db()
    assert repeat.state == "closed" and repeat.merged_into_id == earlier.pk


def test_merge_of_the_same_enterprise_asks_without_the_warning(client_for, make_case):
    earlier = make_case(enterprise_name="示范市清风商贸有限公司")
    repeat = make_case(enterprise_name="示范市清风商贸有限公司")
    html = client_for("dispatcher").post(f"/cases/{repeat.number}/act/merge/", {
        "merge-into": earlier.number}).content.decode()
    assert 'data-testid="confirm-merge"' in html
    assert 'data-testid="merge-enterprise-warning"' not in html


def test_merge_into_an_unknown_case_is_refused_at_once(client_for, make_case):
    repeat = make_case()
    response = client_for("dispatcher").post(f"/cases/{repeat.number}/act/merge/", {
        "merge-into": "QQ-2026-999999"})
    assert response.status_code == 422 and 'data-testid="confirm-merge"' not in (
        response.content.decode())
