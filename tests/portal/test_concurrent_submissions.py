"""Twenty identical submissions at once (a double click, a network retry, a stuck button
pressed again and again) make one case: the form's key is the intake's idempotency key,
and the database's unique intake key decides, not a check before the insert."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from qinqing.cases.models import Case
from qinqing.portal.models import Submission
from tests.portal.test_submit import matter

# Real transactions: each thread's request commits on its own connection. serialized_
# rollback puts back the rows the migrations load, which the flush after the test removes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_twenty_identical_submissions_make_one_case(demo_org, settings):
    settings.QINQING_PORTAL_SUBMISSIONS_PER_ADDRESS = 100
    form = matter(token=uuid.uuid4().hex)

    def submit(_):
        try:
            return Client().post("/submit/", form)
        finally:
            connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(submit, range(20)))
    statuses = {a.status_code for a in answers}
    assert statuses <= {200, 503}, statuses  # 503: a busy SQLite asked for a retry
    numbers = {re.search(r'data-testid="case-number">([^<]+)<', a.content.decode())[1]
               for a in answers if a.status_code == 200}
    assert len(numbers) == 1
    assert Case.objects.count() == 1 and Submission.objects.count() == 1
