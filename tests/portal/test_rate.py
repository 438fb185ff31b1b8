"""Judging the answer on the tracking page: the same record as a callback; dissatisfied
reopens the case to the same unit, within QINQING_ONLINE_RATING_DAYS working days."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from qinqing.cases import services
from qinqing.cases.models import Case, CaseEvent, Outcome, State
from qinqing.cases.models.clocks import Stage, StageClock
from tests.portal.test_track import CALL, LEAD, follow

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def answered(users, when: datetime):
    """A complaint answered by the unit and checked by its leader at `when` (a Friday)."""
    intake = services.create_case(users["intake"], CALL, now=when.replace(hour=9))
    number = intake.case.number
    services.perform(number, "dispatch", users["dispatcher"], {"lead_unit": LEAD},
                     now=when.replace(hour=9, minute=10))
    services.perform(number, "sign", users["handler"], now=when.replace(hour=9, minute=20))
    services.perform(number, "reply", users["handler"], {"answer": "已责成窗口当日办结。"},
                     now=when.replace(hour=9, minute=40))
    services.perform(number, "review", users["leader"], now=when)
    return number, intake.query_code


def rate(client, number, **fields):
    return client.post(f"/track/{number}/rate/", fields)


FRIDAY = at(2026, 12, 4, 10, 0)


def test_a_satisfied_judgement_is_the_callback(client, users):
    number, code = answered(users, FRIDAY)
    with time_machine.travel(at(2026, 12, 7, 9, 0), tick=False):
        follow(client, number, code)
        page = client.get(f"/track/{number}/").content.decode()
        assert 'data-testid="rate"' in page and "2026-12-11" in page  # 5 working days
        answer = rate(client, number, satisfaction="satisfied", resolved="yes")
        assert answer.status_code == 302
    case = Case.objects.get(number=number)
    assert (case.state, case.outcome, case.satisfaction, case.resolved) == (
        State.CLOSED, Outcome.RESOLVED, "satisfied", True)
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.action, event.actor.username) == ("callback", "online-rating")
    # The callback clock is done: nobody is asked to call.
    assert not StageClock.objects.filter(case=case, stage=Stage.CALLBACK,
                                         done_at__isnull=True).exists()
    with time_machine.travel(at(2026, 12, 7, 9, 5), tick=False):
        page = client.get(f"/track/{number}/").content.decode()
    assert "满意" in page and 'data-testid="rate"' not in page


def test_dissatisfied_reopens_to_the_same_unit_with_the_reason(client, users):
    number, code = answered(users, FRIDAY)
    with time_machine.travel(at(2026, 12, 8, 15, 0), tick=False):
        follow(client, number, code)
        refused = rate(client, number, satisfaction="dissatisfied", resolved="no")
        assert refused.status_code == 400 and "不满意" in refused.content.decode()
        assert Case.objects.get(number=number).state == State.REVIEWED
        answer = rate(client, number, satisfaction="dissatisfied", resolved="no",
                      reason="窗口仍然说办不了。")
        assert answer.status_code == 302
        page = client.get(f"/track/{number}/").content.decode()
    case = Case.objects.get(number=number)
    assert (case.state, case.lead_unit.code, case.reopen_count) == (State.HANDLING, LEAD, 1)
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.action, event.reason) == ("reopen", "窗口仍然说办不了。")
    assert "承办单位正在办理" in page


@pytest.mark.parametrize("moment, open_", [
    (at(2026, 12, 11, 12, 0), True),   # Friday, the fifth working day
    (at(2026, 12, 12, 10, 0), False),  # Saturday after it
    (at(2026, 12, 14, 9, 0), False),   # the next Monday
])
def test_the_window_counts_working_days(client, users, moment, open_):
    number, code = answered(users, FRIDAY)
    with time_machine.travel(moment, tick=False):
        follow(client, number, code)
        page = client.get(f"/track/{number}/").content.decode()
        answer = rate(client, number, satisfaction="satisfied", resolved="yes")
    assert ('data-testid="rate"' in page) is open_
    assert (answer.status_code == 302) is open_
    assert (Case.objects.get(number=number).state == State.CLOSED) is open_
    if not open_:
        assert "回访" in answer.content.decode()


def test_only_an_answered_case_is_judged_and_only_by_its_holder(client, users):
    intake = services.create_case(users["intake"], CALL)
    follow(client, intake.case.number, intake.query_code)
    assert 'data-testid="rate"' not in client.get(f"/track/{intake.case.number}/").content.decode()
    refused = rate(client, intake.case.number, satisfaction="satisfied", resolved="yes")
    assert refused.status_code == 400 and Case.objects.get().state == State.RECEIVED

    number, _code = answered(users, FRIDAY)
    from django.test import Client

    stranger = rate(Client(), number, satisfaction="dissatisfied", reason="x")
    assert stranger.status_code == 302 and "/track/?number=" in stranger["Location"]
    assert Case.objects.get(number=number).state == State.REVIEWED


def test_online_judgements_and_channels_count_in_the_figures(client, users):
    """A judgement given online is a rated callback (the satisfaction figures count it);
    the figures of one channel are the metrics' own, scoped by channel."""
    from qinqing.insights.metrics import Scope, figures

    number, code = answered(users, FRIDAY)
    with time_machine.travel(at(2026, 12, 7, 9, 0), tick=False):
        follow(client, number, code)
        rate(client, number, satisfaction="basically_satisfied", resolved="yes")
    # Callbacks count by the end of the period: the period reaches the Monday judged.
    scope = Scope(start=FRIDAY.date(), end=at(2026, 12, 7, 0, 0).date())
    shown = figures(scope, ["received", "rated_callbacks", "satisfaction_rate"],
                    now=at(2026, 12, 8, 9, 0), source="facts")
    assert (shown["received"].value, shown["rated_callbacks"].value) == (1, 1)
    assert shown["satisfaction_rate"].value == 1
    by_channel = figures(Scope(start=scope.start, end=scope.end, channel="web"),
                         ["received"], now=at(2026, 12, 8, 9, 0), source="facts")
    assert by_channel["received"].value == 0  # the case came in by the hotline


# Answered on Wednesday 30 September 2026, the eve of the National Day holidays (1–7
# October); Saturday 10 October is a make-up working day. Five working days: 8, 9, 10,
# 12 and 13 October.
EVE = at(2026, 9, 30, 10, 0)


@pytest.mark.parametrize("moment, open_", [
    (at(2026, 10, 7, 22, 0), True),    # a holiday night: the window has not begun to run
    (at(2026, 10, 13, 12, 0), True),   # the fifth working day, the make-up Saturday counted
    (at(2026, 10, 14, 9, 0), False),   # the day after
])
def test_the_window_skips_holidays_and_counts_make_up_days(client, users, moment, open_):
    number, code = answered(users, EVE)
    with time_machine.travel(moment, tick=False):
        follow(client, number, code)
        page = client.get(f"/track/{number}/").content.decode()
    assert ('data-testid="rate"' in page) is open_
    if open_:
        assert "2026-10-13 " in page
