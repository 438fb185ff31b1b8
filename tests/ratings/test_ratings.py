"""Scan to rate (issue 17 §2) and a bad rating's rectification case (§4 core)."""

from __future__ import annotations

import re
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from qinqing.cases import confidential
from qinqing.cases import services as case_services
from qinqing.cases.errors import NotAllowedInState
from qinqing.cases.models import Case, Channel as CaseChannel, Kind, State
from qinqing.cases.models.clocks import Stage, StageClock
from qinqing.codes import services as code_services
from qinqing.enterprises.models import Enterprise
from qinqing.notifications.models import SmsMessage
from qinqing.org.models import Unit, User
from qinqing.ratings import services
from qinqing.ratings.levels import (
    GBT_CHANNEL, Channel, Level, Reason, Round, from_reversed, is_bad, to_reversed,
)
from qinqing.ratings.models import Rating
from tests.ratings.conftest import BAD, HALL, WINDOW, form, post

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def sms_code() -> str:
    text = SmsMessage.objects.order_by("-pk").values_list("text", flat=True).first()
    return re.search(r"\d{6}", text)[0]


# ------------------------------------------------------------------------ levels

def test_levels_are_numbered_as_gbt_39046_with_1_the_best():
    assert [(level.value, str(level.label)) for level in Level] == [
        (1, "非常满意"), (2, "满意"), (3, "基本满意"), (4, "不满意"), (5, "非常不满意")]
    assert [is_bad(level) for level in Level] == [False, False, False, True, True]


def test_the_mapping_for_interfaces_numbering_the_other_way():
    assert [to_reversed(level) for level in Level] == [5, 4, 3, 2, 1]
    assert from_reversed(1) == Level.VERY_DISSATISFIED and from_reversed(5) == Level.VERY_SATISFIED
    assert all(from_reversed(to_reversed(level)) == level for level in Level)
    for wrong in (0, 6, -1, "3", None):
        with pytest.raises(ValueError):
            from_reversed(wrong)
    with pytest.raises(ValueError):
        to_reversed(6)
    assert GBT_CHANNEL[Channel.SCAN] == 3 and GBT_CHANNEL[Channel.SMS_LINK] == 7


# ------------------------------------------------------------------------ the page

def test_the_page_shows_the_object_the_five_levels_and_the_complaint_link(window_code):
    page = Client().get(f"/c/{window_code.token}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "河阳区政务服务中心综合受理窗口" in text and 'data-testid="code-belongs"' in text
    labels = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    found = [re.search(rf'data-testid="level-{n}">.*?</label>', text, re.S)[0] for n in range(1, 6)]
    assert all(label in f for label, f in zip(labels, found))
    for reason in ("所办的事", "服务事项", "工作人员", "大厅或网站"):
        assert reason in text
    assert f"/submit/?unit={WINDOW}" in text


def test_the_page_runs_a_fixed_number_of_statements(window_code, django_assert_max_num_queries):
    client = Client()
    # The limiter's cache read, the code with its object, and the scan's count (its upsert
    # inside a savepoint, so that a failed count cannot spoil a caller's transaction).
    with django_assert_max_num_queries(5):
        assert client.get(f"/c/{window_code.token}").status_code == 200


def test_unknown_and_withdrawn_codes_keep_their_pages(window_code, admin_user):
    assert Client().get("/c/" + "a" * 20).status_code == 404
    code_services.revoke(window_code.pk, by=admin_user, reason="窗口撤并")
    page = Client().post(f"/c/{window_code.token}", form(level="2"))
    assert page.status_code == 410 and not Rating.objects.exists()


# ------------------------------------------------------------------------ a rating

def test_a_good_rating_is_stored_with_its_gbt_fields(window_code):
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 12, 7, 10, 30)):
        page = post(window_code, level="2", text="办得快。")
    assert page.status_code == 200
    text = page.content.decode()
    assert "感谢您的评价" in text and "满意" in text and 'data-testid="case-number"' not in text
    rating = Rating.objects.get()
    assert (rating.level, rating.channel, rating.round) == (2, Channel.SCAN, Round.FIRST)
    assert rating.unit.code == WINDOW and rating.staff is None and rating.enterprise is None
    assert rating.answerable_unit.code == HALL and rating.region.code == "990102"
    assert rating.code == window_code and rating.case is None and rating.reason == ""
    assert rating.visit_day.isoformat() == "2026-12-07" and rating.text == "办得快。"
    assert not rating.phone_index and not rating.phone_verified and not Case.objects.exists()


