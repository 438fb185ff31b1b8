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
    from qinqing.supervision.demo import escalate_demo
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
