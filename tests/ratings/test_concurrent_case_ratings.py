"""Twenty identical submissions of a case's rating make one rating (and for a bad one one
rectification case); a default given while real ratings arrive never adds a second.
Real transactions: each thread commits on its own connection."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from qinqing.cases.models import Case, Channel as CaseChannel
from qinqing.ratings import case_ratings, defaults, invitations
from qinqing.ratings.levels import Level
from qinqing.ratings.models import Invitation, Rating
from tests.ratings.concurrency import post_until_served
from tests.ratings.case_helpers import close_case, form

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def invitation(demo_org, settings):
    settings.QINQING_TRACK_LIMIT = 100
    case = close_case(timezone.now() - timedelta(hours=3))
    row = Invitation.objects.get(case=case)
    invitations.sweep(now=row.next_send_at)
    row.refresh_from_db()
    return row


def test_twenty_identical_bad_ratings_make_one_rating_and_one_case(invitation):
    data = form(level="5", reason="staff", text="答复敷衍，问题没有解决。")

    def send(_):
        return post_until_served(f"/r/{invitation.token}", data)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(send, range(20)))
    statuses = {a.status_code for a in answers}
    assert statuses <= {200, 503}, statuses  # 503: a busy SQLite asked for a retry
    numbers = {re.search(r'data-testid="case-number">([^<]+)<', a.content.decode())[1]
               for a in answers if a.status_code == 200}
    assert len(numbers) == 1
    assert Rating.objects.count() == 1
    assert Case.objects.filter(channel=CaseChannel.RATING).count() == 1
    assert Rating.objects.get().case.number == numbers.pop()


def test_twenty_different_forms_and_the_default_at_once_make_one_rating(invitation):
    """Twenty page loads (twenty form keys) of one link and the default's step, at the
    same moment: the unique (case, round) keeps one, real or default."""

    def send(i):
        try:
            if i == 0:
                return "default" if defaults.give(invitation, Level.BASICALLY_SATISFIED) \
                    else "skipped"
            case_ratings.rate_case(invitation, {"level": 1}, token=f"{i:032x}")
            return "rated"
        except case_ratings.Closed:
            return "refused"
        except OperationalError:  # SQLite: the database was busy
            return "busy"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=21) as pool:
        outcomes = list(pool.map(send, range(21)))
    assert outcomes.count("rated") + outcomes.count("default") == 1, outcomes
    assert Rating.objects.count() == 1
    rating = Rating.objects.get()
    assert rating.is_default == (outcomes[0] == "default")
    invitation.refresh_from_db()
    assert invitation.rating == rating
