"""Twenty identical ratings at once make one (issue 17: "a database constraint, not a
check before insert"), and a bad one makes one rectification case. Real transactions:
each thread commits on its own connection."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import OperationalError, connections
from django.test import Client

from qinqing.cases.models import Case
from qinqing.codes import services as code_services
from qinqing.org.models import Unit
from qinqing.ratings import services
from qinqing.ratings.models import Rating
from tests.ratings.conftest import BAD, WINDOW, form

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def code(demo_org, settings):
    settings.QINQING_RATINGS_PER_ADDRESS = 100
    return code_services.issue(Unit.objects.get(code=WINDOW), by=None)


def test_twenty_identical_bad_ratings_make_one_rating_and_one_case(code):
    data = form(**BAD)

    def send(_):
        try:
            return Client().post(f"/c/{code.token}", data)
        finally:
            connections.close_all()

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
            services.rate(code, {**BAD, "phone": "13800138000"}, token=uuid.uuid4().hex,
                          address="10.0.0.1", phone_verified=True)
            return "rated"
        except services.AlreadyRated:
            return "refused"
        except OperationalError:  # SQLite: the database was busy
            return "busy"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(send, range(20)))
    assert outcomes.count("rated") == 1, outcomes
    assert Rating.objects.count() == 1 and Case.objects.count() == 1
