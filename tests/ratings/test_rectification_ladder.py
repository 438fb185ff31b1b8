"""Issue 17 §4: a late rectification climbs the same escalation ladder as any case — the
automatic reminder, then the work-prompt letter (工作提示函) — charged to the unit that
holds it. The ladder reads stage clocks whatever the channel; this proves the rating
channel gets no exception."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from qinqing.cases import services as case_services
from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.models.clocks import Stage, StageClock
from qinqing.ratings import services
from qinqing.supervision.models import EscalationPolicy, LetterTitle, ReminderLetter
from qinqing.worktime.calendar import elapsed
from qinqing.worktime.limits import LimitUnit
from qinqing.worktime.queries import current_calendar
from tests.documents import pdf_text
from tests.ratings.conftest import BAD, HALL

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def letters_after_two_days(settings):
    settings.QINQING_SMS_BACKEND = "console"
    policy = EscalationPolicy.current()
    policy.letter_after_days, policy.letter_title = 2, LetterTitle.WORK_REMINDER
    policy.save()
    return policy


def run_ladder(moment):
    import time_machine

    from qinqing.background.worker import QinqingWorker

    with time_machine.travel(moment, tick=False):
        QinqingWorker(worker_id="test-worker").run_once()


# Rated (and so dispatched) at `rated`; the hall signs at once and never replies. The
# resolve stage is due 5 working days later; the letter comes when it is 2 working days
# overdue. Moments: a Monday morning; a Friday night (counted from Monday); the eve of
# the National Day holidays (the make-up Saturday 10 October counts, 1–7 October not).
@pytest.mark.parametrize("rated", [
    at(2026, 12, 7, 10, 0), at(2026, 12, 4, 23, 30), at(2026, 9, 30, 10, 0),
])
def test_a_late_rectification_gets_the_work_prompt_letter(window_code, hall_handler,
                                                          letters_after_two_days, rated):
    services.rate(window_code, {**BAD}, token="a" * 32, address="10.0.0.1", now=rated)
    case = Case.objects.get()
    case_services.perform(case.number, "sign", hall_handler, now=rated + timedelta(minutes=1))
    resolve = StageClock.objects.get(case=case, stage=Stage.RESOLVE)
    assert resolve.limit == "5d" and resolve.unit.code == HALL

    # One working day overdue: a reminder, no letter yet.
    calendar = current_calendar()
    day_late = resolve.due_at + timedelta(days=1, minutes=1)
    while elapsed(calendar, resolve.due_at, day_late, LimitUnit.WORKING_DAYS).amount < 1:
        day_late += timedelta(days=1)
    run_ladder(day_late)
    actions = set(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert "remind" in actions and "reminder_letter" not in actions

    # Two working days overdue: the work-prompt letter, to the hall, on the timeline.
    two_late = day_late + timedelta(days=1)
    while elapsed(calendar, resolve.due_at, two_late, LimitUnit.WORKING_DAYS).amount < 2:
        two_late += timedelta(days=1)
    run_ladder(two_late)
    letter = ReminderLetter.objects.get(case=case)
    assert letter.unit.code == HALL and letter.stage == Stage.RESOLVE
    assert CaseEvent.objects.filter(case=case, action="reminder_letter").count() == 1
    text = "".join(pdf_text(letter.attachment.file.read()).split())
    assert "工作提示函" in text and case.number in text


def test_a_rectification_replied_in_time_gets_no_letter(window_code, hall_handler,
                                                        letters_after_two_days):
    rated = at(2026, 12, 7, 10, 0)
    services.rate(window_code, {**BAD}, token="a" * 32, address="10.0.0.1", now=rated)
    case = Case.objects.get()
    case_services.perform(case.number, "sign", hall_handler, now=rated + timedelta(minutes=1))
    case_services.perform(case.number, "reply", hall_handler, {"answer": "已整改。"},
                          now=rated + timedelta(days=2))
    run_ladder(rated + timedelta(days=14))
    assert not ReminderLetter.objects.filter(case=case, stage=Stage.RESOLVE).exists()
