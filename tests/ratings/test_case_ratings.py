"""Ratings of closed cases (issue 17 §3): the SMS invitation at the close, its delay and
its one reminder at several moments, the page /r/<token>, default ratings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from qinqing.background.tick import STEPS
from qinqing.cases import confidential, services as case_services
from qinqing.cases.models import Case, Channel as CaseChannel, Kind, State
from qinqing.notifications.models import SmsMessage
from qinqing.ratings import case_ratings, defaults, invitations
from qinqing.ratings.levels import Channel, Level
from qinqing.ratings.models import Invitation, Rating
from qinqing.org.models import Unit
from tests.ratings.case_helpers import LEAD, PHONE, at, case_data, close_case, form, user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings, demo_org):
    settings.QINQING_RATING_INVITE_DELAY = 2
    settings.QINQING_RATING_REINVITE_DAYS = 3
    settings.QINQING_RATING_DEFAULT_DAYS = 7
    settings.QINQING_RATING_DEFAULT_LEVEL = 3
    settings.QINQING_PUBLIC_URL = "https://qq.example.gov.cn"


def invite_texts(case) -> list[SmsMessage]:
    return list(SmsMessage.objects.filter(event_key__startswith=f"rating-invite:{case.number}:")
                .order_by("event_key"))


def invited(closed_at=None) -> Invitation:
    """A case closed at `closed_at` (default: three hours ago, for the pages, which read
    the clock), its first SMS sent when due."""
    case = close_case(closed_at or timezone.now() - timedelta(hours=3))
    invitation = Invitation.objects.get(case=case)
    invitations.sweep(now=invitation.next_send_at)
    invitation.refresh_from_db()
    return invitation


# --------------------------------------------------------------- the invitation

def test_a_closed_case_invites_its_reporter_after_the_delay():
    case = close_case(at(2026, 3, 3, 14, 0))  # a Tuesday afternoon
    invitation = Invitation.objects.get(case=case)
    assert invitation.reporter.case_id == case.pk
    assert invitation.unit.code == LEAD and invitation.closed_at == at(2026, 3, 3, 14, 0)
    assert invitation.next_send_at == at(2026, 3, 3, 16, 0) and invitation.sends == 0
    assert len(invitation.token) >= 22
    assert invitations.sweep(now=at(2026, 3, 3, 15, 59)) == {
        "invited": 0, "reminded": 0, "defaults": 0}
    assert invite_texts(case) == []
    assert invitations.sweep(now=at(2026, 3, 3, 16, 0))["invited"] == 1
    [sms] = invite_texts(case)
    assert sms.phone == PHONE
    assert f"https://qq.example.gov.cn/r/{invitation.token}" in sms.text
    assert case.number in sms.text and "评价" in sms.text
    invitation.refresh_from_db()
    assert invitation.sends == 1 and invitation.first_sent_at == at(2026, 3, 3, 16, 0)
    assert invitation.due_at == at(2026, 3, 10, 16, 0)  # 7 natural days
    assert invitation.next_send_at == at(2026, 3, 6, 16, 0)  # the reminder, 3 days on


def test_the_tick_runs_the_invitations_before_the_sms_delivery():
    assert STEPS.index("qinqing.ratings.invitations.sweep") < STEPS.index(
        "qinqing.notifications.services.deliver_due")


@pytest.mark.parametrize("closed, first, reminder, due", [
    # A weekday afternoon: two hours later, the reminder 3 days on.
    (at(2026, 3, 3, 14, 0), at(2026, 3, 3, 16, 0), at(2026, 3, 6, 16, 0),
     at(2026, 3, 10, 16, 0)),
    # Late evening: +2 h falls in the night; the SMS waits for 08:00.
    (at(2026, 3, 3, 20, 30), at(2026, 3, 4, 8, 0), at(2026, 3, 7, 8, 0),
     at(2026, 3, 11, 8, 0)),
    # Closed after midnight: 08:00 the same day.
    (at(2026, 3, 4, 1, 0), at(2026, 3, 4, 8, 0), at(2026, 3, 7, 8, 0),
     at(2026, 3, 11, 8, 0)),
    # A Friday evening: Saturday morning (natural days: the weekend counts).
    (at(2026, 3, 6, 19, 30), at(2026, 3, 7, 8, 0), at(2026, 3, 10, 8, 0),
     at(2026, 3, 14, 8, 0)),
    # The eve of the National Day holidays (1-7 October): across them in natural days.
    (at(2026, 9, 30, 15, 0), at(2026, 9, 30, 17, 0), at(2026, 10, 3, 17, 0),
     at(2026, 10, 7, 17, 0)),
    # Year end, late: New Year's Day morning.
    (at(2026, 12, 31, 22, 0), at(2027, 1, 1, 8, 0), at(2027, 1, 4, 8, 0),
     at(2027, 1, 8, 8, 0)),
])
def test_the_delay_and_the_reminder_at_several_moments(closed, first, reminder, due):
    case = close_case(closed)
    invitation = Invitation.objects.get(case=case)
    assert invitation.next_send_at == first
    invitations.sweep(now=first)
    invitation.refresh_from_db()
    assert (invitation.next_send_at, invitation.due_at) == (reminder, due)
    # Before the reminder is due nothing more goes; at it, one reminder, and never again.
    invitations.sweep(now=reminder - timedelta(minutes=1))
    assert len(invite_texts(case)) == 1
    invitations.sweep(now=reminder)
    for later in (reminder + timedelta(hours=1), reminder + timedelta(days=2)):
        invitations.sweep(now=later)
    texts = invite_texts(case)
    assert [sms.event_key.rsplit(":", 1)[1] for sms in texts] == ["1", "2"]
    invitation.refresh_from_db()
    assert invitation.sends == 2 and invitation.next_send_at is None


def test_a_reminder_in_the_night_waits_for_the_morning(settings):
    settings.QINQING_RATING_INVITE_DELAY = 0
    case = close_case(at(2026, 3, 3, 20, 59))
    invitation = Invitation.objects.get(case=case)
    assert invitation.next_send_at == at(2026, 3, 3, 20, 59)
    invitations.sweep(now=at(2026, 3, 3, 20, 59))
    invitation.refresh_from_db()
    assert invitation.next_send_at == at(2026, 3, 6, 20, 59)
    # A first SMS sent late (the worker was down) starts the window then, and its
    # reminder, due at night, waits for 08:00.
    other = close_case(at(2026, 3, 3, 10, 0))
    late = Invitation.objects.get(case=other)
    invitations.sweep(now=at(2026, 3, 3, 22, 30))
    late.refresh_from_db()
    assert late.due_at == at(2026, 3, 10, 22, 30)
    assert late.next_send_at == at(2026, 3, 7, 8, 0)


def test_no_reminder_after_a_rating():
    invitation = invited(at(2026, 3, 3, 14, 0))
    case_ratings.rate_case(invitation, {"level": 1}, token="a" * 32,
                           now=at(2026, 3, 4, 9, 0))
    invitations.sweep(now=at(2026, 3, 20, 9, 0))
    assert len(invite_texts(invitation.case)) == 1
    assert Rating.objects.filter(rated_case=invitation.case).count() == 1


def test_no_reminder_when_it_would_come_after_the_window(settings):
    settings.QINQING_RATING_REINVITE_DAYS = 7
    invitation = invited(at(2026, 3, 3, 14, 0))
    assert invitation.next_send_at is None


def test_closing_again_after_a_reopening_keeps_one_invitation():
    case = close_case(at(2026, 3, 3, 14, 0))
    invitations.schedule(case, at(2026, 3, 5, 9, 0))
    assert Invitation.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("how", ["no reporter", "no phone", "import", "report", "reject",
                                 "rectification"])
def test_who_is_not_invited(how, settings):
    moment = at(2026, 3, 3, 14, 0)
    if how == "no reporter":
        case = close_case(moment, reporter=None, anonymous=True)
    elif how == "no phone":
        case = close_case(moment, reporter={"name": "张三丰", "phone": ""})
    elif how == "import":
        # Registered after the fact (an import, the demo): the reporter was never texted.
        case = close_case(moment, notify_reporter=False)
    elif how == "report":
        # 举报: the reporter is protected; a rating would reach the unit handling it.
        case = close_case(moment, kind=Kind.REPORT)
    elif how == "reject":
        case = case_services.create_case(user("intake"), case_data(), now=moment).case
        case = case_services.perform(case.number, "reject", user("dispatcher"),
                                     {"reason": "重复的无效来电"}, now=moment)
    else:
        # A bad rating's rectification case: registered inside, no reporter.
        code_case = invited(moment)
        case_ratings.rate_case(code_case, {"level": 5, "reason": "staff",
                                           "text": "答复敷衍，问题没有解决。"},
                               token="b" * 32, now=at(2026, 3, 4, 9, 0))
        case = Case.objects.get(channel=CaseChannel.RATING)
        for move, actor, payload in [("sign", "handler", {}),
                                     ("reply", "handler", {"answer": "已整改。"}),
                                     ("review", "dispatcher", {})]:
            case = case_services.perform(case.number, move, user(actor), payload,
                                         now=at(2026, 3, 5, 9, 0))
        case = case_services.perform(case.number, "close_unrated", user("callback"),
                                     {"reason": "匿名，无法回访"}, now=at(2026, 3, 5, 10, 0))
    assert case.state == State.CLOSED
    assert not Invitation.objects.filter(case=case).exists()


# --------------------------------------------------------------------- the page

def test_the_page_shows_the_case_the_unit_the_answer_and_the_five_levels():
    invitation = invited()
    page = Client().get(f"/r/{invitation.token}")
    assert page.status_code == 200
    html = page.content.decode()
    assert invitation.case.number in html
    assert Unit.objects.get(code=LEAD).name in html
    assert "执照已核发，请到窗口领取。" in html
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert label in html
    assert "13812345678" not in html and "张三丰" not in html


def test_the_page_runs_a_fixed_number_of_statements(django_assert_max_num_queries):
    invitation = invited()
    with django_assert_max_num_queries(12):
        Client().get(f"/r/{invitation.token}")


def test_a_good_rating_is_stored_with_its_gbt_fields():
    invitation = invited()
    page = Client().post(f"/r/{invitation.token}", form(level="2"))
    assert page.status_code == 200 and "感谢" in page.content.decode()
    rating = Rating.objects.get()
    case = invitation.case
    assert (rating.rated_case, rating.code, rating.unit, rating.staff) == (case, None, None,
                                                                          None)
    assert rating.answerable_unit.code == LEAD and rating.region_id == case.region_id
    assert (rating.level, rating.channel, rating.round) == (Level.SATISFIED, Channel.SMS_LINK,
                                                            1)
    assert not rating.is_default and rating.case is None
    assert confidential.decrypt(rating.rater_phone_enc) == PHONE and rating.phone_verified
    invitation.refresh_from_db()
    assert invitation.rating == rating and invitation.next_send_at is None
    # The link is used: the page says so, and nothing more is stored.
    again = Client().post(f"/r/{invitation.token}", form(level="1"))
    assert again.status_code == 410 and "已经评价" in again.content.decode()
    invalid = Client().post(f"/r/{invitation.token}", form(level="9"))
    assert invalid.status_code == 410
    assert Client().get(f"/r/{invitation.token}").status_code == 410
    assert Rating.objects.count() == 1


def test_the_same_form_sent_twice_makes_one_rating():
    invitation = invited()
    data = form(level="1")
    assert [Client().post(f"/r/{invitation.token}", data).status_code
            for _ in range(2)] == [200, 200]
    assert Rating.objects.count() == 1


def test_a_bad_rating_opens_a_rectification_case_for_the_unit():
    invitation = invited()
    page = Client().post(f"/r/{invitation.token}",
                         form(level="4", reason="matter", text="材料要求前后不一致。"))
    assert page.status_code == 200
    rating = Rating.objects.get()
    rectification = rating.case
    assert rectification.channel == CaseChannel.RATING
    assert rectification.lead_unit.code == LEAD and rectification.state == State.DISPATCHED
    assert invitation.case.number in rectification.title
    assert rectification.number in page.content.decode()
    assert not rectification.reporters.exists()  # the rater is not on the case
    assert SmsMessage.objects.filter(event_key=f"rating-case:{rectification.number}").exists()


@pytest.mark.parametrize("fields, message", [
    ({"level": ""}, "请选择您的满意程度"),
    ({"level": "9"}, "请选择您的满意程度"),
    ({"level": "满意"}, "请选择您的满意程度"),
    ({"level": "5", "reason": "", "text": "很差"}, "请选择不满意的原因"),
    ({"level": "4", "reason": "staff", "text": ""}, "请说明发生了什么"),
    ({"level": "4", "reason": "bribe", "text": "很差"}, "请从列表中选择原因"),
    ({"level": "1", "token": "not-a-token"}, "表单已过期"),
    ({"level": "4", "reason": "staff", "text": "长" * 2001}, "最多 2000 个字"),
    ({"level": "2", "text": "a\x00b"}, ""),
])
def test_invalid_input_is_refused_in_chinese_and_nothing_is_stored(fields, message):
    invitation = invited()
    page = Client().post(f"/r/{invitation.token}", form(**fields))
    assert page.status_code == 400
    assert message in page.content.decode()
    assert Rating.objects.count() == 0 and not Case.objects.filter(
        channel=CaseChannel.RATING).exists()
    invitation.refresh_from_db()
    assert invitation.rating is None


def test_an_unknown_link_is_refused_and_counted(settings):
    settings.QINQING_TRACK_LIMIT = 3
    invitation = invited()
    client = Client(REMOTE_ADDR="10.7.7.7")
    for token in ("AAAAAAAAAAAAAAAAAAAAAA", "x", "<script>", "A" * 40):
        page = client.get(f"/r/{token}")
        assert page.status_code in (404, 429)
    page = client.get(f"/r/{invitation.token}")
    assert page.status_code == 429 and "次数过多" in page.content.decode()
    assert Client(REMOTE_ADDR="10.8.8.8").get(f"/r/{invitation.token}").status_code == 200


def test_an_unknown_link_reads_in_chinese():
    page = Client().get("/r/AAAAAAAAAAAAAAAAAAAAAA")
    assert page.status_code == 404 and "链接无效" in page.content.decode()


def test_a_link_not_yet_sent_is_unknown():
    case = close_case(at(2026, 3, 3, 14, 0))
    invitation = Invitation.objects.get(case=case)
    assert Client().get(f"/r/{invitation.token}").status_code == 404


def test_an_expired_link_is_closed(monkeypatch):
    invitation = invited()
    Invitation.objects.filter(pk=invitation.pk).update(
        due_at=timezone.now() - timedelta(minutes=1))
    page = Client().get(f"/r/{invitation.token}")
    assert page.status_code == 410 and "已过" in page.content.decode()
    assert Client().post(f"/r/{invitation.token}", form()).status_code == 410
    assert Rating.objects.count() == 0


# ------------------------------------------------------------------ default ratings

def test_the_default_is_given_once_at_the_end_of_the_window():
    invitation = invited(at(2026, 3, 3, 14, 0))
    assert defaults.give_due(at(2026, 3, 10, 15, 59)) == 0
    assert invitations.sweep(now=at(2026, 3, 10, 16, 0))["defaults"] == 1
    assert defaults.give_due(at(2026, 3, 11, 9, 0)) == 0
    rating = Rating.objects.get()
    assert rating.is_default and rating.level == Level.BASICALLY_SATISFIED
    assert rating.rated_at == at(2026, 3, 10, 16, 0) and rating.case is None
    assert rating.channel == Channel.SMS_LINK and rating.rater_phone_enc == ""
    # Counted apart from the real ones.
    assert Rating.objects.filter(is_default=False).count() == 0
    # The person comes too late: the page says the default was given.
    page = Client().get(f"/r/{invitation.token}")
    assert page.status_code == 410 and "默认评价" in page.content.decode()


def test_the_default_level_is_configured_and_never_bad(settings):
    settings.QINQING_RATING_DEFAULT_LEVEL = 2
    invited(at(2026, 3, 3, 14, 0))
    defaults.give_due(at(2026, 3, 11, 0, 0))
    assert Rating.objects.get().level == Level.SATISFIED
    settings.QINQING_RATING_DEFAULT_LEVEL = 4
    with pytest.raises(ValueError):
        defaults.default_level()


def test_a_real_rating_is_never_overwritten_by_the_default():
    invitation = invited(at(2026, 3, 3, 14, 0))
    case_ratings.rate_case(invitation, {"level": 1}, token="c" * 32,
                           now=at(2026, 3, 10, 15, 59))
    # The default's step read the invitation before the rating committed: the database
    # refuses the second rating of the case's round.
    assert defaults.give(invitation, Level.BASICALLY_SATISFIED) is None
    assert defaults.give_due(at(2026, 3, 12, 0, 0)) == 0
    rating = Rating.objects.get()
    assert rating.level == Level.VERY_SATISFIED and not rating.is_default


def test_a_form_after_the_default_is_refused():
    invitation = invited()
    defaults.give(invitation, Level.BASICALLY_SATISFIED)
    with pytest.raises(case_ratings.Closed):
        case_ratings.rate_case(invitation, {"level": 1}, token="d" * 32,
                               now=at(2026, 3, 10, 15, 0))
    assert Rating.objects.count() == 1 and Rating.objects.get().is_default


def test_the_database_keeps_one_rating_per_case_and_round_and_no_bad_default():
    invitation = invited(at(2026, 3, 3, 14, 0))
    case = invitation.case

    def row(**fields):
        values = dict(rated_case=case, answerable_unit=invitation.unit,
                      region_id=case.region_id, object_key=f"case:{case.pk}", level=2,
                      channel=Channel.SMS_LINK, rated_at=timezone.now(),
                      visit_day=timezone.localdate(), form_token=fields.pop("t"))
        return Rating(**{**values, **fields})

    # A bad rating with its case is accepted (rolled back): the bad default below is
    # refused for being a default, nothing else.
    with transaction.atomic():
        row(t="k" * 32, level=4, reason="staff", case=case).save(force_insert=True)
        transaction.set_rollback(True)
    # Each refused for the one rule it breaks (round 1, nothing stored yet).
    with pytest.raises(IntegrityError), transaction.atomic():  # a case and an object
        row(t="g" * 32, unit=invitation.unit).save()
    with pytest.raises(IntegrityError), transaction.atomic():  # a bad default
        row(t="h" * 32, level=4, reason="staff", case=case, is_default=True).save()
    with pytest.raises(IntegrityError), transaction.atomic():  # nothing rated
        row(t="i" * 32, rated_case=None).save()
    row(t="e" * 32).save()
    with pytest.raises(IntegrityError), transaction.atomic():  # a second of the round
        row(t="f" * 32, is_default=True).save()
    assert Rating.objects.filter(rated_case=case).count() == 1


def test_a_bad_case_rating_is_followed_up_on_its_rectification_and_keeps_the_case_rated():
    """A case's bad rating → its rectification → the unit's fix → the rater rates again
    on /track/: the follow-up rates the same case (the check constraint wants exactly one
    kind of object: a follow-up copies the first rating's), and the outcome shows."""
    import re

    from qinqing.ratings.levels import Round

    invitation = invited()
    page = Client().post(f"/r/{invitation.token}",
                         form(level="5", reason="staff", text="答复与事实不符，没有人核实。"))
    assert page.status_code == 200
    first = Rating.objects.get()
    rectification = first.case
    shown = re.search(r'data-testid="query-code">(.*?)</dd>', page.content.decode(), re.S)[1]
    code = "".join(re.findall(r"<span>(\w+)</span>", shown))
    now = timezone.now()
    case_services.perform(rectification.number, "sign", user("handler"), now=now)
    case_services.perform(rectification.number, "reply", user("handler"),
                          {"answer": "已重新核实并当面说明。"}, now=now + timedelta(minutes=1))
    case_services.perform(rectification.number, "review", user("leader"),
                          now=now + timedelta(minutes=2))

    rater = Client()
    assert rater.post("/track/", {"number": rectification.number, "code": code}
                      ).status_code == 302
    answer = rater.post(f"/track/{rectification.number}/rate-again/", {"level": "2", "text": ""})
    assert answer.status_code == 302
    follow = Rating.objects.get(round=Round.FOLLOW_UP)
    assert (follow.follow_up_of_id, follow.rated_case_id, follow.code_id) == (
        first.pk, invitation.case_id, None)
    assert "整改后复评：满意" in rater.get(f"/track/{rectification.number}/").content.decode()
