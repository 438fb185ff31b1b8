"""Issue 17 §4: the unit reports the fix, the rater rates again, the rating shows the
outcome (ratings/followup.py, ratings/outcomes.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from qinqing.cases import confidential
from qinqing.cases import services as case_services
from qinqing.cases.models import Case, CaseEvent, State
from qinqing.notifications.models import SmsMessage
from qinqing.org.models import Role, Unit
from qinqing.org.services import ensure_staff
from qinqing.portal.services import Refused
from qinqing.ratings import followup, services
from qinqing.ratings.levels import Channel, Round, Status
from qinqing.ratings.models import Rating
from tests.ratings.conftest import BAD, HALL

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "13800138000"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def hall_leader(demo_org):
    user, _ = ensure_staff(username="hall-leader", full_name="周敏",
                           unit=Unit.objects.get(code=HALL), role=Role.UNIT_LEADER,
                           password="x")
    return user


def rated(code, *, phone: str = "", now: datetime | None = None, token="a" * 32):
    """A bad rating (with a confirmed phone if given): (first rating, case, query code)."""
    result = services.rate(code, {**BAD, "name": "李明" if phone else "", "phone": phone},
                           token=token, address="10.0.0.1", phone_verified=bool(phone),
                           now=now)
    case = Case.objects.get(pk=result.rating.case_id)
    return result.rating, case, result.query_code


def fixed(case, handler, leader, *, now: datetime | None = None) -> Case:
    """The unit signs, replies with its fix, and its head approves the reply (review):
    the fix is reported."""
    now = now or timezone.now()
    case_services.perform(case.number, "sign", handler, now=now)
    case_services.perform(case.number, "reply", handler,
                          {"answer": "已约谈窗口人员并重新一次性告知材料清单。"},
                          now=now + timedelta(minutes=5))
    case_services.perform(case.number, "review", leader, now=now + timedelta(minutes=10))
    return Case.objects.get(pk=case.pk)


def tracking(case, code) -> Client:
    client = Client()
    assert client.post("/track/", {"number": case.number, "code": code}).status_code == 302
    return client


def invitations():
    return SmsMessage.objects.filter(event_key__startswith="rating-follow-up:")


# ------------------------------------------------------------------- the invitation

def test_the_fix_reported_invites_a_rater_with_a_phone_by_sms(window_code, hall_handler,
                                                             hall_leader):
    rating, case, code = rated(window_code, phone=PHONE)
    case_services.perform(case.number, "sign", hall_handler)
    case_services.perform(case.number, "reply", hall_handler, {"answer": "已整改。"})
    assert not invitations().exists()  # a reply its head may still send back
    case_services.perform(case.number, "review", hall_leader)
    sms = invitations().get()
    assert confidential.decrypt(sms.phone_enc) == PHONE
    assert case.number in sms.text and code in sms.text and "/track/" in sms.text
    assert "复评" in sms.text or "再次评价" in sms.text


def test_an_anonymous_rater_is_not_texted_but_may_rate_again_on_track(
        window_code, hall_handler, hall_leader):
    rating, case, code = rated(window_code)
    fixed(case, hall_handler, hall_leader)
    assert not invitations().exists()
    page = tracking(case, code).get(f"/track/{case.number}/").content.decode()
    assert 'data-testid="follow-up-form"' in page
    # The general judgement of an answer is not offered: the follow-up is the judgement.
    assert 'data-testid="rate-submit"' not in page and "非常满意" in page


def test_no_form_before_the_fix_is_reported(window_code, hall_handler):
    rating, case, code = rated(window_code)
    case_services.perform(case.number, "sign", hall_handler)
    page = tracking(case, code).get(f"/track/{case.number}/").content.decode()
    assert 'data-testid="track-rating"' in page and 'data-testid="follow-up-form"' not in page
    assert "整改中" in page
    with pytest.raises(Refused) as refused:
        followup.rate_again(case.number, {"level": 2})
    assert "尚未反馈整改" in refused.value.message


# --------------------------------------------------------------- rating the fix

def test_the_rater_rates_the_fix_and_the_rating_shows_the_outcome(
        window_code, hall_handler, hall_leader, admin_user):
    rating, case, code = rated(window_code, phone=PHONE)
    fixed(case, hall_handler, hall_leader)
    client = tracking(case, code)
    answer = client.post(f"/track/{case.number}/rate-again/", {"level": "2", "text": ""})
    assert answer.status_code == 302 and answer["Location"] == f"/track/{case.number}/"

    follow = Rating.objects.get(round=Round.FOLLOW_UP)
    assert follow.follow_up_of_id == rating.pk and follow.case_id is None
    assert (follow.code_id, follow.unit_id, follow.answerable_unit_id, follow.object_key) == (
        rating.code_id, rating.unit_id, rating.answerable_unit_id, rating.object_key)
    assert follow.channel == Channel.WEB and follow.phone_index == ""
    case.refresh_from_db()
    # The follow-up is the case's callback: satisfied closes it.
    assert (case.state, case.satisfaction) == (State.CLOSED, "satisfied")
    assert list(case.events.order_by("-seq").values_list("action", flat=True)[:2]) == [
        "callback", "rated_again"]

    outcome = "整改后复评：满意"
    track = client.get(f"/track/{case.number}/").content.decode()
    assert outcome in track and 'data-testid="follow-up-form"' not in track
    assert "整改复评" in track  # the public step
    staff = Client()
    staff.force_login(hall_handler)
    assert outcome in staff.get(f"/cases/{case.number}/").content.decode()
    staff.force_login(admin_user)
    admin = staff.get(f"/admin/ratings/rating/{rating.pk}/change/").content.decode()
    assert outcome in admin
    # The thank-you page, shown again for a second send of the rating's own form.
    again = Client().post(f"/c/{window_code.token}", {
        "action": "rate", "token": rating.form_token, "level": "5", "reason": "staff",
        "text": BAD["text"], "name": "", "phone": "", "sms_code": ""})
    assert again.status_code == 200 and outcome in again.content.decode()


@pytest.mark.parametrize("level, state, satisfaction", [
    ("1", State.CLOSED, "satisfied"), ("3", State.CLOSED, "basically_satisfied"),
])
def test_each_good_level_closes_the_case_with_its_satisfaction(
        window_code, hall_handler, hall_leader, level, state, satisfaction):
    rating, case, code = rated(window_code)
    fixed(case, hall_handler, hall_leader)
    followup.rate_again(case.number, {"level": level})
    case.refresh_from_db()
    assert (case.state, case.satisfaction) == (state, satisfaction)


def test_a_bad_follow_up_reopens_the_same_case_once(window_code, hall_handler, hall_leader,
                                                   users):
    rating, case, code = rated(window_code, phone=PHONE)
    fixed(case, hall_handler, hall_leader)
    followup.rate_again(case.number, {"level": 5, "text": "还是没有一次性告知。"})
    case.refresh_from_db()
    assert (case.state, case.reopen_count, case.lead_unit.code) == (State.HANDLING, 1, HALL)
    assert Case.objects.count() == 1  # no new case
    assert "整改后复评：非常不满意" in tracking(case, code).get(
        f"/track/{case.number}/").content.decode()
    # The unit replies again: no second invitation, no second follow-up, no online
    # judgement; the hotline's callback stage decides.
    case_services.perform(case.number, "reply", hall_handler, {"answer": "再次整改。"})
    case_services.perform(case.number, "review", hall_leader)
    assert invitations().count() == 1
    page = tracking(case, code).get(f"/track/{case.number}/").content.decode()
    assert 'data-testid="follow-up-form"' not in page and 'data-testid="rate-submit"' not in page
    with pytest.raises(Refused) as refused:
        followup.rate_again(case.number, {"level": 1})
    assert "已经评价过" in refused.value.message
    with pytest.raises(Refused):
        followup.rate_again(case.number, {"level": 1}, actor=users["callback"])
    case_services.perform(case.number, "close_unrated", users["callback"],
                          {"reason": "已复评，二次整改后电话无人接听。"})
    assert Case.objects.get().state == State.CLOSED


def test_the_callback_agent_records_a_follow_up_given_on_the_phone(
        window_code, hall_handler, hall_leader, users):
    rating, case, code = rated(window_code, phone=PHONE)
    fixed(case, hall_handler, hall_leader)
    client = Client()
    client.force_login(users["callback"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="record-follow-up"' in page
    done = client.post(f"/ratings/cases/{case.number}/rate-again/", {"level": "3"})
    assert done.status_code == 302
    follow = Rating.objects.get(round=Round.FOLLOW_UP)
    assert follow.channel == Channel.PHONE
    event = CaseEvent.objects.get(case=case, action="rated_again")
    assert event.actor == users["callback"]
    # Nobody else records one: a handler of the unit rated, a supervisor.
    for name in ("supervisor", "dispatcher"):
        with pytest.raises(Refused):
            followup.rate_again(case.number, {"level": 1}, actor=users[name])


# ------------------------------------------------------------------- validation

@pytest.mark.parametrize("fields, message", [
    ({"text": ""}, "请选择您对整改的满意程度"),
    ({"level": "9"}, "请选择您对整改的满意程度"),
    ({"level": "4", "text": ""}, "请说明仍有什么问题"),
    ({"level": "5", "text": "  "}, "请说明仍有什么问题"),
    ({"level": "2", "text": "字" * 2001}, "2000"),
    ({"level": "2", "text": "a\x00b"}, "控制字符"),
])
def test_an_invalid_follow_up_is_refused_in_chinese_and_changes_nothing(
        window_code, hall_handler, hall_leader, fields, message):
    rating, case, code = rated(window_code)
    fixed(case, hall_handler, hall_leader)
    events = case.events.count()
    page = tracking(case, code).post(f"/track/{case.number}/rate-again/", fields)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not Rating.objects.filter(round=Round.FOLLOW_UP).exists()
    case.refresh_from_db()
    assert case.state == State.REVIEWED and case.events.count() == events


def test_the_service_checks_as_the_form_does(window_code, hall_handler, hall_leader):
    rating, case, code = rated(window_code)
    fixed(case, hall_handler, hall_leader)
    for data, field in (({}, "level"), ({"level": 4}, "text"),
                        ({"level": 1, "text": "x" * 2001}, "text")):
        with pytest.raises(Refused) as refused:
            followup.rate_again(case.number, data)
        assert refused.value.field == field
    with pytest.raises(Refused):
        followup.rate_again("NO-SUCH", {"level": 1})
    assert not Rating.objects.filter(round=Round.FOLLOW_UP).exists()


def test_without_the_query_code_the_form_is_not_accepted(window_code, hall_handler,
                                                         hall_leader):
    rating, case, code = rated(window_code)
    fixed(case, hall_handler, hall_leader)
    answer = Client().post(f"/track/{case.number}/rate-again/", {"level": "1"})
    assert answer.status_code == 302 and answer["Location"].startswith("/track/?number=")
    assert not Rating.objects.filter(round=Round.FOLLOW_UP).exists()


# ------------------------------------------------------------------- the database

def test_the_database_keeps_one_follow_up_per_first_rating(window_code, hall_handler,
                                                           hall_leader):
    rating, case, code = rated(window_code)
    fixed(case, hall_handler, hall_leader)
    follow = followup.rate_again(case.number, {"level": 1})
    fields = {f.attname: getattr(follow, f.attname) for f in Rating._meta.concrete_fields
              if f.attname != "id"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(**{**fields, "form_token": "f" * 32})
    # A follow-up without its first rating, or a first rating pointing at one: refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(**{**fields, "form_token": "e" * 32, "follow_up_of_id": None})
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(**{**fields, "form_token": "d" * 32, "round": Round.FIRST,
                                 "level": 1})
    assert Rating.objects.count() == 2


def test_an_invalid_rating_is_not_rated_again(window_code, hall_handler, hall_leader):
    rating, case, code = rated(window_code, phone=PHONE)
    Rating.objects.filter(pk=rating.pk).update(status=Status.INVALID)
    fixed(case, hall_handler, hall_leader)
    assert not invitations().exists()
    with pytest.raises(Refused) as refused:
        followup.rate_again(case.number, {"level": 1})
    assert "申诉" in refused.value.message


# --------------------------------------------------------------------- the window

# The reply leaves the unit (review) at `reported`; the rater may rate online for five
# working days (QINQING_ONLINE_RATING_DAYS), on the working calendar: a Friday night
# counts from Monday; the National Day holidays (1–7 October 2026) do not count and
# Saturday 10 October, a make-up working day, does.
@pytest.mark.parametrize("reported, last_day", [
    (at(2026, 12, 7, 10, 0), "2026-12-14"),   # a Monday morning
    (at(2026, 12, 4, 23, 30), "2026-12-11"),  # a Friday night
    (at(2026, 12, 5, 15, 0), "2026-12-11"),   # a Saturday
    (at(2026, 9, 30, 10, 0), "2026-10-13"),   # the eve of the holidays
    (at(2026, 10, 3, 10, 0), "2026-10-13"),   # inside them
])
def test_the_follow_up_is_open_for_five_working_days(window_code, hall_handler, hall_leader,
                                                     users, settings, reported, last_day):
    settings.QINQING_ONLINE_RATING_DAYS = 5
    rating, case, code = rated(window_code, now=reported - timedelta(hours=1))
    case_services.perform(case.number, "sign", hall_handler, now=reported - timedelta(minutes=30))
    case_services.perform(case.number, "reply", hall_handler, {"answer": "已整改。"},
                          now=reported - timedelta(minutes=20))
    case_services.perform(case.number, "review", hall_leader, now=reported)
    until = followup.open_until(case, followup.callback_clock(Case.objects.get(pk=case.pk)))
    assert timezone.localtime(until).date().isoformat() == last_day
    with pytest.raises(Refused) as refused:
        followup.rate_again(case.number, {"level": 1}, now=until + timedelta(minutes=1))
    assert "已过" in refused.value.message
    # The callback agent may still record it, given on the phone.
    followup.rate_again(case.number, {"level": 1}, actor=users["callback"],
                        now=until + timedelta(days=1))
    assert Case.objects.get().state == State.CLOSED


def test_the_follow_up_is_taken_until_the_last_moment(window_code, hall_handler, hall_leader):
    rating, case, code = rated(window_code, now=at(2026, 12, 7, 9, 0))
    fixed(case, hall_handler, hall_leader, now=at(2026, 12, 7, 10, 0))
    until = followup.open_until(case, followup.callback_clock(Case.objects.get(pk=case.pk)))
    followup.rate_again(case.number, {"level": 2}, now=until)
    assert Rating.objects.filter(round=Round.FOLLOW_UP).count() == 1


def test_the_tracking_page_runs_a_fixed_number_of_statements(
        window_code, hall_handler, hall_leader, django_assert_max_num_queries):
    rating, case, code = rated(window_code)
    fixed(case, hall_handler, hall_leader)
    client = tracking(case, code)
    with django_assert_max_num_queries(16):
        assert client.get(f"/track/{case.number}/").status_code == 200

