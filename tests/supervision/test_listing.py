"""Listing a case for supervision by hand, and the public list of listed cases."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.supervision.conftest import LEAD


@pytest.fixture
def signed_in(client, user):
    def sign_in(username):
        client.force_login(user(username))
        return client
    return sign_in


def test_a_supervisor_lists_a_case_from_its_page(make_case, signed_in, user):
    from qinqing.cases.models import CaseEvent
    from qinqing.notifications.models import Notification
    from qinqing.supervision.models import Listing

    case = make_case(("dispatch", "sign"))
    c = signed_in("supervisor")
    page = c.get(f"/cases/{case.number}/").content.decode()
    assert 'data-action="list_supervision"' in page
    deadline = (date.today() + timedelta(days=10)).isoformat()
    response = c.post(f"/supervision/list/{case.number}/",
                      {"deadline": deadline, "reason": "群众反映强烈"})
    assert response.status_code == 302
    listing = Listing.objects.get(case=case)
    assert listing.unit.code == LEAD and listing.listed_by.username == "supervisor"
    assert listing.deadline.date().isoformat() == deadline and not listing.automatic
    event = CaseEvent.objects.get(case=case, action="list_supervision")
    assert event.reason == "群众反映强烈" and event.actor.username == "supervisor"
    assert Notification.objects.filter(case=case, kind="listed").count() == \
        user("handler").unit.members.filter(is_active=True).count()
    page = c.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="listed"' in page and 'data-action="list_supervision"' not in page
    # Twice is refused, and changes nothing.
    c.post(f"/supervision/list/{case.number}/", {})
    assert Listing.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, action="list_supervision").count() == 1


@pytest.mark.parametrize("who", ["handler", "dispatcher", "intake", "callback"])
def test_other_roles_may_not_list(make_case, user, who):
    from qinqing.cases.errors import Forbidden
    from qinqing.supervision import services

    case = make_case(("dispatch",))
    with pytest.raises(Forbidden):
        services.list_case(case.number, user(who))


@pytest.mark.parametrize("deadline,reason,field", [
    (date(2000, 1, 1), "", "deadline"),
    (date.today() + timedelta(days=400), "", "deadline"),
    (None, "长" * 501, "reason"),
])
def test_bad_input_is_refused_and_changes_nothing(make_case, user, deadline, reason, field):
    from qinqing.cases.errors import InvalidInput
    from qinqing.supervision import services
    from qinqing.supervision.models import Listing

    case = make_case(("dispatch",))
    with pytest.raises(InvalidInput) as refused:
        services.list_case(case.number, user("supervisor"), deadline=deadline, reason=reason)
    assert field in refused.value.fields
    assert not Listing.objects.exists()


def test_a_bad_date_on_the_page_gets_a_message(make_case, signed_in):
    from qinqing.supervision.models import Listing

    case = make_case(("dispatch",))
    c = signed_in("supervisor")
    response = c.post(f"/supervision/list/{case.number}/", {"deadline": "明天"}, follow=True)
    assert "YYYY-MM-DD" in response.content.decode() or "日期" in response.content.decode()
    assert not Listing.objects.exists()


def test_a_closed_case_cannot_be_listed(make_case, user):
    from qinqing.cases.errors import NotAllowedInState
    from qinqing.supervision import services

    case = make_case(("dispatch", "sign", "reply", "review", "callback"))
    with pytest.raises(NotAllowedInState):
        services.list_case(case.number, user("supervisor"))


def test_the_public_list_needs_no_login_and_shows_nothing_personal(make_case, user, client):
    from qinqing.supervision import services

    numbers = []
    for i in range(3):
        case = make_case(("dispatch", "sign"), title=f"投诉人王五的营业执照{i}")
        services.list_case(case.number, user("supervisor"), reason="王五多次来电")
        numbers.append(case.number)
    with CaptureQueriesContext(connection) as small:
        page = client.get("/public/listed/").content.decode()
    for number in numbers:
        assert number in page
    for secret in ("王五", "张三丰", "138", "清风商贸", "营业执照"):
        assert secret not in page, secret
    assert "审批服务" in page or "办理时限" in page  # the category is shown
    for i in range(5):
        case = make_case(("dispatch",))
        services.list_case(case.number, user("supervisor"))
    with CaptureQueriesContext(connection) as large:
        page = client.get("/public/listed/").content.decode()
    assert len(small) == len(large)
    assert len(re.findall(r'<tr data-case=', page)) == 8


def test_the_letter_pdf_is_served_to_who_may_see_the_case(make_case, worker, at_time,
                                                          signed_in):
    from qinqing.cases.models import StageClock
    from qinqing.supervision.models import ReminderLetter

    case = make_case(("dispatch", "sign"))
    clock = StageClock.objects.get(case=case, stage="resolve")
    with at_time(clock.due_at + timedelta(days=5)):
        worker.run_once()
    letter = ReminderLetter.objects.get(case=case)
    response = signed_in("handler").get(f"/supervision/letters/{letter.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert signed_in("handler2").get(f"/supervision/letters/{letter.pk}/").status_code == 404
    page = signed_in("handler").get(f"/cases/{case.number}/").content.decode()
    assert letter.number in page
    # The history says what the ladder did: the letter and its number, automatic.
    history = page[page.index('class="timeline"'):]
    for action in ("remind", "reminder_letter"):  # found overdue: no warning first
        assert f'data-event="{action}"' in history
    assert letter.number in history and "由督办程序自动发出" in history


def test_the_duty_phone_is_stored_encrypted_and_shown_masked(city, admin_client):
    from qinqing.org.models import Unit
    from qinqing.supervision.models import DutyPhone

    unit = Unit.objects.get(code="990103-SCJG")
    response = admin_client.post("/admin/supervision/dutyphone/add/", {
        "unit": unit.pk, "phone": "139 0000 2222", "note": "A岗", "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    duty = DutyPhone.objects.get(unit=unit)
    assert "13900002222" not in duty.phone_enc and duty.phone == "13900002222"
    listing = admin_client.get("/admin/supervision/dutyphone/").content.decode()
    assert "139****2222" in listing and "13900002222" not in listing
    bad = admin_client.post("/admin/supervision/dutyphone/add/", {
        "unit": Unit.objects.get(code="990104-SCJG").pk, "phone": "12"})
    assert bad.status_code == 200 and not DutyPhone.objects.filter(
        unit__code="990104-SCJG").exists()
