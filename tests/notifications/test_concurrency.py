"""Two workers delivering at once on PostgreSQL take disjoint messages (SKIP LOCKED)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from qinqing.notifications import services
from qinqing.notifications.models import SmsMessage
from tests.notifications.conftest import T0

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers; the row claim under concurrency is PostgreSQL's case",
    ),
    # Committed rows, like the other committing tests: serialized_rollback. A plain flush
    # re-creates the content types, and the next serialized_rollback test (the Open311
    # client's, the portal's concurrent submissions) then inserted them again: duplicate
    # key, found by CI on PostgreSQL 2026-12-07.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_workers_send_every_message_exactly_once():
    for i in range(300):
        services.queue_sms("13812345678", f"m{i}", f"batch:{i}", now=T0)
    sent, lock = [], threading.Lock()
    by_worker = {"w0": 0, "w1": 0}

    class Slow:
        def send(self, phone, text, event_key):
            time.sleep(0.002)  # lets the other worker claim while this one sends
            with lock:
                sent.append(event_key)
                by_worker[threading.current_thread().name] += 1

    def worker():
        try:
            while sum(services.deliver_due(now=T0, limit=7, backend=Slow()).values()):
                pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, name=f"w{i}") for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(sent) == 300 and len(set(sent)) == 300
    assert min(by_worker.values()) > 0, by_worker  # both really worked
    assert set(SmsMessage.objects.values_list("status", "attempts")) == {("sent", 1)}
