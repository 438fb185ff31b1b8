"""The demo's public side: portal filings, a hall's couldn't-get-it-done window, mayor's
mailbox letters answered and published, Open311 requests and judgements given online,
all made through the services at moments before now."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from qinqing.cases.models import Case, CaseEvent, Channel, State
from qinqing.cases.timeline import broken_chains
from qinqing.demo.public import MATTERS, build_demo_public, demo_exists
from qinqing.insights import facts
from qinqing.notifications.models import SmsMessage
from qinqing.portal.models import MailboxLetter, Publication, Submission

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("moment", [
    None,  # the package's now
    datetime(2026, 2, 17, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),  # the Spring Festival
])
def test_the_public_side(world, moment):
    now = moment or world["now"]
    last = Case.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    assert not demo_exists()
    made = build_demo_public(now=now)
    assert demo_exists()
    new = Case.objects.filter(pk__gt=last)
    assert new.count() == len(MATTERS) == made["matters"] == 14
    channels = {c: new.filter(channel=c).count() for c in
                (Channel.WEB, Channel.CANNOT_DO_WINDOW, Channel.MAYOR_MAILBOX)}
    # Portal filings and Open311 requests both come in on the web channel.
    assert channels == {Channel.WEB: 6, Channel.CANNOT_DO_WINDOW: 2, Channel.MAYOR_MAILBOX: 6}
    assert made == {"matters": 14, "portal": 4, "hall": 2, "letters": 6, "published": 3,
                    "to_review": 1, "open311": 2, "judged_online": 3}
    assert all(c.received_at < now for c in new)
    assert all(e.at <= now for e in CaseEvent.objects.filter(case__in=new))
    # Named filers proved their phones; anonymous ones gave none.
    assert Submission.objects.filter(phone_verified=True).count() == 9  # Open311: no SMS
    assert new.filter(is_anonymous=True).count() == 4
    # Online judgements: the account 网上评价（本人）; one dissatisfied, reopened.
    online = CaseEvent.objects.filter(case__in=new, actor__username="online-rating")
    assert sorted(online.values_list("action", flat=True)) == ["callback", "callback", "reopen"]
    reopened = online.get(action="reopen").case
    assert reopened.state == State.HANDLING and reopened.reopen_count == 1
    # The public list shows the published letters, only in their approved words.
    page = Client().get("/mailbox/letters/").content.decode()
    for letter in MailboxLetter.objects.filter(publication=Publication.APPROVED):
        assert letter.public_answer in page and letter.case.number not in page
    private = MailboxLetter.objects.get(consent=False)
    assert private.case.content not in page
    # Nothing is texted beyond the queue; the codes and the numbers are queued SMS.
    assert SmsMessage.objects.filter(event_key__startswith="portal-code:").count() == 9
    assert not list(broken_chains()) and facts.differences([c.pk for c in new]) == []


def test_the_figures_count_the_public_side(world):
    from datetime import timedelta

    from django.utils import timezone

    from qinqing.insights.metrics import Scope, figures

    now = world["now"]
    build_demo_public(now=now)
    day = timezone.localtime(now).date()
    shown = figures(Scope(day - timedelta(days=40), day), ["online_ratings"], now=now)
    assert shown["online_ratings"].value == 3  # the demo's other cases are called back
