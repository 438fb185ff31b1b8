"""Done-when of the public-side issue: 10,000 wrong query codes from one address find
nothing and are throttled, with the default limit and the right code slipped in past it.

Through the page (the test client posting /track/) a try costs ~7 ms of CPU here, 10,000
about 150 s on this shared machine: so the 10,000 go through `portal.services.track`,
the lookup and limit the page itself calls (nothing else decides), and every 100th of
them also through the page, which must answer 429 alike."""

from __future__ import annotations

import statistics
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qinqing.cases import services
from qinqing.portal import services as portal
from tests.portal.test_track import CALL

pytestmark = pytest.mark.django_db

TRIES = 10_000
ADDRESS = "203.0.113.7"
RIGHT_EVERY = 500  # past the limit, every 500th try sends the right code
PAGE_EVERY = 100  # and every 100th goes through the page instead
BATCH = 1000  # refused tries timed together


def test_ten_thousand_wrong_codes_from_one_address_find_nothing(users, settings):
    intake = services.create_case(users["intake"], CALL)
    number, code = intake.case.number, intake.query_code
    limit = settings.QINQING_TRACK_LIMIT  # the default: 10 wrong tries per 15 minutes
    client = Client(REMOTE_ADDR=ADDRESS)
    found, waits, pages, seconds = [], [], {}, []
    # One moment, so the 10,000 fall in one window of the limit. (A fixed window: the
    # next one lets another `limit` wrong tries through — 10 per 15 minutes, under 1,000
    # a day, against 2^54 codes.)
    with time_machine.travel(datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
                             tick=False):
        for i in range(TRIES):
            tried = code if i >= limit and i % RIGHT_EVERY == 0 else f"W{i:010d}"
            if i % PAGE_EVERY == PAGE_EVERY - 1:
                pages[i] = client.post("/track/", {"number": number, "code": tried})
                continue
            started = time.perf_counter()
            tracked = portal.track(number, tried, ADDRESS)
            seconds.append((i, time.perf_counter() - started))
            found.append(tracked.case)
            waits.append((i, tracked.wait))
        connection.queries_log.clear()  # full after 10,000 tries (it keeps 9,000)
        with CaptureQueriesContext(connection) as refused:
            late = portal.track(number, code, ADDRESS)
        refused_sql = [q["sql"] for q in refused]  # (a request clears the log)
        page = client.get(f"/track/{number}/")
        other = Client(REMOTE_ADDR="203.0.113.8").post("/track/", {"number": number,
                                                                    "code": code})
    assert len(found) + len(pages) == TRIES and found.count(None) == len(found)
    # The first `limit` wrong tries are answered "no such pair" (an unknown number
    # alike); every later one, the right pair included, waits.
    assert [i for i, wait in waits if wait is None] == list(range(limit))
    assert all(0 < wait <= settings.QINQING_TRACK_WINDOW for i, wait in waits[limit:])
    assert {answer.status_code for answer in pages.values()} == {429}
    assert all(int(answer["Retry-After"]) > 0 for answer in pages.values())
    assert late.case is None and late.wait
    assert page.status_code == 302 and page["Location"] == f"/track/?number={number}"
    assert "portal_tracked" not in client.session  # nothing was ever opened
    # A refused try reads the window's count, one statement, and no case.
    assert len(refused_sql) == 1 and "cases_case" not in refused_sql[0]
    # Flat: the last thousand refused tries are no slower than the first (medians).
    first = statistics.median(s for i, s in seconds if limit <= i < limit + BATCH)
    last = statistics.median(s for _i, s in seconds[-BATCH:])
    assert last < 2 * first + 0.001, (first, last)
    # Another address with the right pair is let in at once.
    assert other.status_code == 302 and other["Location"] == f"/track/{number}/"
