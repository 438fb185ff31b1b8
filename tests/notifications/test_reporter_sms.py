"""SMS to reporters: the number and query code after a case is registered on any channel,
and, for a reporter who asked, one at each public step (notifications.services,
receivers of cases.services.case_received and the timeline's case_changed)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client

from qinqing.cases import confidential, services
from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import Case, Reporter
from qinqing.notifications.models import SmsMessage
from tests.intake.conftest import form_data

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
PHONE = "13812345678"
LEAD = "990102-SCJG"  # the unit of the demo logins 'handler' and 'leader'
# A working Monday morning in 2026 (tests/notifications' T0).
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


def data(*, phone=PHONE, sms_updates=None, kind="complaint", **overrides) -> dict:
    reporter = {"name": "张三丰", "phone": phone}
    if sms_updates is not None:
        reporter["sms_updates"] = sms_updates
    return {"kind": kind, "channel": "hotline", "category": "SPFW-01",
            "content": "申请营业执照已超过承诺时限仍未办结。", "reporter": reporter,
            **overrides}


def texts() -> list[tuple[str, str, str]]:
    """(event key, phone, text) of every SMS queued, in order."""
    return [(m.event_key, m.phone, m.text) for m in SmsMessage.objects.order_by("pk")]


def the_new_case_sms(case: Case, code: str) -> tuple[str, str, str]:
    [(key, phone, text)] = [t for t in texts() if t[0].startswith("case-created:")]
    assert key == f"case-created:{case.number}"
    assert case.number in text and code in text
    return key, phone, text


# --------------------------------------------------------- the number and code, every channel

def test_the_service_texts_number_and_code_in_chinese(users):
    intake = services.create_case(users["intake"], data(phone="138-1234-5678"), now=T0)
    key, phone, text = the_new_case_sms(intake.case, intake.query_code)
    assert phone == PHONE  # normalised
    assert text == (f"您的诉求已登记，工单编号 {intake.case.number}，查询码 {intake.query_code}。"
                    "可在平台“查询诉求办理进度”页面或拨打 12345 查询。")
    # Queued at the intake's moment, in the same transaction, once.
    message = SmsMessage.objects.get()
    assert message.created_at == message.next_attempt_at == T0
    assert "张三丰" not in text and "营业执照" not in text


def test_the_sms_is_chinese_whatever_the_request_language(users):
    from django.utils import translation

    with translation.override("en"):
        intake = services.create_case(users["intake"], data(), now=T0)
    assert "您的诉求已登记" in the_new_case_sms(intake.case, intake.query_code)[2]


def test_the_hotline_intake_page_texts_one_sms(client, users):
    client.force_login(users["intake"])
    response = client.post("/intake/new/", form_data(idempotency_key="sms-page-1"))
    assert response.status_code == 201, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.channel == "hotline"
    [(key, phone, text)] = texts()
    assert (key, phone) == (f"case-created:{case.number}", PHONE)
    assert confidential.query_code_hash(case.pk, re.search(r"查询码 (\S+?)。", text)[1]) \
        == case.query_code_hash
    # The same form sent again: the first case, no second SMS.
    client.post("/intake/new/", form_data(idempotency_key="sms-page-1"))
    assert Case.objects.count() == 1 and SmsMessage.objects.count() == 1


def test_the_api_texts_one_sms_and_takes_the_opt_in(users):
    token = services.issue_token(users["intake"])
    body = data(sms_updates=True)
    response = Client().post("/api/v1/cases", json.dumps(body), content_type="application/json",
                             headers={"Authorization": f"Bearer {token}",
                                      "Idempotency-Key": "api-sms-1"})
    assert response.status_code == 201, response.content
    answer = response.json()
    case = Case.objects.get(number=answer["number"])
    the_new_case_sms(case, answer["query_code"])
    assert SmsMessage.objects.count() == 1
    assert case.reporters.get().sms_updates is True
    # A retry answered from the first case texts nothing more.
    again = Client().post("/api/v1/cases", json.dumps(body), content_type="application/json",
                          headers={"Authorization": f"Bearer {token}",
                                   "Idempotency-Key": "api-sms-1"})
    assert again.status_code == 200 and SmsMessage.objects.count() == 1


def test_the_api_refuses_sms_updates_without_a_phone(users):
    token = services.issue_token(users["intake"])
    response = Client().post("/api/v1/cases", json.dumps(data(phone="", sms_updates=True)),
                             content_type="application/json",
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert "reporter.sms_updates" in response.json()["fields"]
    assert not Case.objects.exists() and not SmsMessage.objects.exists()


def test_the_service_refuses_an_opt_in_that_is_not_yes_or_no(users):
    with pytest.raises(InvalidInput) as refused:
        services.create_case(users["intake"], data(sms_updates="yes"))
    assert "reporter.sms_updates" in refused.value.fields


def test_open311_texts_one_sms(users):
    token = services.issue_token(users["intake"])
    response = Client().post("/open311/v2/requests.json", {
        "api_key": token, "service_code": "SPFW-01", "attribute[kind]": "complaint",
        "description": "网上办理营业执照变更一直提示系统繁忙。", "last_name": "张",
        "first_name": "三丰", "phone": PHONE})
    assert response.status_code == 201, response.content
    case = Case.objects.get()
    assert case.channel == "web"
    [(key, phone, _text)] = texts()
    assert (key, phone) == (f"case-created:{case.number}", PHONE)


def test_the_portal_still_texts_exactly_one(client, demo_org):
    def form(**extra):
        return {"kind": "complaint", "category": "SPFW-01", "title": "", "region": "",
                "content": "营业执照变更网上办理三次被退回，每次理由不同。",
                "subject_unit": "", "enterprise_name": "", "enterprise_code": "",
                "anonymous": "", "name": "张三丰", "phone": PHONE, "token": token, **extra}

    token = uuid.uuid4().hex
    client.post("/submit/", form(action="send_code", sms_code=""))
    code = re.search(r"\d{6}", SmsMessage.objects.get().text)[0]
    answer = client.post("/submit/", form(action="submit", sms_code=code, sms_updates="on"))
    assert answer.status_code == 200, answer.content.decode()[:2000]
    case = Case.objects.get()
    keys = [key for key, _phone, _text in texts()]
    assert keys[1:] == [f"case-created:{case.number}"] and len(keys) == 2
    assert case.reporters.get().sms_updates is True
    # The same form again (a double click): the first case, no more SMS.
    client.post("/submit/", form(action="submit", sms_code=code, sms_updates="on"))
    assert SmsMessage.objects.count() == 2


def test_no_phone_no_sms(users):
    services.create_case(users["intake"], data(phone=""))
    services.create_case(users["intake"], {**data(), "anonymous": True})
    services.create_case(users["intake"], {**data(), "reporter": None})
    assert Case.objects.count() == 3 and not SmsMessage.objects.exists()


def test_notify_reporter_false_texts_nothing_and_takes_no_opt_in(users):
    """What the import of historic cases (and the demo's generator) passes."""
    intake = services.create_case(users["intake"], data(sms_updates=True), now=T0,
                                  notify_reporter=False)
    assert intake.case.reporters.get().sms_updates is False
    walk(users, intake.case)
    assert not SmsMessage.objects.exists()


def test_a_rolled_back_intake_leaves_no_sms(users):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_case(users["intake"], data(sms_updates=True))
        assert SmsMessage.objects.count() == 1
        raise RuntimeError("the caller's transaction fails after the intake")
    assert not Case.objects.exists() and not SmsMessage.objects.exists()


def test_a_failing_sms_rolls_the_intake_back(users, monkeypatch):
    """One transaction both ways: a case is never registered without its SMS."""
    from qinqing.notifications import services as notify

    def broken(*args, **kwargs):
        raise RuntimeError("the SMS table is unwritable")

    monkeypatch.setattr(notify, "queue_sms", broken)
    with pytest.raises(RuntimeError):
        services.create_case(users["intake"], data())
    assert not Case.objects.exists() and not Reporter.objects.exists()
    # And the connection is usable: the next intake goes through.
    monkeypatch.undo()
    services.create_case(users["intake"], data())
    assert Case.objects.count() == SmsMessage.objects.count() == 1


# ---------------------------------------------------------------- each public step

# A case's life: the public steps (what /track/ lists) and internal ones between them.
LIFE = [("dispatch", "dispatcher", {"lead_unit": LEAD}, True),
        ("sign", "handler", {}, True),
        ("request_extension", "handler", {"reason": "需现场核查", "limit": "2d"}, False),
        ("approve_extension", "dispatcher", {"reason": "同意"}, False),
        ("reply", "handler", {"answer": "已协调窗口办结。"}, True),
        ("review", "dispatcher", {}, False),
        ("callback", "callback", {"satisfaction": "satisfied"}, True)]


def walk(users, case: Case) -> None:
    for i, (move, actor, payload, _public) in enumerate(LIFE, start=1):
        services.perform(case.number, move, users[actor], payload,
                         now=T0 + timedelta(minutes=10 * i))


def test_an_opted_in_reporter_gets_one_sms_per_public_step(users):
    from qinqing.cases import timeline

    intake = services.create_case(users["intake"], data(sms_updates=True), now=T0)
    case = intake.case
    reporter = case.reporters.get()
    walk(users, case)
    steps = [t for t in texts() if t[0].startswith("case-step:")]
    public = [move for move, _actor, _payload, public in LIFE if public]
    assert [timeline.registry[m].public for m, *_ in LIFE] == [p for *_, p in LIFE]
    # One per public event, keyed by the event (its seq: create is 1) and the reporter.
    seqs = {e.action: e.seq for e in case.events.all()}
    assert [key for key, _p, _t in steps] == [
        f"case-step:{case.number}:{seqs[move]}:{reporter.pk}" for move in public]
    assert {phone for _k, phone, _t in steps} == {PHONE}
    assert [text for _k, _p, text in steps] == [
        f"您的诉求 {case.number} 最新进展：{label}。可凭查询码在平台“查询诉求办理进度”页面或拨打 "
        "12345 查询。" for label in ("已派单", "签收", "已反馈", "回访")]
    # The number-and-code SMS came first, at intake; nothing else was sent.
    assert texts()[0][0] == f"case-created:{case.number}" and len(texts()) == 1 + len(public)


def test_a_reporter_who_did_not_opt_in_gets_only_the_number(users):
    intake = services.create_case(users["intake"], data(), now=T0)
    assert intake.case.reporters.get().sms_updates is False
    walk(users, intake.case)
    assert [key for key, _p, _t in texts()] == [f"case-created:{intake.case.number}"]


def test_internal_steps_text_nobody(users):
    from qinqing.cases import timeline

    intake = services.create_case(users["intake"], data(sms_updates=True), now=T0)
    before = SmsMessage.objects.count()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=intake.case.pk)
        timeline.append_event(case, "attach", users["intake"], data={"file": "x.pdf"})
    assert SmsMessage.objects.count() == before == 1


