"""The demo's oversight story: made through the services, it shows what the pages are for
and reproduces Linfen's 29 sanctions."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from qinqing.cases.ledger import broken_chains
from qinqing.cases.models import Case, CaseEvent
from qinqing.org.models import User
from qinqing.oversight import queries
from qinqing.oversight.demo import DEMO_CASES, build_demo_oversight
from qinqing.oversight.models import AccountabilityRecord, Campaign, Decision, Inspection

pytestmark = pytest.mark.django_db

LINFEN = {"党内严重警告": 10, "党内警告": 4, "政务警告": 3, "政务记过": 1, "诫勉谈话": 3,
          "书面检查": 4, "提醒谈话": 1, "批评教育": 1, "移送公安机关": 2}


def test_the_oversight_story(world):
    now = world["now"]
    before = Case.objects.count()
    made = build_demo_oversight(now=now)
    assert Case.objects.count() == before + DEMO_CASES == before + made["cases"]
    supervisor = User.objects.get(username="supervisor")

    transport = Campaign.objects.get(name="交通运输领域逾期件专项清零")
    progress = queries.campaign_progress(transport, supervisor, now=now)
    assert (progress.total, progress.remaining, transport.remaining_at_close) == (8, 2, 2)
    remaining = [d.remaining for d in progress.days]
    assert remaining[0] == 8 and remaining[-1] == 2 and remaining == sorted(remaining,
                                                                            reverse=True)
    city = Campaign.objects.exclude(pk=transport.pk).get()
    assert city.closed_at is None and city.snapshot_count >= 2  # the two left, at least

    today = timezone.localtime(now).date()
    states = sorted("done" if d.done_at else "overdue" if d.due_on < today else "open"
                    for d in Decision.objects.all())
    assert states == ["done", "open", "overdue"]

    counts = {c.sanction.name: c.count for c in queries.outcomes_by_sanction()}
    assert counts == LINFEN and AccountabilityRecord.objects.count() == 29
    figures = queries.inspection_figures(date(2000, 1, 1), today, as_of=now)
    assert (figures.inspections, figures.undercover, figures.found_total, figures.rectified) \
        == (Inspection.objects.count(), 3, 6, 3)
    assert figures.found == {"responsibility": 4, "conduct": 2, "other": 0}

    assert list(broken_chains()) == []
    # Every event is in time order on its case (the story is made chronologically).
    for case_id in CaseEvent.objects.filter(action__in=[
            "campaign_entered", "joint_meeting", "accountability", "inspection_finding"]
    ).values_list("case_id", flat=True).distinct():
        moments = list(CaseEvent.objects.filter(case_id=case_id).order_by("seq")
                       .values_list("at", flat=True))
        assert moments == sorted(moments), case_id