@pytest.mark.parametrize("fields, field, message", [
    ({"level": ""}, "level", "请选择您的满意程度"),
    ({"level": "9"}, "level", "请选择您的满意程度"),
    ({"level": "满意"}, "level", "请选择您的满意程度"),
    ({"level": "4", "text": "不好"}, "reason", "请选择不满意的原因"),
    ({"level": "5", "reason": "staff"}, "text", "请说明发生了什么"),
    ({"level": "4", "reason": "weather", "text": "x"}, "reason", "请从列表中选择原因"),
    ({"level": "2", "text": "长" * 2001}, "text", "最多 2000 个字"),
    ({"level": "2", "name": "名" * 61}, "name", "最多 60 个字"),
    ({"level": "2", "phone": "12ab"}, "phone", "7 至 15 位"),
    ({"level": "2", "phone": "13800138000"}, "sms_code", "短信验证码"),
    ({"level": "2", "token": "not-a-token"}, "token", "表单已过期"),
    ({"level": "2", "text": "a\x00b"}, "text", ""),
])
def test_invalid_input_is_refused_in_chinese_and_nothing_is_stored(window_code, fields, field,
                                                                    message):
    page = post(window_code, **fields)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not Rating.objects.exists() and not Case.objects.exists()


def test_the_service_checks_as_the_form_does(window_code):
    for data, field in (({"level": 4, "text": "x"}, "reason"),
                        ({"level": 0}, "level"), ({"level": 4, "reason": "staff"}, "text"),
                        ({"level": 2, "phone": "13800138000"}, "sms_code")):
        with pytest.raises(services.Refused) as refused:
            services.rate(window_code, data, token="a" * 32, address="10.0.0.1")
        assert refused.value.field == field
    assert not Rating.objects.exists()


def test_the_same_form_sent_twice_makes_one_rating(window_code):
    data = form(**BAD)
    first = Client().post(f"/c/{window_code.token}", data)
    second = Client().post(f"/c/{window_code.token}", data)
    number = re.search(r'data-testid="case-number">([^<]+)<', first.content.decode())[1]
    assert number in second.content.decode()
    assert Rating.objects.count() == 1 and Case.objects.count() == 1


# ------------------------------------------------------------------------ the database

def _row(code, **fields) -> Rating:
    hall = Unit.objects.get(code=HALL)
    values = dict(code=code, unit=code.unit, answerable_unit=hall, region=hall.parent,
                  object_key=f"unit:{code.unit_id}", level=2, channel=Channel.SCAN,
                  rated_at=timezone.now(), visit_day=timezone.localdate(),
                  form_token=fields.pop("form_token", "b" * 32))
    return Rating(**{**values, **fields})


@pytest.mark.parametrize("fields", [
    {"level": 0}, {"level": 6},
    {"level": 4, "reason": Reason.STAFF},  # bad without its case
    {"level": 5, "reason": ""},
    {"staff_id": 1},  # two objects
])
def test_the_database_refuses_what_the_rules_forbid(window_code, fields):
    if "staff_id" in fields:
        fields["staff_id"] = User.objects.get(username="handler").pk
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(window_code, **fields).save()


def test_one_rating_per_form_and_per_phone_object_and_day_in_the_database(window_code):
    _row(window_code).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(window_code).save()  # the same form token
    index = confidential.phone_index("13800138000")
    _row(window_code, form_token="c" * 32, phone_index=index).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(window_code, form_token="d" * 32, phone_index=index).save()
    # Another day is another visit; anonymous raters are one visit per form.
    _row(window_code, form_token="e" * 32, phone_index=index,
         visit_day=timezone.localdate() - timezone.timedelta(days=1)).save()
    _row(window_code, form_token="f" * 32).save()
    assert Rating.objects.count() == 4


# ------------------------------------------------------------------------ a verified phone

def test_a_phone_is_verified_by_sms_and_kept_encrypted(window_code):
    client = Client()
    data = form(level="3", name="李明", phone="138 0013 8000")
    sent = client.post(f"/c/{window_code.token}", {**data, "action": "send_code"})
    assert sent.status_code == 200 and "138****8000" in sent.content.decode()
    wrong = client.post(f"/c/{window_code.token}", {**data, "sms_code": "000000"
                        if sms_code() != "000000" else "111111"})
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    assert not Rating.objects.exists()
    right = client.post(f"/c/{window_code.token}", {**data, "sms_code": sms_code()})
    assert right.status_code == 200
    rating = Rating.objects.get()
    assert rating.phone_verified and rating.phone_index == confidential.phone_index("13800138000")
    assert "13800138000" not in rating.rater_phone_enc and "李明" not in rating.rater_name_enc
    assert (confidential.decrypt(rating.rater_phone_enc),
            confidential.decrypt(rating.rater_name_enc)) == ("13800138000", "李明")
    # The same phone rates the same window again that day, from a new page: refused.
    again = form(level="1", phone="13800138000")
    with mock.patch("qinqing.portal.services.RESEND_SECONDS", 0):
        client.post(f"/c/{window_code.token}", {**again, "action": "send_code"})
    refused = client.post(f"/c/{window_code.token}", {**again, "sms_code": sms_code()})
    assert refused.status_code == 409 and "今天已经评价过" in refused.content.decode()
    assert Rating.objects.count() == 1


