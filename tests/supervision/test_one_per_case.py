"""A case late at two stages is one case: one row on the supervision board listing both
stages, one automatic reminder and one reminder letter naming both (the ladder keeps
one step per stage clock and rung, and the job merges the steps of a case and rung)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from tests.documents import pdf_text
from tests.supervision.conftest import LEAD


def _two_late_stages(make_case):
    """Dispatched at T0 (Monday 10:00) and never signed: the sign stage (2 working hours)
    and the resolve stage (3 working days) run together, both the lead unit's."""
    from qinqing.cases.models import StageClock

    case = make_case(("dispatch",))
    sign = StageClock.objects.get(case=case, stage="sign")
    resolve = StageClock.objects.get(case=case, stage="resolve")
    return case, sign, resolve


def test_the_board_lists_a_case_late_at_two_stages_once(make_case, user, client, at_time):
    from qinqing.supervision.queries import late_stage_totals, supervision_board

    case, sign, resolve = _two_late_stages(make_case)
    now = resolve.due_at + timedelta(hours=1)
    rows = supervision_board(user("supervisor"), now=now)
    items = [item for row in rows for item in row.overdue + row.warning]
    assert [item.case.pk for item in items] == [case.pk]
    assert rows[0].unit.code == LEAD
    assert [c.stage for c in items[0].clocks] == ["sign", "resolve"] and items[0].overdue
    assert late_stage_totals(user("supervisor"), now=now) == {"overdue": 1, "warning": 0}

    client.force_login(user("supervisor"))
    with at_time(now):
        page = client.get("/supervision/").content.decode()
    assert page.count(f'<tr data-case="{case.number}"') == 1
    row = page.split(f'<tr data-case="{case.number}"')[1].split("</tr>")[0]
    assert 'data-stage="sign"' in row and 'data-stage="resolve"' in row


def test_the_ladder_sends_one_reminder_and_one_letter_per_case(make_case, worker, at_time):
    from qinqing.cases.models import CaseEvent
    from qinqing.notifications.models import Notification, SmsMessage
    from qinqing.supervision.models import EscalationPolicy, EscalationStep, ReminderLetter

    policy = EscalationPolicy.current()
    policy.letter_after_days = 2
    policy.save()
    case, sign, resolve = _two_late_stages(make_case)
    # The first tick after both stages are two working days overdue (Thursday 17:30 +
    # 2 working days: Monday evening): both reach the reminder and the letter together.
    with at_time(resolve.due_at + timedelta(days=4, minutes=1)):
        worker.run_once()

    actions = Counter(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions["remind"] == 1 and actions["reminder_letter"] == 1
    remind = CaseEvent.objects.get(case=case, action="remind")
    assert [s["stage"] for s in remind.data["stages"]] == ["sign", "resolve"]

    letter = ReminderLetter.objects.get(case=case)
    assert [s["stage"] for s in letter.stages] == ["sign", "resolve"]
    assert letter.stage == "sign" and letter.days_overdue == letter.stages[0]["days_overdue"]
    assert letter.stages[1]["days_overdue"] == 2
    text = "".join(pdf_text(letter.attachment.file.read()).split())
    assert "签收" in text and "办理" in text and text.count(case.number) >= 1

    # Steps stay one per stage clock and rung; the second of each rung is merged.
    steps = EscalationStep.objects.filter(case=case).order_by("rung", "clock__due_at")
    by_rung = {}
    for step in steps:
        by_rung.setdefault(step.rung, []).append(step)
    for rung in ("reminder", "letter"):
        first, second = by_rung[rung]
        assert (first.status, second.status) == ("done", "done")
        assert first.merged_into_id is None and second.merged_into_id == first.pk
        assert first.event_id is not None and second.event_id is None
    # One notice per person and rung, one SMS per rung.
    per_person = Counter(Notification.objects.filter(case=case)
                         .values_list("recipient_id", "kind"))
    assert set(per_person.values()) == {1}
    # (The ladder's: the reporter's number-and-code SMS names the case too.)
    assert SmsMessage.objects.filter(text__contains=case.number,
                                     event_key__startswith="ladder:").count() == 2

    # Later ticks change nothing.
    with at_time(resolve.due_at + timedelta(days=4, hours=2)):
        worker.run_once()
    assert CaseEvent.objects.filter(case=case, action="reminder_letter").count() == 1
    assert ReminderLetter.objects.filter(case=case).count() == 1


def test_a_late_review_is_charged_to_the_lead_unit_not_the_hotline(make_case, worker, at_time,
                                                                   user):
    """A reply waiting for the unit head's review is the unit's time: the board lists it
    under the lead unit, the reminder and the letter go to the lead unit, and no
    callback clock runs (the hotline is not late)."""
    from qinqing.cases.models import StageClock
    from qinqing.supervision.models import EscalationPolicy, ReminderLetter
    from qinqing.supervision.queries import supervision_board

    policy = EscalationPolicy.current()
    policy.letter_after_days = 2
    policy.save()
    case = make_case(("dispatch", "sign", "reply"))
    review = StageClock.objects.get(case=case, stage="review", done_at__isnull=True)
    assert review.limit == "1d"
    assert not StageClock.objects.filter(case=case, stage="callback").exists()
    later = review.due_at + timedelta(days=3)  # Tuesday 17:30 + 3 days: 3 working days late
    rows = supervision_board(user("supervisor"), now=later)
    assert [(r.unit.code, [i.case.pk for i in r.overdue]) for r in rows] == [(LEAD, [case.pk])]
    with at_time(later):
        worker.run_once()
    letter = ReminderLetter.objects.get(case=case)
    assert letter.unit.code == LEAD and letter.stage == "review"
    assert "单位审核" in "".join(pdf_text(letter.attachment.file.read()).split())