def test_a_protected_reporter_is_texted_the_number_and_the_step_only(users):
    intake = services.create_case(users["intake"], data(
        kind="report", sms_updates=True, subject_unit=LEAD,
        content="某窗口工作人员索要好处费。"), now=T0)
    reporter = intake.case.reporters.get()
    assert reporter.protected
    services.perform(intake.case.number, "dispatch", users["dispatcher"],
                     {"lead_unit": "990102"}, now=T0 + timedelta(minutes=5))
    for _key, _phone, text in texts():
        assert intake.case.number in text
        for secret in ("张三丰", "好处费", "窗口", LEAD, "市场监管"):
            assert secret not in text


def test_a_rolled_back_move_leaves_no_step_sms(users):
    intake = services.create_case(users["intake"], data(sms_updates=True), now=T0)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.perform(intake.case.number, "dispatch", users["dispatcher"],
                         {"lead_unit": LEAD})
        assert SmsMessage.objects.count() == 2
        raise RuntimeError("rolled back")
    assert SmsMessage.objects.count() == 1


def test_the_intake_page_takes_the_opt_in(client, users):
    client.force_login(users["intake"])
    response = client.post("/intake/new/", form_data(idempotency_key="sms-page-2",
                                                      sms_updates="on"))
    assert response.status_code == 201
    assert Reporter.objects.get().sms_updates is True
    # Asked for without a phone: said next to the box, nothing saved.
    refused = client.post("/intake/new/", form_data(idempotency_key="sms-page-3", phone="",
                                                     sms_updates="on"))
    assert refused.status_code == 422
    assert "接收进展短信需留下手机号码" in refused.content.decode()
    assert Case.objects.count() == 1


def test_a_merged_request_s_reporter_follows_the_case_it_joined(users):
    earlier = services.create_case(users["intake"], data(phone="13900001111"), now=T0).case
    repeated = services.create_case(users["intake"], data(sms_updates=True),
                                    now=T0 + timedelta(minutes=1)).case
    services.perform(repeated.number, "merge", users["intake"], {"into": earlier.number},
                     now=T0 + timedelta(minutes=2))
    services.perform(earlier.number, "dispatch", users["dispatcher"], {"lead_unit": LEAD},
                     now=T0 + timedelta(minutes=3))
    steps = [(key, phone, text) for key, phone, text in texts() if key.startswith("case-step:")]
    # The merge, on the repeated case; then the earlier case's dispatch, to the copy of the
    # repeated case's reporter only (the earlier case's own reporter did not opt in).
    copy = Reporter.objects.get(case=earlier, merged_from=repeated)
    assert [(key, phone) for key, phone, _t in steps] == [
        (f"case-step:{repeated.number}:2:{repeated.reporters.get().pk}", PHONE),
        (f"case-step:{earlier.number}:3:{copy.pk}", PHONE)]
    assert "并入在先工单" in steps[0][2] and earlier.number in steps[1][2]