def test_the_same_phone_may_rate_once_a_day_per_object(window_code, admin_user):
    data = {"level": 2, "phone": "13800138000"}
    services.rate(window_code, data, token="a" * 32, address="10.0.0.1", phone_verified=True)
    with pytest.raises(services.Refused) as refused:
        services.rate(window_code, data, token="b" * 32, address="10.0.0.1",
                      phone_verified=True)
    assert "今天已经评价过" in refused.value.message
    other = code_services.issue(Unit.objects.get(code="990102-W02"), by=admin_user)
    services.rate(other, data, token="c" * 32, address="10.0.0.1", phone_verified=True)
    tomorrow = timezone.now() + timezone.timedelta(days=1)
    services.rate(window_code, data, token="d" * 32, address="10.0.0.1",
                  phone_verified=True, now=tomorrow)
    assert Rating.objects.count() == 3


def test_a_bad_rating_by_phone_leaves_no_case_when_refused_as_a_repeat(window_code):
    data = {**BAD, "level": 4, "phone": "13800138000"}
    services.rate(window_code, data, token="a" * 32, address="10.0.0.1", phone_verified=True)
    with pytest.raises(services.Refused):
        services.rate(window_code, data, token="b" * 32, address="10.0.0.1",
                      phone_verified=True)
    assert Rating.objects.count() == 1 and Case.objects.count() == 1


# ------------------------------------------------------------------------ limits

def test_ratings_per_address_are_limited(window_code, settings):
    settings.QINQING_RATINGS_PER_ADDRESS = 2
    assert [post(window_code, level="1").status_code for _ in range(3)] == [200, 200, 429]
    page = post(window_code, level="1")
    assert "评价次数过多" in page.content.decode()
    assert Rating.objects.count() == 2
    # Another address is not held back.
    assert Client(REMOTE_ADDR="10.9.9.9").post(f"/c/{window_code.token}",
                                               form(level="1")).status_code == 200


def test_ratings_per_phone_are_limited(window_code, admin_user, settings):
    settings.QINQING_RATINGS_PER_PHONE = 1
    other = code_services.issue(Unit.objects.get(code="990102-W02"), by=admin_user)
    data = {"level": 2, "phone": "13800138000"}
    services.rate(window_code, data, token="a" * 32, address="10.0.0.1", phone_verified=True)
    with pytest.raises(services.Refused) as refused:
        services.rate(other, data, token="b" * 32, address="10.0.0.2", phone_verified=True)
    assert "这个手机今天评价次数过多" in refused.value.message
    assert Rating.objects.count() == 1


# ------------------------------------------------------------------------ bad → case

def test_a_bad_rating_opens_a_rectification_case_at_the_hall(window_code, hall_handler):
    page = post(window_code, **BAD)
    assert page.status_code == 200
    text = page.content.decode()
    rating = Rating.objects.select_related("case__lead_unit").get()
    case = rating.case
    assert case.number in text and "整改" in text
    code = "".join(re.findall(r"<span>(\w{1,4})</span>", text.split('data-testid="query-code"')[1]
                              .split("</dd>")[0]))
    assert confidential.decrypt(case.query_code_enc) == code
    assert (case.channel, case.kind, case.state) == (CaseChannel.RATING, Kind.COMPLAINT,
                                                     State.DISPATCHED)
    assert case.lead_unit.code == HALL and case.subject_unit.code == WINDOW
    assert case.region.code == "990102" and case.is_anonymous and not case.reporters.exists()
    assert "非常不满意" in case.content and "工作人员" in case.content and BAD["text"] in case.content
    resolve = StageClock.objects.get(case=case, stage=Stage.RESOLVE)
    assert resolve.limit == "5d" and resolve.unit_id == case.lead_unit_id
    # The rater follows it on the tracking page with the number and query code.
    client = Client()
    followed = client.post("/track/", {"number": case.number, "code": code})
    assert followed.status_code == 302 and followed["Location"] == f"/track/{case.number}/"


def test_the_rectification_limit_is_configured(window_code, settings):
    settings.QINQING_RECTIFICATION_LIMIT = "7d"
    post(window_code, **BAD)
    assert StageClock.objects.get(stage=Stage.RESOLVE).limit == "7d"


