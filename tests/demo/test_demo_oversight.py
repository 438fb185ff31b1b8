"""The demo's oversight story: made through the services, it shows what the pages are for
and reproduces Linfen's 29 sanctions, one per substantiated report."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.timeline import broken_chains
from qinqing.org.models import User
from qinqing.oversight import queries
from qinqing.demo.oversight import DEMO_CASES, build_demo_oversight
from qinqing.oversight.models import (
    AccountabilityRecord, Campaign, Decision, Inspection, Meeting,
)

pytestmark = pytest.mark.django_db

LINFEN = {"党内严重警告": 10, "党内警告": 4, "政务警告": 3, "政务记过": 1, "诫勉谈话": 3,
          "书面检查": 4, "提醒谈话": 1, "批评教育": 1, "移送公安机关": 2}


def test_the_oversight_story(world):
    now = world["now"]
    before = Case.objects.count()
    made = build_demo_oversight(now=now)
    assert Case.objects.count() == before + DEMO_CASES == before + made["cases"]
    # Every event kind it wrote is registered (qinqing.cases.timeline).
    from qinqing.cases.timeline import registry

    kinds = set(CaseEvent.objects.values_list("action", flat=True).distinct())
    assert {"campaign_entered", "accountability", "inspection_finding"} <= kinds
    assert not {kind for kind in kinds if kind not in registry}
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
    # The meeting's minutes and every decision name the cases it took up: the two the
    # sweep left unresolved.
    meeting = Meeting.objects.get()
    numbers = {c.number for c in meeting.cases.all()}
    left = {m.case.number for m in transport.members.all()
            if not m.case.events.filter(action="reply").exists()}
    assert numbers == left and len(numbers) == 2
    assert all(n in meeting.minutes for n in numbers)
    assert all(any(n in d.text for n in numbers) for d in meeting.decisions.all())

    counts = {c.sanction.name: c.count for c in queries.outcomes_by_sanction()}
    assert counts == LINFEN and AccountabilityRecord.objects.count() == 29
    # One official per substantiated report: never more sanctions than reports (the demo
    # once put 29 records on 6 reports).
    assert made["reports"] == 30 and made["accountability_records"] == 29
    for record in AccountabilityRecord.objects.prefetch_related("cases"):
        [case] = record.cases.all()
        assert case.kind == "report" and case.category.code.startswith("GBZF")
        assert case.answer.startswith("经调查核实，反映问题基本属实")
    assert len({c.pk for r in AccountabilityRecord.objects.all() for c in r.cases.all()}) == 29
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


def test_the_meeting_page_links_the_cases_its_minutes_name(world, client):
    build_demo_oversight(now=world["now"])
    meeting = Meeting.objects.get()
    client.force_login(User.objects.get(username="supervisor"))
    html = client.get(reverse("oversight:meeting", args=[meeting.pk])).content.decode()
    minutes = html.split('id="h-minutes"')[1].split("</section>")[0]
    decisions = html.split('data-testid="decisions"')[1].split("</table>")[0]
    for case in meeting.cases.all():
        link = f'<a href="{reverse("cases:detail", args=[case.number])}">{case.number}</a>'
        assert link in minutes and link in decisions
