"""The whole demo (`qinqing demo --cases N --now …`) built at many moments of a year.

On 2026-12-02 `make run` crashed on a fresh clone: the demo had only ever been built at
the moments its authors happened to run it. Here it is built at a working day's
daytime, a night, a weekend, inside the Spring Festival and National Day holidays, on
a make-up working day (调休), late on New Year's Eve and in a year whose holidays are
not published yet (provisional deadlines), with the clock moved there (time-machine)
for the code that reads it, and each time every part the demo promises must be there.

About 15 s of CPU a moment, some 40% of it the reminder letters' PDFs (WeasyPrint
subsetting the CJK font, ~0.5 s a letter, ~20 letters a demo). So the moments are first
checked in a process of their own, started when collection is done (moments_aside.py,
conftest.py), beside the other tests on the second core; a test here passes when its
moment passed there, and a moment that failed there is checked again here, in this
process's test database, so that its failure is reported as any test's is.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import StringIO

import chinese_calendar
import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from qinqing.worktime.calendar import SHANGHAI

pytestmark = pytest.mark.django_db

N_CASES = 34  # the forced scenarios (one of every path) and two more
SEED = 5


def _holiday(year: int, name: str, nth: int) -> date:
    days = [d for d in chinese_calendar.get_holidays(date(year, 1, 1), date(year, 12, 31))
            if chinese_calendar.get_holiday_detail(d)[1] == name]
    return days[nth]


def _make_up_saturday(year: int) -> date:
    return next(d for d in chinese_calendar.get_workdays(date(year, 1, 1), date(year, 12, 31),
                                                         include_weekends=True)
                if d.weekday() == 5)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


WORKDAY = date(2026, 11, 18)
assert chinese_calendar.is_workday(WORKDAY)
NATIONAL_DAY = _holiday(2026, "National Day", 2)
MOMENTS = {
    "working day, daytime": _at(WORKDAY, 10, 30),
    "working night": _at(WORKDAY + timedelta(days=1), 2, 15),
    "weekend": _at(date(2026, 11, 22), 15, 0),
    "Spring Festival": _at(_holiday(2026, "Spring Festival", 2), 11, 0),
    "National Day": _at(NATIONAL_DAY, 9, 30),
    "make-up Saturday (调休)": _at(_make_up_saturday(2026), 10, 0),
    "New Year's Eve, late": _at(date(2026, 12, 31), 23, 55),
    "a provisional year (2027)": _at(date(2027, 3, 10), 10, 0),
}


@pytest.mark.parametrize("now", MOMENTS.values(), ids=MOMENTS.keys())
def test_the_whole_demo_at(now, moments_aside, request):
    failure = moments_aside[now.isoformat()]
    if failure is None:
        return  # every check below passed at this moment, in moments_aside.py
    request.getfixturevalue("demo_city")
    check_the_whole_demo_at(now, request.getfixturevalue("client"))
    pytest.fail("the moment failed in its own process but passes here:\n" + failure)


def check_the_whole_demo_at(now, client):
    """The test: the whole demo built at `now` (in a database with the demo city and its
    catalogue), and every part it promises."""
    from qinqing.cases.timeline import broken_chains
    from qinqing.cases.models import Case, CaseEvent, Outcome, StageClock, State
    from qinqing.demo.insights import last_finished_month
    from qinqing.insights.models import Bulletin, CaseTerms, TypicalCase
    from qinqing.demo.city import DEMO_LOGINS, DEMO_PASSWORD
    from qinqing.org.models import User
    from qinqing.demo.oversight import DEMO_CASES
    from qinqing.demo.public import MATTERS
    from qinqing.portal.models import MailboxLetter, Publication
    from qinqing.oversight.models import (
        AccountabilityRecord, Campaign, Inspection, Meeting,
    )
    from qinqing.supervision.models import EscalationStep, Listing, ReminderLetter, StepStatus

    out = StringIO()
    with time_machine.travel(now, tick=True):
        call_command("demo", "--cases", str(N_CASES), "--seed", str(SEED),
                     "--now", now.isoformat(), stdout=out)
    text = out.getvalue()
    assert f"demo cases: {N_CASES} added" in text

    # Cases: every state and every outcome; the oversight story's and the public side's
    # own cases beside them.
    assert Case.objects.count() == N_CASES + DEMO_CASES + len(MATTERS)
    assert set(Case.objects.values_list("state", flat=True)) == set(State.values)
    assert set(Case.objects.filter(state=State.CLOSED).values_list("outcome", flat=True)) \
        == set(Outcome.values)
    assert Case.objects.filter(reopen_count__gt=0, state=State.CLOSED).exists()
    assert Case.objects.filter(is_suspended=True).exists()

    # Everything happened by now, and every timeline reads in time order (the ladder's
    # replay is made in one chronological order with the moves), with its chain intact.
    assert not CaseEvent.objects.filter(at__gt=now).exists()
    for case_id in Case.objects.values_list("pk", flat=True):
        moments = list(CaseEvent.objects.filter(case_id=case_id).order_by("seq")
                       .values_list("at", flat=True))
        assert moments == sorted(moments), Case.objects.get(pk=case_id).number
    assert list(broken_chains()) == []

    # The escalation ladder ran at the moments it would have: letters and reminders
    # dated in the past, and not all today; two cases listed by the supervisor.
    done = EscalationStep.objects.filter(status=StepStatus.DONE)
    assert done.filter(rung="reminder").exists() and ReminderLetter.objects.exists()
    assert not EscalationStep.objects.exclude(status=StepStatus.DONE).exists()
    assert min(done.values_list("done_at", flat=True)) < now - timedelta(days=14)
    assert all(letter.issued_at <= now for letter in ReminderLetter.objects.all())
    assert Listing.objects.filter(closed_at=None, automatic=False).count() == 2
    late = StageClock.objects.filter(done_at=None, paused_at=None, due_at__lt=now)
    assert late.exists()
    assert not late.exclude(case__events__action="remind").exists(), \
        "every late stage's case was reminded"

    # The oversight story: two sweeps, a meeting naming its cases, accountability no
    # larger than the reports behind it, inspections.
    assert Campaign.objects.count() == 2
    meeting = Meeting.objects.get()
    assert meeting.decisions.count() == 3
    assert all(c.number in meeting.minutes for c in meeting.cases.all())
    records = AccountabilityRecord.objects.count()
    reports = Case.objects.filter(kind="report", category__code__startswith="GBZF",
                                  channel="hotline", subject_unit__isnull=False).count()
    assert records == 29 and records <= reports
    assert Inspection.objects.count() == 6

    # The public side: letters published on the mailbox's public list, online judgements.
    assert "demo public side: 14 matters" in text
    published = MailboxLetter.objects.filter(publication=Publication.APPROVED)
    assert published.count() == 3
    letters = client.get(reverse("portal:letters")).content.decode()
    assert all(letter.public_title in letters for letter in published)
    assert CaseEvent.objects.filter(actor__username="online-rating").count() == 3

    # Insights: hot-topic words, last month's bulletin with typical cases.
    assert CaseTerms.objects.exists()
    start, end = last_finished_month(now)
    bulletin = Bulletin.objects.get(withdrawn_at=None)
    assert (bulletin.start, bulletin.end) == (start, end) and bulletin.published_at == now
    assert TypicalCase.objects.exists() and bulletin.document["typical_cases"]
    assert bulletin.title in client.get(reverse("public:figures")).content.decode()

    # The logins the command prints work.
    for login in DEMO_LOGINS:
        assert User.objects.get(username=login.username).check_password(DEMO_PASSWORD)
        assert login.username in text

    if now.year == 2027:  # no published holidays: the deadlines say they are provisional
        assert StageClock.objects.filter(provisional=True).exists()
