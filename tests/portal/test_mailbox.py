"""The mayor's mailbox (市长信箱): letters with consent to publish; a public list of letters
and answers that staff approved, in anonymised words."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client

from qinqing.cases import services as case_services
from qinqing.cases.models import Case, Channel
from qinqing.portal.models import MailboxLetter, Publication

pytestmark = pytest.mark.django_db


def letter(**overrides) -> dict:
    return {"kind": "consultation", "category": "SPFW-01", "title": "建议延长政务大厅周末开放时间",
            "content": "我是张三丰，电话13812345678。上班族工作日没空，建议周六上午开放综合窗口。",
            "region": "", "subject_unit": "", "enterprise_name": "", "enterprise_code": "",
            "anonymous": "", "name": "张三丰", "phone": "13812345678", "sms_code": "",
            "consent": "on", "personal_ok": "on", "token": uuid.uuid4().hex,
            "action": "submit", **overrides}


def send(client, **fields):
    client.post("/mailbox/", letter(action="send_code", **fields))
    from qinqing.notifications.models import SmsMessage

    code = re.search(r"\d{6}", SmsMessage.objects.latest("pk").text)[0]
    return client.post("/mailbox/", letter(sms_code=code, **fields))


def staff(username):
    from qinqing.org.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def answered(number):
    from qinqing.org.models import User

    intake = User.objects.get(username="intake")
    case_services.perform(number, "answer", intake, {"answer": "已采纳，自下月起周六上午开放。"})


def test_a_letter_with_consent_is_published_only_as_approved(client, demo_org):
    page = client.get("/mailbox/").content.decode()
    assert "<h1>市长信箱</h1>" in page and 'name="consent"' in page
    assert send(client).status_code == 200
    case = Case.objects.get()
    record = MailboxLetter.objects.get(case=case)
    assert (case.channel, record.consent, record.publication) == (
        Channel.MAYOR_MAILBOX, True, Publication.PENDING)

    # Not before it is answered, not before staff approve it.
    office = staff("dispatcher")
    assert case.number not in office.get("/mailbox/review/").content.decode()
    answered(case.number)
    review = office.get("/mailbox/review/").content.decode()
    assert case.number in review
    # The draft takes out the writer's name and numbers; the public list is still empty.
    assert "13812345678" not in review and "张三丰" not in review.split("<main", 1)[1].split(
        case.number, 1)[1]
    assert "data-testid=\"letter\"" not in client.get("/mailbox/letters/").content.decode()

    prefix = f"l{record.pk}"
    refused = office.post("/mailbox/review/", {
        "letter": record.pk, "decision": "approve", f"{prefix}-title": "建议周末开放",
        f"{prefix}-question": "电话13812345678，建议周六开放。", f"{prefix}-answer": "已采纳。"})
    assert refused.status_code == 400 and "仍有手机号" in refused.content.decode()
    approved = office.post("/mailbox/review/", {
        "letter": record.pk, "decision": "approve", f"{prefix}-title": "建议周末开放政务大厅",
        f"{prefix}-question": "上班族工作日没空，建议周六上午开放综合窗口。",
        f"{prefix}-answer": "已采纳，自下月起周六上午开放。"})
    assert approved.status_code == 302
    public = Client().get("/mailbox/letters/").content.decode()
    assert "建议周末开放政务大厅" in public and "已采纳，自下月起周六上午开放。" in public
    for private in ("张三丰", "13812345678", case.number):
        assert private not in public


def test_a_letter_without_consent_is_never_listed(client, demo_org):
    send(client, consent="")
    case = Case.objects.get()
    answered(case.number)
    assert MailboxLetter.objects.get().publication == Publication.NOT_ASKED
    assert case.number not in staff("dispatcher").get("/mailbox/review/").content.decode()
    record = MailboxLetter.objects.get()
    answer = staff("dispatcher").post("/mailbox/review/", {
        "letter": record.pk, "decision": "approve", f"l{record.pk}-title": "标题",
        f"l{record.pk}-question": "内容", f"l{record.pk}-answer": "答复"})
    assert answer.status_code == 400
    assert MailboxLetter.objects.get().publication == Publication.NOT_ASKED


def test_a_letter_needs_a_title_and_has_no_report_type(client, demo_org):
    assert client.post("/mailbox/", letter(title="")).status_code == 400
    assert client.post("/mailbox/", letter(kind="report")).status_code == 400
    assert Case.objects.count() == 0


@pytest.mark.parametrize("username, status", [("handler", 403), ("analyst", 403),
                                              ("dispatcher", 200), ("admin", 200)])
def test_only_the_hotline_office_decides(demo_org, username, status):
    assert staff(username).get("/mailbox/review/").status_code == status


def test_the_public_list_costs_the_same_statements_for_any_number_of_letters(
        client, demo_org, django_assert_num_queries):
    from qinqing.org.models import User
    from qinqing.portal.services import decide_publication

    office = User.objects.get(username="dispatcher")
    for i in range(3):
        send(Client(REMOTE_ADDR=f"10.0.0.{i + 1}"), phone=f"1381234000{i}",
             token=uuid.uuid4().hex)
        case = Case.objects.latest("pk")
        answered(case.number)
        decide_publication(MailboxLetter.objects.get(case=case).pk, office, approve=True,
                           title=f"来信{i}", question="问题", answer="答复")
    client.get("/mailbox/letters/")  # the session's first save
    with django_assert_num_queries(1):
        page = client.get("/mailbox/letters/").content.decode()
    assert page.count('data-testid="letter"') == 3


def test_the_review_page_costs_the_same_statements_for_any_number_of_letters(demo_org):
    counts = []
    office = staff("dispatcher")
    for i in range(3):
        send(Client(REMOTE_ADDR=f"10.0.1.{i + 1}"), phone=f"1391234000{i}",
             token=uuid.uuid4().hex)
        answered(Case.objects.latest("pk").number)
        if i in (0, 2):
            office.get("/mailbox/review/")  # the session's first save
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                page = office.get("/mailbox/review/").content.decode()
            assert page.count('data-testid="review-') == i + 1
            counts.append(len(captured))
    assert counts[0] == counts[1], counts
