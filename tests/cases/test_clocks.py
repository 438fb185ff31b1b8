"""Stage clocks: deadlines stored when a stage starts, warnings, suspension, extension,
overdue lists and provisional deadlines of a year the calendar does not know yet.

Times are Asia/Shanghai. Office hours 09:00-12:00, 13:30-17:30 (7 h a day). 2024's
National Day holiday is 1-7 October; Sunday 29 September and Saturday 12 October are
make-up working days.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qinqing.cases import queries, services
from qinqing.cases.models import Case, Stage, StageClock, TimeLimitPolicy
from qinqing.cases.timeline import broken_chains
from qinqing.worktime.calendar import office_time_between
from qinqing.worktime.models import CalendarOverride
from qinqing.worktime.queries import current_calendar

from .conftest import LEAD, at, case_data


def clock(case, stage) -> StageClock:
    """The latest clock of a stage."""
    return StageClock.objects.filter(case=case, stage=stage).order_by("-started_at", "-pk").first()


@pytest.fixture
def national_day_case(user, demo_org):
    """Registered Monday 30 Sep 2024 10:00, dispatched 10:30, signed on time at 10:45."""
    case = services.create_case(user("intake"), case_data(), now=at(2024, 9, 30, 10, 0)).case
    services.perform(case.number, "dispatch", user("dispatcher"), {"lead_unit": LEAD},
                     now=at(2024, 9, 30, 10, 30))
    services.perform(case.number, "sign", user("handler"), now=at(2024, 9, 30, 10, 45))
    return Case.objects.get(pk=case.pk)


def test_deadlines_from_the_default_policy(user, demo_org):
    case = services.create_case(user("intake"), case_data(), now=at(2024, 9, 30, 10, 0)).case
    dispatch = clock(case, Stage.DISPATCH)
    assert (dispatch.limit, dispatch.started_at) == ("1h", at(2024, 9, 30, 10, 0))
    assert dispatch.policy.kind == "" and dispatch.policy.urgency == ""
    assert (dispatch.due_at, dispatch.warn_at) == (at(2024, 9, 30, 11, 0), at(2024, 9, 30, 10, 48))

    services.perform(case.number, "dispatch", user("dispatcher"), {"lead_unit": LEAD},
                     now=at(2024, 9, 30, 10, 30))
    dispatch.refresh_from_db()
    assert (dispatch.done_at, dispatch.on_time) == (at(2024, 9, 30, 10, 30), True)
    sign, resolve = clock(case, Stage.SIGN), clock(case, Stage.RESOLVE)
    # 2 working hours from 10:30: 1.5 h before lunch, then 13:30-14:00.
    assert (sign.limit, sign.due_at, sign.warn_at) == (
        "2h", at(2024, 9, 30, 14, 0), at(2024, 9, 30, 13, 36))
    # 3 working days, the start day not counted, National Day skipped: 8, 9, 10 October.
    assert (resolve.limit, resolve.due_at) == ("3d", at(2024, 10, 10, 17, 30))
    # 80 % of the 26.5 office hours from 30 Sep 10:30 to 10 Oct 17:30.
    assert resolve.warn_at == at(2024, 10, 10, 10, 42)
    assert not resolve.provisional

    services.perform(case.number, "sign", user("handler"), now=at(2024, 9, 30, 15, 0))
    sign.refresh_from_db()
    assert (sign.done_at, sign.on_time) == (at(2024, 9, 30, 15, 0), False)  # due 14:00

    services.perform(case.number, "reply", user("handler"), {"answer": "已办结"},
                     now=at(2024, 10, 9, 16, 0))
    resolve.refresh_from_db()
    assert resolve.on_time is True
    # The reply goes to the unit head: the unit's review clock starts, not the callback's.
    assert clock(case, Stage.CALLBACK) is None
    review = clock(case, Stage.REVIEW)
    assert (review.limit, review.due_at, review.warn_at) == (
        "1d", at(2024, 10, 10, 17, 30), at(2024, 10, 10, 15, 48))
    # The timeline carries what the clocks did.
    reply = case.events.get(action="reply")
    assert reply.data["clocks"]["stopped"] == [{"stage": "resolve", "on_time": True}]
    assert reply.data["clocks"]["started"] == [{
        "stage": "review", "limit": "1d", "due": "2024-10-10T17:30:00+08:00",
        "warn": "2024-10-10T15:48:00+08:00", "provisional": False}]

    # Approved the next morning: the review stops on time, the callback starts from then.
    services.perform(case.number, "review", user("leader"), now=at(2024, 10, 10, 9, 30))
    review.refresh_from_db()
    assert (review.done_at, review.on_time) == (at(2024, 10, 10, 9, 30), True)
    callback = clock(case, Stage.CALLBACK)
    assert (callback.limit, callback.started_at, callback.due_at) == (
        "1d", at(2024, 10, 10, 9, 30), at(2024, 10, 11, 17, 30))


def test_late_stop_is_recorded_as_not_on_time(national_day_case, user):
    services.perform(national_day_case.number, "reply", user("handler"), {"answer": "晚了"},
                     now=at(2024, 10, 11, 9, 0))
    resolve = clock(national_day_case, Stage.RESOLVE)
    assert (resolve.done_at, resolve.on_time) == (at(2024, 10, 11, 9, 0), False)
    assert queries.clock_status(resolve, at(2024, 10, 12, 9, 0)) == "late"


def test_a_stored_deadline_does_not_follow_later_policy_edits(national_day_case):
    TimeLimitPolicy.objects.filter(kind="", urgency="").update(resolve_limit="10d")
    assert clock(national_day_case, Stage.RESOLVE).due_at == at(2024, 10, 10, 17, 30)


def test_urgent_cases_count_natural_hours(user, demo_org):
    # National Day itself: natural hours do not care about holidays.
    case = services.create_case(user("intake"), case_data(urgency="urgent"),
                                now=at(2024, 10, 1, 10, 0)).case
    dispatch = clock(case, Stage.DISPATCH)
    assert (dispatch.limit, dispatch.due_at, dispatch.warn_at) == (
        "1n", at(2024, 10, 1, 11, 0), at(2024, 10, 1, 10, 48))


def test_suspension_moves_the_deadline_by_the_office_time_suspended(national_day_case, user):
    number = national_day_case.number
    services.perform(number, "request_suspension", user("handler"), {"reason": "等企业补材料"},
                     now=at(2024, 10, 8, 9, 30))
    t1, t2 = at(2024, 10, 8, 10, 0), at(2024, 10, 9, 11, 0)
    services.perform(number, "approve_suspension", user("dispatcher"), now=t1)
    resolve = clock(national_day_case, Stage.RESOLVE)
    assert (resolve.paused_at, resolve.due_at) == (t1, at(2024, 10, 10, 17, 30))

    # While suspended the clock is neither overdue nor warning, even after its old due.
    dispatcher = user("dispatcher")
    later = at(2024, 10, 11, 9, 0)
    assert queries.clock_status(resolve, later) == "suspended"
    assert not _listed(dispatcher, number, later, overdue=True)
    assert _listed(dispatcher, number, later, overdue=False)
    assert not _listed(dispatcher, number, later, warning=True)

    services.perform(number, "resume", user("handler"), {"reason": "材料已到"}, now=t2)
    resolve.refresh_from_db()
    calendar = current_calendar()
    suspended = office_time_between(calendar, t1, t2)
    assert suspended == timedelta(hours=8)  # 8 Oct 10:00-17:30 (6 h) + 9 Oct 09:00-11:00
    assert resolve.paused_at is None and resolve.paused_seconds == 8 * 3600
    # 10 Oct 17:30 + 8 office hours: all of Fri 11 Oct, then 1 h of Sat 12 Oct (make-up day).
    assert resolve.due_at == at(2024, 10, 12, 10, 0)
    assert office_time_between(calendar, at(2024, 10, 10, 17, 30), resolve.due_at) == suspended
    event = national_day_case.events.get(action="resume")
    assert event.data["clock"]["suspended_seconds"] == 8 * 3600
    assert event.data["clock"]["previous_due"] == "2024-10-10T17:30:00+08:00"
    assert _listed(dispatcher, number, later, overdue=False)
    assert _listed(dispatcher, number, at(2024, 10, 12, 10, 1), overdue=True)


def test_approved_extension_moves_the_deadline_by_working_days(national_day_case, user):
    number = national_day_case.number
    services.perform(number, "request_extension", user("handler"),
                     {"reason": "需要现场核查", "limit": "2d"}, now=at(2024, 10, 8, 10, 0))
    assert clock(national_day_case, Stage.RESOLVE).due_at == at(2024, 10, 10, 17, 30)
    services.perform(number, "approve_extension", user("dispatcher"), now=at(2024, 10, 8, 11, 0))
    resolve = clock(national_day_case, Stage.RESOLVE)
    # Two working days after Thu 10 Oct: Fri 11 and the make-up Saturday 12.
    assert resolve.due_at == at(2024, 10, 12, 17, 30)
    assert resolve.extension_limits == ["2d"]
    assert Case.objects.get(pk=national_day_case.pk).extension_count == 1
    event = national_day_case.events.get(action="approve_extension")
    assert event.data["clock"]["previous_due"] == "2024-10-10T17:30:00+08:00"
    assert event.data["clock"]["due"] == "2024-10-12T17:30:00+08:00"


def test_extension_then_suspension_add_up(national_day_case, user):
    number = national_day_case.number
    services.perform(number, "request_extension", user("handler"),
                     {"reason": "核查", "limit": "2d"}, now=at(2024, 10, 8, 9, 10))
    services.perform(number, "approve_extension", user("dispatcher"), now=at(2024, 10, 8, 9, 20))
    services.perform(number, "request_suspension", user("handler"), {"reason": "等材料"},
                     now=at(2024, 10, 8, 9, 30))
    services.perform(number, "approve_suspension", user("dispatcher"), now=at(2024, 10, 8, 10))
    services.perform(number, "resume", user("handler"), now=at(2024, 10, 8, 12, 0))
    # 12 Oct 17:30 plus 2 office hours: Monday 14 Oct 11:00.
    assert clock(national_day_case, Stage.RESOLVE).due_at == at(2024, 10, 14, 11, 0)


def _listed(user, number, now, **flags) -> bool:
    found = queries.filtered_cases(user, queries.CaseFilters(**flags), now=now)
    return found.filter(number=number).exists()


def test_overdue_and_warning_lists(national_day_case, user):
    number, dispatcher = national_day_case.number, user("dispatcher")
    # resolve: warn 10 Oct 10:42, due 10 Oct 17:30 (the only open clock after signing)
    expectations = [
        (at(2024, 10, 9, 12, 0), False, False, "running"),
        (at(2024, 10, 10, 10, 41), False, False, "running"),
        (at(2024, 10, 10, 10, 42), True, False, "warning"),
        (at(2024, 10, 10, 17, 30), True, False, "warning"),  # due is still in time
        (at(2024, 10, 10, 17, 31), False, True, "overdue"),
    ]
    resolve = clock(national_day_case, Stage.RESOLVE)
    for now, warning, overdue, status in expectations:
        assert _listed(dispatcher, number, now, warning=True) is warning, now
        assert _listed(dispatcher, number, now, warning=False) is not warning, now
        assert _listed(dispatcher, number, now, overdue=True) is overdue, now
        assert _listed(dispatcher, number, now, overdue=False) is not overdue, now
        assert queries.clock_status(resolve, now) == status
    # Scoped like every list: another county's handler never sees it, overdue or not.
    assert not _listed(user("handler2"), number, at(2024, 10, 11, 9, 0), overdue=True)
    assert _listed(user("handler"), number, at(2024, 10, 11, 9, 0), overdue=True)
    # Once replied, the resolve clock is done and nothing is overdue any more.
    services.perform(number, "reply", user("handler"), {"answer": "办结"},
                     now=at(2024, 10, 10, 17, 0))
    assert not _listed(dispatcher, number, at(2024, 10, 11, 9, 0), overdue=True)


# ------------------------------------------------------------ provisional deadlines

@pytest.fixture
def year_end_case(user, demo_org):
    """Dispatched Wed 30 Dec 2026 10:30: the resolve clock reaches into 2027, which the
    calendar package does not know."""
    case = services.create_case(user("intake"), case_data(), now=at(2026, 12, 30, 10, 0)).case
    services.perform(case.number, "dispatch", user("dispatcher"), {"lead_unit": LEAD},
                     now=at(2026, 12, 30, 10, 30))
    resolve = clock(case, Stage.RESOLVE)
    # Thu 31 Dec, Fri 1 Jan (assumed a working day), Mon 4 Jan.
    assert (resolve.due_at, resolve.provisional) == (at(2027, 1, 4, 17, 30), True)
    assert not clock(case, Stage.SIGN).provisional
    return case


def _assert_recomputed(case):
    resolve = clock(case, Stage.RESOLVE)
    # New Year's Day is off after all: 31 Dec, 4 Jan, 5 Jan.
    assert (resolve.due_at, resolve.provisional) == (at(2027, 1, 5, 17, 30), False)
    event = case.events.order_by("-seq").first()
    assert event.action == "deadline_recomputed"
    assert event.actor is None
    assert event.data["clock"]["previous_due"] == "2027-01-04T17:30:00+08:00"
    assert event.data["clock"]["due"] == "2027-01-05T17:30:00+08:00"
    assert list(broken_chains()) == []


def test_provisional_deadline_recomputed_explicitly(year_end_case):
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    events = year_end_case.events.count()
    assert services.recompute_provisional_deadlines() == 1
    _assert_recomputed(year_end_case)
    assert year_end_case.events.count() == events + 1
    assert services.recompute_provisional_deadlines() == 0  # nothing provisional is left
    assert year_end_case.events.count() == events + 1


def test_provisional_deadline_recomputed_on_commit(year_end_case,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert len(callbacks) == 1
    _assert_recomputed(year_end_case)


def test_recompute_leaves_known_deadlines_alone(national_day_case, year_end_case):
    before = clock(national_day_case, Stage.RESOLVE).due_at
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False)
    services.recompute_provisional_deadlines()
    assert clock(national_day_case, Stage.RESOLVE).due_at == before
    assert not national_day_case.events.filter(action="deadline_recomputed").exists()


def test_the_review_limit_comes_from_the_policy(user, demo_org):
    TimeLimitPolicy.objects.filter(kind="", urgency="").update(review_limit="4h")
    case = services.create_case(user("intake"), case_data(), now=at(2024, 9, 30, 10, 0)).case
    for move, who, payload, moment in [
            ("dispatch", "dispatcher", {"lead_unit": LEAD}, at(2024, 9, 30, 10, 30)),
            ("sign", "handler", {}, at(2024, 9, 30, 10, 45)),
            ("reply", "handler", {"answer": "已办结"}, at(2024, 9, 30, 11, 0))]:
        services.perform(case.number, move, user(who), payload, now=moment)
    review = clock(case, Stage.REVIEW)
    # 4 working hours from 11:00: 1 h before lunch, then 13:30-16:30.
    assert (review.limit, review.due_at) == ("4h", at(2024, 9, 30, 16, 30))
    # Sent back: the review ends (late or not) and handling resumes with a fresh limit.
    services.perform(case.number, "send_back", user("leader"), {"reason": "证据不足"},
                     now=at(2024, 9, 30, 17, 0))
    review.refresh_from_db()
    assert (review.done_at, review.on_time) == (at(2024, 9, 30, 17, 0), False)
    assert clock(case, Stage.RESOLVE).done_at is None
