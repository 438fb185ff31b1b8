"""Twenty identical ratings at once make one (issue 17: "a database constraint, not a
check before insert"), and a bad one makes one rectification case. Real transactions:
each thread commits on its own connection."""

from __future__ import annotations

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connections

from qinqing.cases.models import Case
from qinqing.codes import services as code_services
from qinqing.org.models import Unit
from qinqing.ratings import services
from qinqing.ratings.models import Rating
from tests.ratings.conftest import BAD, WINDOW, form

from tests.ratings.concurrency import post_until_served

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def code(demo_org, settings):
    settings.QINQING_RATINGS_PER_ADDRESS = 100
    return code_services.issue(Unit.objects.get(code=WINDOW), by=None)


def test_twenty_identical_bad_ratings_make_one_rating_and_one_case(code):
    data = form(**BAD)

    def send(_):
        return post_until_served(f"/c/{code.token}", data)

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(send, range(20)))
    statuses = {a.status_code for a in answers}
    assert statuses <= {200, 503}, statuses  # 503: a busy SQLite asked for a retry
    numbers = {re.search(r'data-testid="case-number">([^<]+)<', a.content.decode())[1]
               for a in answers if a.status_code == 200}
    assert len(numbers) == 1
    assert Rating.objects.count() == 1 and Case.objects.count() == 1
    assert Rating.objects.get().case.number == numbers.pop()


def test_twenty_forms_of_one_phone_at_once_make_one_rating(code):
    """One verified phone, twenty page loads (twenty form tokens), the same day: the
    unique (phone, object, day) decides; the refused ones leave no case behind."""

    def send(_):
        try:
            for attempt in range(20):
                try:
                    services.rate(code, {**BAD, "phone": "13800138000"},
                                  token=uuid.uuid4().hex, address="10.0.0.1",
                                  phone_verified=True)
                    return "rated"
                except services.AlreadyRated:
                    return "refused"
                except OperationalError:  # SQLite: the database was busy; again
                    time.sleep(0.05 * (attempt + 1))
            return "busy"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(send, range(20)))
    assert outcomes.count("rated") == 1, outcomes
    assert Rating.objects.count() == 1 and Case.objects.count() == 1


def test_ten_follow_ups_of_one_rating_at_once_make_one(code):
    """The rater sends the follow-up form ten times at once (a double click, a retry):
    one follow-up, one callback of the case; the case row's lock and the one-to-one
    `follow_up_of` decide."""
    from qinqing.cases import services as case_services
    from qinqing.cases.models import State
    from qinqing.org.models import Role, User
    from qinqing.org.services import ensure_staff
    from qinqing.portal.services import Refused
    from qinqing.ratings import followup
    from tests.ratings.conftest import HALL

    rated = services.rate(code, {**BAD}, token="a" * 32, address="10.0.0.1")
    number = rated.rating.case.number
    hall = Unit.objects.get(code=HALL)
    handler, _ = ensure_staff(username="hall-handler", full_name="孙丽", unit=hall,
                              role=Role.HANDLER, password="x")
    case_services.perform(number, "sign", handler)
    case_services.perform(number, "reply", handler, {"answer": "已整改。"})
    case_services.perform(number, "review", User.objects.get(username="dispatcher"))

    def send(level):
        try:
            followup.rate_again(number, {"level": level, "text": "仍未解决。"})
            return "rated"
        except Refused:
            return "refused"
        except OperationalError:
            return "busy"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(send, [1, 5] * 5))
    assert outcomes.count("rated") == 1, outcomes
    assert Rating.objects.filter(round=2).count() == 1
    case = Case.objects.get()
    assert case.state in (State.CLOSED, State.HANDLING)
    assert case.events.filter(action__in=["callback", "reopen"]).count() == 1
