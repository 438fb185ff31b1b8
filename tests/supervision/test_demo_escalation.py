"""The demo's supervision step (`supervision.demo.escalate_demo`), which `qinqing demo`
runs after filing the demo cases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.supervision.conftest import T0

pytestmark = pytest.mark.django_db


def test_a_case_with_two_late_stages_is_listed_once(make_case):
    """A dispatched case nobody signed is late twice (sign and resolve). On 2026-12-02 the
    demo took such a case for both of its listings, and listing it the second time
    crashed `qinqing demo` (NotAllowedInState: 该工单已在挂牌督办中)."""
    from qinqing.cases.models import StageClock
    from qinqing.demo.supervision import escalate_demo
    from qinqing.supervision.models import Listing

    twice_late = make_case(("dispatch",), now=T0)
    later = make_case(("dispatch",), now=T0 + timedelta(days=14))
    now = T0 + timedelta(days=30)
    late = StageClock.objects.filter(case=twice_late, done_at__isnull=True, due_at__lt=now)
    # Both of its stages fall due before anything of the other case.
    assert late.count() == 2
    assert max(late.values_list("due_at", flat=True)) < min(
        StageClock.objects.filter(case=later).values_list("due_at", flat=True))

    result = escalate_demo(now=now, listings=2)

    assert result["listed"] == 2
    assert sorted(Listing.objects.values_list("case__number", flat=True)) == sorted(
        [twice_late.number, later.number])


def test_the_replay_reminds_a_late_case_when_it_was_late_not_today(make_case):
    """The demo files months of history at once. Swept once at the end, the ladder
    reminded a case late since March today; replayed at each working day's office start,
    it reminds it the first morning it is late, and sends the letter two working days
    later, each dated then (the worker's job function done at the sweep's moment)."""
    from qinqing.cases.models import CaseEvent, StageClock
    from qinqing.demo.supervision import LadderReplay
    from qinqing.supervision.models import ReminderLetter
    from qinqing.worktime.calendar import SHANGHAI

    case = make_case(("dispatch", "sign"), now=T0)
    resolve_due = StageClock.objects.get(case=case, stage="resolve").due_at
    now = T0 + timedelta(days=60)
    replay = LadderReplay(now)
    replay.advance(T0)
    replay.finish()

    reminder = CaseEvent.objects.get(case=case, action="remind")
    assert resolve_due < reminder.at < resolve_due + timedelta(days=4)  # the next morning(s)
    local = reminder.at.astimezone(SHANGHAI)
    assert (local.hour, local.minute) == (9, 0)
    letter = ReminderLetter.objects.get(case=case)
    assert reminder.at < letter.issued_at < resolve_due + timedelta(days=8)
    moments = list(CaseEvent.objects.filter(case=case).order_by("seq")
                   .values_list("at", flat=True))
    assert moments == sorted(moments) and max(moments) < now - timedelta(days=40)