# Rated on Wednesday 30 September 2026, the eve of the National Day holidays (1–7
# October); Saturday 10 October is a make-up working day.
@pytest.mark.parametrize("moment, due", [
    (at(2026, 12, 7, 10, 0), "2026-12-14"),   # a Monday morning: the next Monday
    (at(2026, 12, 4, 23, 30), "2026-12-11"),  # a Friday night: counted from Monday
    (at(2026, 12, 5, 15, 0), "2026-12-11"),   # a Saturday: counted from Monday
    # 30 September 10:00 + 5 working days: 8, 9, 10 (the make-up Saturday), 12, 13 October.
    (at(2026, 9, 30, 10, 0), "2026-10-13"),
    (at(2026, 10, 3, 10, 0), "2026-10-13"),   # inside the holidays: 8 October to the 13th
])
def test_the_rectification_deadline_counts_working_days(window_code, moment, due):
    services.rate(window_code, {**BAD}, token="a" * 32, address="10.0.0.1", now=moment)
    clock = StageClock.objects.get(stage=Stage.RESOLVE)
    assert timezone.localtime(clock.due_at).date().isoformat() == due


def test_a_failure_between_the_two_writes_leaves_neither(window_code):
    with mock.patch.object(Rating, "save", side_effect=RuntimeError("disk full")):
        with pytest.raises(RuntimeError):
            services.rate(window_code, {**BAD}, token="a" * 32, address="10.0.0.1")
    assert not Rating.objects.exists() and not Case.objects.exists()
    assert not StageClock.objects.exists()

    def created_then_fails(*args, **kwargs):
        case_services.create_case(*args, **kwargs)
        raise RuntimeError("network")

    with mock.patch.object(case_services, "create_case", side_effect=created_then_fails):
        with pytest.raises(RuntimeError):
            services.rate(window_code, {**BAD}, token="b" * 32, address="10.0.0.1")
    assert not Rating.objects.exists() and not Case.objects.exists()
    # Nothing was counted against the address for the failed tries.
    assert services.address_window().retry_after("10.0.0.1") is None


def test_the_rectification_cannot_be_returned(window_code, hall_handler):
    services.rate(window_code, {**BAD}, token="a" * 32, address="10.0.0.1")
    case = Case.objects.get()
    case_services.perform(case.number, "sign", hall_handler)
    with pytest.raises(NotAllowedInState):
        case_services.perform(case.number, "return", hall_handler, {"reason": "不归我们管"})
    assert Case.objects.get().state == State.HANDLING


def test_a_staff_members_bad_rating_goes_to_their_unit(admin_user):
    handler = User.objects.get(username="handler")
    code = code_services.issue(handler, by=admin_user)
    services.rate(code, {**BAD}, token="a" * 32, address="10.0.0.1")
    rating = Rating.objects.select_related("case__lead_unit").get()
    assert rating.staff == handler and rating.answerable_unit.code == "990102-SCJG"
    assert rating.case.lead_unit.code == "990102-SCJG"


def test_an_enterprises_bad_rating_goes_to_its_region(admin_user):
    from stdnum.cn import uscc

    body = "91990102MA0000001"
    enterprise = Enterprise.objects.create(name="河阳精密机械有限公司",
                                           credit_code=body + uscc.calc_check_digit(body),
                                           region=Unit.objects.get(code="990102"))
    code = code_services.issue(enterprise, by=admin_user)
    services.rate(code, {**BAD, "reason": "matter"}, token="a" * 32, address="10.0.0.1")
    rating = Rating.objects.select_related("case__lead_unit").get()
    assert rating.enterprise == enterprise and rating.region.code == "990102"
    assert rating.case.lead_unit.code == "990102"
    assert rating.case.enterprise_name == "河阳精密机械有限公司"


def test_a_bad_rating_with_a_phone_gets_the_number_by_sms(window_code):
    services.rate(window_code, {**BAD, "phone": "13800138000"}, token="a" * 32,
                  address="10.0.0.1", phone_verified=True)
    case = Case.objects.get()
    text = SmsMessage.objects.order_by("-pk").values_list("text", flat=True).first()
    assert case.number in text and confidential.decrypt(case.query_code_enc) in text


def test_no_return_is_offered_on_a_rectification(window_code, hall_handler):
    from qinqing.cases.transitions import available_moves, movable_q

    services.rate(window_code, {**BAD}, token="a" * 32, address="10.0.0.1")
    case = Case.objects.get()
    assert "return" not in available_moves(case, hall_handler)
    assert "sign" in available_moves(case, hall_handler)
    assert Case.objects.filter(movable_q(hall_handler)).count() == 1  # sign is still there
    page = Client()
    page.force_login(hall_handler)
    text = page.get(f"/cases/{case.number}/").content.decode()
    assert "data-action=\"sign\"" in text and "data-action=\"return\"" not in text
