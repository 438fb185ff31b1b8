"""Issue 17 §4: appeals (申诉复核), the rater's callback details, who may do what
(roles × actions), and the unit rated never seeing who rated it."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from qinqing.cases import services as case_services
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState
from qinqing.cases.models import Case, CaseEvent, State
from qinqing.org.models import Role, Unit
from qinqing.org.services import ensure_staff
from qinqing.ratings import appeals, callback, followup, services
from qinqing.ratings.appeal_models import Appeal, Decision
from qinqing.ratings.levels import Round, Status
from qinqing.ratings.models import Rating
from tests.ratings.conftest import BAD, HALL

pytestmark = pytest.mark.django_db
NAME, PHONE = "李明远", "13800138000"


@pytest.fixture
def hall_leader(demo_org):
    user, _ = ensure_staff(username="hall-leader", full_name="周敏",
                           unit=Unit.objects.get(code=HALL), role=Role.UNIT_LEADER,
                           password="x")
    return user


@pytest.fixture
def rectification(window_code, hall_handler):
    """A real-name bad rating of a hall window; its case signed by the hall."""
    services.rate(window_code, {**BAD, "name": NAME, "phone": PHONE}, token="a" * 32,
                  address="10.0.0.1", phone_verified=True)
    case = Case.objects.get()
    case_services.perform(case.number, "sign", hall_handler)
    return Case.objects.select_related("lead_unit", "owner_unit").get()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# ------------------------------------------------------------ roles × actions

# Who: the hall's own staff (the unit answering for the rating), a unit elsewhere, and
# the hotline office's roles at the city (owner of the case).
ACTORS = ["hall-handler", "hall-leader", "handler", "leader", "intake", "dispatcher",
          "callback", "supervisor", "inspector", "analyst"]
MAY = {
    "appeal": {"hall-handler", "hall-leader"},
    "review": {"supervisor"},
    "see_rater": {"intake", "dispatcher", "callback", "supervisor"},
    "reveal_rater": {"callback"},
}


@pytest.fixture
def actors(users, hall_handler, hall_leader):
    return {**users, "hall-handler": hall_handler, "hall-leader": hall_leader}


@pytest.mark.parametrize("action", sorted(MAY))
def test_who_may_do_what(rectification, actors, action):
    check = {"appeal": appeals.may_appeal, "review": appeals.may_review,
             "see_rater": callback.may_see_rater,
             "reveal_rater": callback.may_reveal_rater}[action]
    allowed = {name for name in ACTORS if check(actors[name], rectification)}
    assert allowed == MAY[action]


@pytest.mark.parametrize("name", ACTORS)
def test_the_services_and_pages_hold_to_the_same_rules(rectification, actors, name):
    user = actors[name]
    number = rectification.number
    # Appeal.
    if name in MAY["appeal"]:
        appeals.appeal(number, user, "评价人当天并未到该窗口办事。")
        made = Appeal.objects.get()
        made.delete()  # (only to try the next action from the same state)
        Rating.objects.update(status=Status.VALID)
    else:
        with pytest.raises(Forbidden):
            appeals.appeal(number, user, "评价人当天并未到该窗口办事。")
        assert not Appeal.objects.exists()
        page = logged_in(user).get(f"/ratings/cases/{number}/appeal/")
        assert page.status_code == 404
    # Review.
    made = appeals.appeal(number, actors["hall-handler"], "评价人当天并未到该窗口办事。")
    if name in MAY["review"]:
        appeals.decide(made.pk, user, uphold=False, reason="监控显示评价人确曾办事。")
        assert Appeal.objects.get().decision == Decision.REJECTED
    else:
        with pytest.raises(Forbidden):
            appeals.decide(made.pk, user, uphold=True, reason="理由")
        assert Appeal.objects.get().decision == Decision.OPEN
        assert Rating.objects.get(round=Round.FIRST).status == Status.UNDER_APPEAL
        assert logged_in(user).get(f"/ratings/appeals/{made.pk}/decide/").status_code == 404
    # Reveal the rater.
    if name in MAY["reveal_rater"]:
        assert callback.reveal_rater(number, user, "回访核实整改情况。") == {
            "name": NAME, "phone": PHONE}
    else:
        with pytest.raises(Forbidden):
            callback.reveal_rater(number, user, "回访核实整改情况。")
        assert logged_in(user).get(f"/ratings/cases/{number}/rater/").status_code == 404


# ----------------------------------------------------------------- the appeal

def test_an_upheld_appeal_marks_the_rating_invalid_on_the_timeline(
        rectification, hall_handler, users):
    number = rectification.number
    unit = logged_in(hall_handler)
    page = unit.get(f"/cases/{number}/").content.decode()
    assert 'data-testid="appeal"' in page
    sent = unit.post(f"/ratings/cases/{number}/appeal/",
                     {"reason": "评价人当天并未到该窗口办事，系恶意差评。"})
    assert sent.status_code == 302
    rating = Rating.objects.get()
    assert rating.status == Status.UNDER_APPEAL
    assert CaseEvent.objects.filter(case=rectification, action="rating_appealed").exists()
    # The appeal stops nothing: the case is still the unit's to handle.
    assert Case.objects.get().state == State.HANDLING

    reviewer = logged_in(users["supervisor"])
    page = reviewer.get(f"/cases/{number}/").content.decode()
    assert 'data-testid="decide"' in page and "恶意差评" in page
    made = Appeal.objects.get()
    decided = reviewer.post(f"/ratings/appeals/{made.pk}/decide/", {
        "decision": "uphold", "decision_reason": "经调取窗口监控，评价时段无人办事。"})
    assert decided.status_code == 302
    rating.refresh_from_db()
    made.refresh_from_db()
    assert rating.status == Status.INVALID and Rating.objects.count() == 1  # never deleted
    assert (made.decision, made.decided_by, made.decision_reason) == (
        Decision.UPHELD, users["supervisor"], "经调取窗口监控，评价时段无人办事。")
    event = CaseEvent.objects.get(case=rectification, action="rating_appeal_upheld")
    assert event.reason == made.decision_reason and event.actor == users["supervisor"]
    # The case stays as it is, and runs to its end through its own moves.
    assert Case.objects.get().state == State.HANDLING
    page = unit.get(f"/cases/{number}/").content.decode()
    assert "经申诉复核认定无效" in page and "申诉成立" in page
    assert 'data-testid="appeal"' not in page  # nothing left to appeal
    with pytest.raises(NotAllowedInState):
        appeals.appeal(number, hall_handler, "再次申诉")
    # The history shows each step under its registered label.
    history = page.split('aria-labelledby="h-timeline"')[1]
    assert "单位申诉差评" in history and "申诉成立：评价无效" in history


def test_a_rejected_appeal_leaves_the_rating_valid_and_may_be_made_again(
        rectification, hall_handler, users):
    made = appeals.appeal(rectification.number, hall_handler, "评价与本窗口无关。")
    appeals.decide(made.pk, users["supervisor"], uphold=False, reason="评价内容与窗口业务相符。")
    assert Rating.objects.get().status == Status.VALID
    assert CaseEvent.objects.filter(action="rating_appeal_rejected").count() == 1
    with pytest.raises(NotAllowedInState):
        appeals.decide(made.pk, users["supervisor"], uphold=True, reason="改判")
    again = appeals.appeal(rectification.number, hall_handler, "补充新的证据：办事记录。")
    assert Appeal.objects.count() == 2 and again.decision == Decision.OPEN


def test_one_open_appeal_per_rating(rectification, hall_handler, hall_leader):
    made = appeals.appeal(rectification.number, hall_handler, "恶意差评。")
    with pytest.raises(NotAllowedInState):
        appeals.appeal(rectification.number, hall_leader, "同一评价再申诉。")
    # The database refuses a second open appeal whatever the service checks.
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.create(rating=made.rating, case=made.case, unit=made.unit,
                              appealed_by=hall_leader, appealed_at=made.appealed_at,
                              reason="绕过服务")
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=made.pk).update(decision=Decision.UPHELD)  # no reviewer
    assert Appeal.objects.count() == 1


@pytest.mark.parametrize("reason, message", [
    ("", "请说明该评价属于误评或恶意差评的理由"),
    ("   ", "请说明该评价属于误评或恶意差评的理由"),
    ("理" * 2001, "2000"),
    ("a\x07b", "控制字符"),
])
def test_an_invalid_appeal_is_refused_in_chinese_and_changes_nothing(
        rectification, hall_handler, reason, message):
    events = CaseEvent.objects.count()
    page = logged_in(hall_handler).post(f"/ratings/cases/{rectification.number}/appeal/",
                                        {"reason": reason})
    assert page.status_code == 400 and message in page.content.decode()
    assert not Appeal.objects.exists() and Rating.objects.get().status == Status.VALID
    assert CaseEvent.objects.count() == events


@pytest.mark.parametrize("fields, message", [
    ({"decision": "uphold", "decision_reason": ""}, "请填写复核理由"),
    ({"decision": "", "decision_reason": "理由"}, "请选择申诉成立或驳回"),
    ({"decision": "maybe", "decision_reason": "理由"}, "请选择申诉成立或驳回"),
    ({"decision": "reject", "decision_reason": "理" * 2001}, "2000"),
])
def test_an_invalid_decision_is_refused_in_chinese_and_changes_nothing(
        rectification, hall_handler, users, fields, message):
    made = appeals.appeal(rectification.number, hall_handler, "恶意差评。")
    events = CaseEvent.objects.count()
    page = logged_in(users["supervisor"]).post(f"/ratings/appeals/{made.pk}/decide/", fields)
    assert page.status_code == 400 and message in page.content.decode()
    made.refresh_from_db()
    assert made.decision == Decision.OPEN and made.decided_at is None
    assert Rating.objects.get().status == Status.UNDER_APPEAL
    assert CaseEvent.objects.count() == events


def test_the_services_refuse_a_missing_reason(rectification, hall_handler, users):
    with pytest.raises(InvalidInput) as refused:
        appeals.appeal(rectification.number, hall_handler, " ")
    assert "reason" in refused.value.fields
    made = appeals.appeal(rectification.number, hall_handler, "恶意差评。")
    with pytest.raises(InvalidInput) as refused:
        appeals.decide(made.pk, users["supervisor"], uphold=True, reason="")
    assert "decision_reason" in refused.value.fields
    with pytest.raises(InvalidInput):
        callback.reveal_rater(rectification.number, users["callback"], "")
    assert not CaseEvent.objects.filter(action__in=["rating_appeal_upheld",
                                                    "rater_revealed"]).exists()


# ------------------------------------------------ the rater, and the unit rated

def test_the_unit_rated_never_sees_who_rated(rectification, hall_handler, hall_leader):
    from qinqing.cases import services as cases

    for user in (hall_handler, hall_leader):
        page = logged_in(user).get(f"/cases/{rectification.number}/").content.decode()
        assert PHONE not in page and NAME not in page
        assert "138****8000" not in page and NAME[0] + "**" not in page
        assert 'data-testid="rater"' not in page
        token = cases.issue_token(user)
        api = Client().get(f"/api/v1/cases/{rectification.number}",
                           headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200
        body = json.dumps(api.json(), ensure_ascii=False)
        assert PHONE not in body and NAME not in body and "8000" not in body
        assert logged_in(user).get(
            f"/ratings/cases/{rectification.number}/rater/").status_code == 404


def test_the_callback_agent_sees_the_rater_masked_and_reveals_with_a_reason(
        rectification, hall_handler, hall_leader, users):
    case_services.perform(rectification.number, "reply", hall_handler, {"answer": "已整改。"})
    case_services.perform(rectification.number, "review", hall_leader)
    agent = logged_in(users["callback"])
    # In the callback queue, like any reviewed case.
    assert rectification.number in agent.get("/cases/callbacks/").content.decode()
    page = agent.get(f"/cases/{rectification.number}/").content.decode()
    assert "138****8000" in page and PHONE not in page and NAME not in page
    assert 'data-testid="reveal-rater"' in page
    refused = agent.post(f"/ratings/cases/{rectification.number}/rater/", {"reason": ""})
    assert refused.status_code == 400 and "请说明需要查看评价人信息的原因" in refused.content.decode()
    assert not CaseEvent.objects.filter(action="rater_revealed").exists()
    shown = agent.post(f"/ratings/cases/{rectification.number}/rater/",
                       {"reason": "回访核实整改情况。"})
    assert shown.status_code == 200 and PHONE in shown.content.decode()
    event = CaseEvent.objects.get(action="rater_revealed")
    assert event.actor == users["callback"] and event.reason == "回访核实整改情况。"
    # The supervisor sees it masked and may not reveal.
    page = logged_in(users["supervisor"]).get(f"/cases/{rectification.number}/").content.decode()
    assert "138****8000" in page and 'data-testid="reveal-rater"' not in page
    # The unit's page shows the reveal nowhere as a phone either.
    page = logged_in(hall_handler).get(f"/cases/{rectification.number}/").content.decode()
    assert PHONE not in page and "138****8000" not in page


def test_a_follow_up_is_still_taken_while_under_appeal(rectification, hall_handler,
                                                       hall_leader):
    appeals.appeal(rectification.number, hall_handler, "恶意差评。")
    case_services.perform(rectification.number, "reply", hall_handler, {"answer": "已整改。"})
    case_services.perform(rectification.number, "review", hall_leader)
    followup.rate_again(rectification.number, {"level": 2})
    assert Case.objects.get().state == State.CLOSED


def test_the_case_page_runs_as_many_statements_whatever_the_appeals(
        rectification, hall_handler, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(users["supervisor"])

    def statements() -> int:
        client.get(f"/cases/{rectification.number}/")  # (session, caches)
        with CaptureQueriesContext(connection) as seen:
            assert client.get(f"/cases/{rectification.number}/").status_code == 200
        return len(seen)

    made = appeals.appeal(rectification.number, hall_handler, "恶意差评。")
    one = statements()
    for i in range(3):
        appeals.decide(made.pk, users["supervisor"], uphold=False, reason=f"驳回{i}")
        made = appeals.appeal(rectification.number, hall_handler, f"新的理由{i}")
    assert Appeal.objects.count() == 4
    assert statements() == one
