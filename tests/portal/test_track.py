"""/track/: a person follows their own matter by number and query code, whatever its channel."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qinqing.cases import services

pytestmark = pytest.mark.django_db

CALL = {"kind": "complaint", "channel": "hotline", "category": "SPFW-01", "region": "990102",
        "title": "窗口推诿", "content": "办理营业执照变更时窗口工作人员推诿，要求加快办理。",
        "reporter": {"name": "张三丰", "phone": "13812345678"}}
LEAD = "990102-SCJG"


@pytest.fixture
def hotline_case(users):
    intake = services.create_case(users["intake"], CALL)
    return intake.case, intake.query_code


def shown_as_given(code: str) -> str:
    """The code as a caller types it back from an SMS: groups, dashes, small letters."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4)).lower()


def follow(client, number, code):
    return client.post("/track/", {"number": number, "code": code})


def test_a_caller_follows_a_hotline_case_through_its_steps(client, hotline_case, users):
    case, code = hotline_case
    form = client.get("/track/")
    assert form.status_code == 200 and "查询码" in form.content.decode()

    answer = follow(client, case.number.lower(), shown_as_given(code))
    assert answer.status_code == 302 and answer["Location"] == f"/track/{case.number}/"
    assert code not in answer["Location"]
    page = client.get(answer["Location"]).content.decode()
    assert "已受理" in page and "登记" in page
    for private in ("张三丰", "13812345678", CALL["content"]):
        assert private not in page

    services.perform(case.number, "dispatch", users["dispatcher"], {"lead_unit": LEAD})
    page = client.get(f"/track/{case.number}/").content.decode()
    assert "承办单位" in page and "市场监督管理局" in page
    assert re.search(r"data-testid=\"public-due\">\d{4}-\d\d-\d\d \d\d:\d\d<", page)

    services.perform(case.number, "sign", users["handler"])
    services.perform(case.number, "reply", users["handler"], {"answer": "已责成窗口当日办结。"})
    page = client.get(f"/track/{case.number}/").content.decode()
    assert "已责成窗口当日办结" not in page  # not before the unit's leader has checked it
    services.perform(case.number, "review", users["leader"])
    page = client.get(f"/track/{case.number}/").content.decode()
    assert "已责成窗口当日办结" in page and "回访" in page


def test_a_direct_answer_shows_finished_with_the_answer(client, users):
    intake = services.create_case(users["intake"], {**CALL, "kind": "consultation"})
    services.perform(intake.case.number, "answer", users["intake"], {"answer": "可在网上办理。"})
    follow(client, intake.case.number, intake.query_code)
    page = client.get(f"/track/{intake.case.number}/").content.decode()
    assert "已办结" in page and "可在网上办理。" in page


def test_a_wrong_code_and_an_unknown_number_answer_alike(client, hotline_case):
    case, code = hotline_case
    wrong_code = follow(client, case.number, "AAAA-AAAA-AAA")
    unknown = follow(client, "QQ-2026-999999", code)
    assert wrong_code.status_code == unknown.status_code == 404

    def message(response):
        return re.search(r'data-testid="track-error">([^<]*)<', response.content.decode())[1]
    assert message(wrong_code) == message(unknown) and "查询码" in message(unknown)


def test_the_page_opens_only_for_the_session_that_gave_the_code(client, hotline_case):
    case, code = hotline_case
    other = Client()
    assert other.get(f"/track/{case.number}/")["Location"] == f"/track/?number={case.number}"
    assert follow(client, case.number, code).status_code == 302
    assert client.get(f"/track/{case.number}/").status_code == 200
    assert other.get(f"/track/{case.number}/").status_code == 302


def test_wrong_tries_are_throttled_per_address_even_with_the_right_code(client, hotline_case,
                                                                        settings):
    case, code = hotline_case
    settings.QINQING_TRACK_LIMIT = 10
    statuses = [follow(client, case.number, f"WRONG{i:06d}").status_code for i in range(200)]
    assert statuses[:10] == [404] * 10 and set(statuses[10:]) == {429}
    limited = follow(client, case.number, code)  # past the limit even the right pair waits
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "次数过多" in limited.content.decode()
    assert Client(REMOTE_ADDR="10.0.0.9").post(
        "/track/", {"number": case.number, "code": code}).status_code == 302


def test_bad_input_is_refused_with_a_message(client, hotline_case):
    case, _ = hotline_case
    empty = client.post("/track/", {"number": case.number, "code": ""})
    assert empty.status_code == 400 and "必填" in empty.content.decode()
    control = client.post("/track/", {"number": case.number + "\x00", "code": "ABCD"})
    assert control.status_code == 400 and "控制字符" in control.content.decode()


def test_the_public_page_costs_the_same_statements_however_long_the_history(
        client, users, django_assert_num_queries):
    short = services.create_case(users["intake"], CALL)
    long = services.create_case(users["intake"], CALL)
    services.perform(long.case.number, "dispatch", users["dispatcher"], {"lead_unit": LEAD})
    services.perform(long.case.number, "sign", users["handler"])
    services.perform(long.case.number, "reply", users["handler"], {"answer": "已办。"})
    counts = []
    for intake in (short, long):
        follow(client, intake.case.number, intake.query_code)
        client.get(f"/track/{intake.case.number}/")  # the session's first save, once
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/track/{intake.case.number}/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
