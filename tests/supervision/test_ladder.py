"""The escalation ladder, walked with the worker running in process and the clock moved
by time-machine: warning → reminder → reminder letter (PDF) → listed supervision, each
once and each on the timeline; the listing closes when the case closes."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.documents import SCREENSHOTS, pdf_text, render_page_png
from tests.supervision.conftest import DUTY_PHONE, LEAD, SH, T0

LADDER_ACTIONS = ("warning_notice", "remind", "reminder_letter", "list_supervision")


def _actions(case):
    from qinqing.cases.models import CaseEvent

    return Counter(CaseEvent.objects.filter(case=case).values_list("action", flat=True))


def _policy(**fields):
    from qinqing.supervision.models import EscalationPolicy

    policy = EscalationPolicy.current()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def test_a_late_case_walks_the_whole_ladder_once(make_case, worker, at_time, user):
    from qinqing.cases import services as case_services
    from qinqing.cases.models import Attachment, StageClock
    from qinqing.notifications.models import Notification, SmsMessage
    from qinqing.supervision.models import EscalationStep, Listing, ReminderLetter
    from qinqing.supervision.queries import public_listings

    _policy(letter_after_days=2, auto_list_after_days=3, signatory="李明",
            issuing_unit="示范市优化营商环境监督专线办公室")
    case = make_case(("dispatch", "sign"))
    resolve = StageClock.objects.get(case=case, stage="resolve")
    lead_members = set(user("handler").unit.members.filter(is_active=True)
                       .values_list("pk", flat=True))
    assert resolve.warn_at < resolve.due_at

    def turn(moment, times=2):
        # Twice at the same moment: the second tick is not due, and nothing repeats.
        with at_time(moment):
            for _ in range(times):
                worker.run_once()
        return _actions(case)

    # Before the warning: nothing.
    assert not set(turn(resolve.warn_at - timedelta(minutes=5))) & set(LADDER_ACTIONS)

    # Warning: the lead unit is told in the app and by SMS to its duty phone.
    actions = turn(resolve.warn_at + timedelta(minutes=1))
    assert actions["warning_notice"] == 1 and actions["remind"] == 0
    notices = Notification.objects.filter(case=case, kind="stage_warning")
    assert set(notices.values_list("recipient_id", flat=True)) == lead_members
    sms = SmsMessage.objects.get(event_key__endswith=":sms")
    assert sms.phone == DUTY_PHONE and case.number in sms.text

    # Overdue: one automatic reminder (the board's `remind` action, marked automatic).
    actions = turn(resolve.due_at + timedelta(minutes=1))
    assert actions["remind"] == 1 and actions["warning_notice"] == 1
    from qinqing.cases.models import CaseEvent

    remind = CaseEvent.objects.get(case=case, action="remind")
    assert remind.data["automatic"] is True and remind.actor is None
    assert remind.data["stages"][0]["stage"] == "resolve"

    # One working day overdue: still no letter (the policy says two).
    one_day = resolve.due_at + timedelta(days=1, minutes=1)  # Friday
    assert _actions(case)["reminder_letter"] == 0 and turn(one_day)["reminder_letter"] == 0

    # Two working days overdue (over the weekend): the letter, numbered, filed on the case.
    two_days = resolve.due_at + timedelta(days=4, minutes=1)  # Monday evening
    actions = turn(two_days)
    assert actions["reminder_letter"] == 1 and actions["list_supervision"] == 0
    letter = ReminderLetter.objects.get(case=case)
    assert letter.number == "督办〔2026〕第1号" and letter.days_overdue == 2
    assert letter.unit.code == LEAD
    attachment = Attachment.objects.get(case=case)
    assert attachment == letter.attachment and attachment.content_type == "application/pdf"
    pdf = attachment.file.read()
    text = "".join(pdf_text(pdf).split())  # table cells wrap: compare without spaces
    for expected in ("督办函", "督办〔2026〕第1号", case.number, letter.unit.name,
                     "营业执照办理超期", "办理", "2026-03-0517:30", "逾期2个工作日",
                     "示范市优化营商环境监督专线办公室", "李明", "2026年3月9日"):
        assert expected in text, expected
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    render_page_png(pdf, SCREENSHOTS / "reminder-letter.png")
    event = CaseEvent.objects.get(case=case, action="reminder_letter")
    assert event.data["letter"] == letter.number and event.data["attachment"] == attachment.pk

    # Three working days overdue: listed for supervision by the policy, with a deadline.
    actions = turn(resolve.due_at + timedelta(days=5, minutes=1))
    assert actions["list_supervision"] == 1
    listing = Listing.objects.get(case=case)
    assert listing.automatic and listing.closed_at is None and listing.unit.code == LEAD
    assert listing.deadline > resolve.due_at + timedelta(days=5)
    items, _ = public_listings(now=resolve.due_at + timedelta(days=5, minutes=2))
    assert [i.number for i in items] == [case.number] and items[0].state == "listed"

    # Days later, many ticks on: every step still exactly once.
    for days in (6, 7, 10):
        actions = turn(resolve.due_at + timedelta(days=days, hours=1), times=1)
    assert [actions[a] for a in LADDER_ACTIONS] == [1, 1, 1, 1]
    assert EscalationStep.objects.filter(case=case, status="done").count() == 4
    assert ReminderLetter.objects.count() == 1 and Attachment.objects.filter(case=case).count() == 1
    per_person = Counter(Notification.objects.filter(case=case)
                         .values_list("recipient_id", "kind"))
    assert set(per_person.values()) == {1}
    assert len(per_person) == 4 * len(lead_members)
    # The ladder's: warning, reminder, letter, listing (the reporter's number-and-code SMS
    # at intake is the only other one).
    ladder = SmsMessage.objects.filter(event_key__startswith="ladder:")
    assert ladder.count() == 4 and SmsMessage.objects.count() == 5
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {"sent"}

    # The case closes: its listing closes with it, once, on the timeline.
    later = resolve.due_at + timedelta(days=11)
    for i, (move, who, payload) in enumerate([
            ("reply", "handler", {"answer": "已为企业办结营业执照。"}),
            ("review", "dispatcher", {}), ("callback", "callback", {"satisfaction": "satisfied"})]):
        case_services.perform(case.number, move, user(who), payload,
                              now=later + timedelta(minutes=i))
    listing.refresh_from_db()
    assert listing.closed_at == later + timedelta(minutes=2)
    actions = turn(later + timedelta(hours=1))
    assert actions["unlist_supervision"] == 1
    assert public_listings()[0][0].state == "closed"


def test_a_stage_done_before_its_job_runs_is_skipped_and_says_nothing(make_case, worker,
                                                                      at_time, user):
    from qinqing.cases import services as case_services
    from qinqing.cases.models import StageClock
    from qinqing.supervision import ladder
    from qinqing.supervision.models import EscalationStep

    case = make_case(("dispatch", "sign"))
    resolve = StageClock.objects.get(case=case, stage="resolve")
    moment = resolve.due_at + timedelta(minutes=1)
    with at_time(moment):
        assert ladder.sweep()["reminder"] == 1  # queued, not yet run
        case_services.perform(case.number, "reply", user("handler"), {"answer": "已办结。"})
        assert worker.run_pending() == 1
    assert "remind" not in _actions(case)
    assert not EscalationStep.objects.filter(case=case).exists()


def test_a_case_without_a_lead_unit_is_reminded_to_its_hotline(make_case, worker, at_time):
    from qinqing.cases.models import CaseEvent, StageClock
    from qinqing.notifications.models import Notification

    case = make_case(())  # received, never dispatched: the hotline's dispatch stage
    clock = StageClock.objects.get(case=case, stage="dispatch")
    with at_time(clock.due_at + timedelta(minutes=1)):
        worker.run_once()
    event = CaseEvent.objects.get(case=case, action="remind")
    assert event.data["unit"] == case.owner_unit.code
    recipients = Notification.objects.filter(case=case).values_list("recipient__unit_id",
                                                                     flat=True)
    assert set(recipients) == {case.owner_unit_id}


def test_letters_are_numbered_per_year_without_gaps(make_case, worker, at_time):
    from qinqing.cases.models import StageClock
    from qinqing.supervision.models import ReminderLetter

    _policy(letter_after_days=1, notify_warning=False, remind_overdue=False)
    cases = [make_case(("dispatch", "sign")) for _ in range(3)]
    due = max(StageClock.objects.get(case=c, stage="resolve").due_at for c in cases)
    with at_time(due + timedelta(days=1, minutes=5)):
        worker.run_once()
    assert sorted(ReminderLetter.objects.values_list("seq", flat=True)) == [1, 2, 3]
    assert {n[:9] for n in ReminderLetter.objects.values_list("number", flat=True)} == {
        "督办〔2026〕第"}


def test_a_failing_step_is_retried_and_recorded_never_raised(make_case, worker, at_time,
                                                             monkeypatch):
    from qinqing.cases.models import StageClock
    from qinqing.supervision import letters
    from qinqing.supervision.models import EscalationStep

    _policy(letter_after_days=1, notify_warning=False, remind_overdue=False)
    case = make_case(("dispatch", "sign"))
    due = StageClock.objects.get(case=case, stage="resolve").due_at

    def broken(**kwargs):
        raise RuntimeError("no printer")

    monkeypatch.setattr(letters, "render_letter", broken)
    with at_time(due + timedelta(days=1, minutes=5)):
        worker.run_once()
    step = EscalationStep.objects.get(case=case)
    assert step.status == "retry" and step.attempts == 1 and "no printer" in step.last_error
    assert "reminder_letter" not in _actions(case)
    monkeypatch.undo()
    with at_time(step.retry_at + timedelta(minutes=1)):
        worker.run_once()  # the tick queues it again, the job does it
    step.refresh_from_db()
    assert step.status == "done" and _actions(case)["reminder_letter"] == 1


@pytest.mark.parametrize("field,value", [("letter_after_days", None),
                                         ("notify_warning", False)])
def test_the_policy_switches_rungs_off(make_case, worker, at_time, field, value):
    from qinqing.cases.models import StageClock

    _policy(**{field: value})
    case = make_case(("dispatch", "sign"))
    clock = StageClock.objects.get(case=case, stage="resolve")
    with at_time(clock.warn_at + timedelta(minutes=1)):
        worker.run_once()
    with at_time(clock.due_at + timedelta(days=6)):
        worker.run_once()
    actions = _actions(case)
    assert actions["remind"] == 1
    if field == "letter_after_days":
        assert actions["reminder_letter"] == 0 and actions["warning_notice"] == 1
    else:
        assert actions["warning_notice"] == 0 and actions["reminder_letter"] == 1


def test_the_sweep_reads_only_what_crossed_since_and_audits_the_rest(make_case, worker,
                                                                      at_time, user):
    """After a sweep, the next one reads from its cursor on; a clock whose deadline lies
    before the cursor without a step (here: a case registered back-dated, as an import
    would) is still found by the rolling audit, once."""
    from qinqing.cases.models import StageClock
    from qinqing.supervision import ladder
    from qinqing.supervision.models import LadderCursor

    first = make_case(())
    due = StageClock.objects.get(case=first, stage="dispatch").due_at
    t1 = due + timedelta(hours=5)
    with at_time(t1):
        worker.run_once()
    cursor = LadderCursor.objects.get(rung="reminder")
    assert cursor.swept_to == t1 and cursor.audit_after is None
    assert _actions(first)["remind"] == 1

    # Registered later but back-dated: its deadline lies far before the cursor.
    late = make_case((), now=T0 - timedelta(days=20))
    old_due = StageClock.objects.get(case=late, stage="dispatch").due_at
    assert old_due < cursor.swept_to - ladder.OVERLAP
    t2 = t1 + timedelta(minutes=1)
    rows = ladder.find_due("reminder", t2, t2, 10, cursor)
    assert [r[1] for r in rows] == [late.pk]  # found by the audit slice
    with at_time(t2):
        worker.run_once()
    assert _actions(late)["remind"] == 1 and _actions(first)["remind"] == 1
    with at_time(t2 + timedelta(minutes=1)):
        worker.run_once()
    assert _actions(late)["remind"] == 1


def test_the_fresh_range_is_bounded_by_the_batch_and_resumes(make_case, worker, at_time):
    from qinqing.cases.models import StageClock
    from qinqing.supervision import ladder
    from qinqing.supervision.models import EscalationStep, LadderCursor

    cases = [make_case((), now=T0 + timedelta(minutes=10 * i)) for i in range(5)]
    last_due = max(StageClock.objects.get(case=c, stage="dispatch").due_at for c in cases)
    moment = last_due + timedelta(hours=1)
    with at_time(moment):
        assert ladder.sweep(limit=2)["reminder"] == 2
        cursor = LadderCursor.objects.get(rung="reminder")
        assert cursor.swept_to < moment  # stopped at the batch's last row
        assert ladder.sweep(limit=2)["reminder"] == 2
        assert ladder.sweep(limit=2)["reminder"] == 1
        assert ladder.sweep(limit=2)["reminder"] == 0
    assert EscalationStep.objects.filter(rung="reminder").count() == 5


def test_overdue_cutoff_counts_working_days(db):
    from qinqing.supervision.ladder import overdue_cutoff, working_days_overdue

    now = datetime(2026, 3, 9, 17, 31, tzinfo=SH)  # a Monday
    cutoff = overdue_cutoff(2, now)
    assert working_days_overdue(cutoff, now) >= 2
    assert working_days_overdue(cutoff + timedelta(minutes=2), now) < 2
    assert cutoff.astimezone(SH).date().isoformat() == "2026-03-05"  # the Thursday
