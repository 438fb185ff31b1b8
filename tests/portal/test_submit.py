"""/submit/: an enterprise or a resident files a matter without an account."""

from __future__ import annotations

import re
import uuid

import pytest

from qinqing.cases.models import Case, Channel, Kind
from qinqing.notifications.models import SmsMessage
from qinqing.portal.models import PhoneChallenge, Submission

pytestmark = pytest.mark.django_db

PHONE = "13812345678"
USCC = "91110000600037341L"  # a valid code (check character L)


def matter(**overrides) -> dict:
    return {"kind": "complaint", "category": "SPFW-01", "title": "",
            "content": "营业执照变更网上办理三次被退回，每次理由不同。", "region": "",
            "subject_unit": "", "enterprise_name": "示范科技有限公司", "enterprise_code": "",
            "anonymous": "on", "name": "", "phone": "", "sms_code": "",
            "token": uuid.uuid4().hex, "action": "submit", **overrides}


def sms_code() -> str:
    """The code of the latest SMS queued (the test backend's outbox holds the same)."""
    text = SmsMessage.objects.order_by("-pk").values_list("text", flat=True).first()
    return re.search(r"\d{6}", text)[0]


@pytest.fixture
def post(client, demo_org):
    def send(**fields):
        return client.post("/submit/", matter(**fields))
    return send


def test_the_form_is_chinese_and_lists_the_catalogue(client, demo_org):
    page = client.get("/submit/").content.decode()
    assert "<h1>提交诉求</h1>" in page and "<optgroup" in page
    assert re.search(r'name="token" value="[0-9a-f]{32}"', page)


def test_an_anonymous_matter_is_registered_and_shows_its_code_once(post):
    answer = post()
    assert answer.status_code == 200
    page = answer.content.decode()
    number = re.search(r'data-testid="case-number">([^<]+)<', page)[1]
    case = Case.objects.get(number=number)
    assert (case.channel, case.kind, case.is_anonymous) == (Channel.WEB, "complaint", True)
    assert case.reporters.count() == 0 and case.created_by is None
    assert Submission.objects.get(case=case).phone_verified is False
    assert "查询码" in page and not SmsMessage.objects.exists()


def test_a_named_matter_needs_the_sms_code_and_sends_number_and_code(client, post):
    named = {"anonymous": "", "name": "张三丰", "phone": PHONE}
    sent = client.post("/submit/", matter(**named, action="send_code"))
    assert sent.status_code == 200 and "138****5678" in sent.content.decode()
    code = sms_code()
    assert PhoneChallenge.objects.count() == 1
    assert code not in PhoneChallenge.objects.get().code_hash  # kept as a keyed hash only

    without = post(**named)
    assert without.status_code == 400 and Case.objects.count() == 0
    answer = post(**named, sms_code=code, enterprise_code=USCC.lower())
    assert answer.status_code == 200, answer.content.decode()
    case = Case.objects.get()
    reporter = case.reporters.get()
    assert "张三丰" not in reporter.name_enc and not case.is_anonymous
    submission = Submission.objects.get(case=case)
    assert (submission.phone_verified, submission.enterprise_code) == (True, USCC)
    texts = list(SmsMessage.objects.order_by("pk").values_list("text", flat=True))
    assert case.number in texts[-1] and len(texts) == 2


def test_the_sms_code_cannot_be_brute_forced(client, post):
    named = {"anonymous": "", "name": "张三丰", "phone": PHONE}
    client.post("/submit/", matter(**named, action="send_code"))
    right = sms_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    messages = []
    for _ in range(5):
        answer = post(**named, sms_code=wrong)
        assert answer.status_code == 400
        messages.append(answer.content.decode())
    assert "还可尝试 4 次" in messages[0] and "已失效" in messages[-1]
    # Spent after five wrong tries: even the right code no longer opens it.
    assert post(**named, sms_code=right).status_code == 400
    assert Case.objects.count() == 0
    # A new code at once is refused too (one a minute).
    again = client.post("/submit/", matter(**named, action="send_code"))
    assert again.status_code == 400 and PhoneChallenge.objects.count() == 1


def test_a_double_submission_makes_one_case(post):
    token = uuid.uuid4().hex
    first, second = post(token=token), post(token=token)
    assert first.status_code == second.status_code == 200
    number = re.compile(r'data-testid="case-number">([^<]+)<')
    assert number.search(first.content.decode())[1] == number.search(second.content.decode())[1]
    assert Case.objects.count() == 1 and Submission.objects.count() == 1


def test_a_report_of_misconduct_is_protected_from_the_first_moment(client, post):
    named = {"anonymous": "", "name": "李四", "phone": "13900001111"}
    client.post("/submit/", matter(**named, action="send_code"))
    answer = post(**named, kind=Kind.REPORT, sms_code=sms_code(),
                  content="某窗口工作人员暗示要好处费才给办理。")
    assert answer.status_code == 200
    reporter = Case.objects.get().reporters.get()
    assert reporter.protected


@pytest.mark.parametrize("fields, field, words", [
    ({"enterprise_code": "91110000600037341M"}, "enterprise_code", "统一社会信用代码"),
    ({"content": ""}, "content", ""),
    ({"category": "NOPE"}, "category", ""),
    ({"anonymous": "", "name": "", "phone": ""}, "name", ""),
    ({"token": "forged"}, "token", ""),
    ({"content": "请联系我 13800001234"}, "content", "手机号"),
    ({"content": "有\x00控制字符"}, "content", "控制字符"),
    ({"subject_unit": "不存在的窗口"}, "subject_unit", ""),
])
def test_bad_input_is_refused_with_a_message_and_changes_nothing(post, fields, field, words):
    answer = post(**fields)
    assert answer.status_code == 400
    page = answer.content.decode()
    assert words in page
    assert Case.objects.count() == 0
    # What was typed is kept in the form.
    if fields.get("content"):
        assert fields["content"].replace("\x00", "")[:5] in page


def test_the_personal_data_warning_can_be_confirmed(post):
    answer = post(content="请联系我 13800001234", personal_ok="on")
    assert answer.status_code == 200 and Case.objects.count() == 1


def test_submissions_per_address_are_limited(post, settings):
    settings.QINQING_PORTAL_SUBMISSIONS_PER_ADDRESS = 2
    assert [post().status_code for _ in range(2)] == [200, 200]
    refused = post()
    assert refused.status_code == 429 and "12345" in refused.content.decode()
    assert Case.objects.count() == 2
