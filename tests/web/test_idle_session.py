"""The session idle timeout (QINQING_SESSION_IDLE_MINUTES, web.middleware)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db


def signed_in(client) -> bool:
    answer = client.get("/")
    return answer.status_code == 200


def session_writes(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return sum(1 for q in queries.captured_queries
               if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(
                   ("UPDATE", "INSERT")))


def test_the_default_is_thirty_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_idle_sessions_end_and_active_ones_go_on(client, demo_org, settings):
    from qinqing.org.models import User

    settings.SESSION_COOKIE_AGE = 30 * 60
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(User.objects.get(username="dispatcher"))
        # Busy: a request every 20 minutes keeps the session for an hour and more.
        for _ in range(4):
            traveller.shift(timedelta(minutes=20))
            assert signed_in(client)
        # Idle for 31 minutes: gone.
        traveller.shift(timedelta(minutes=31))
        assert not signed_in(client)


def test_the_session_is_written_at_most_once_a_minute(client, demo_org):
    from qinqing.org.models import User

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client.force_login(User.objects.get(username="dispatcher"))
        assert session_writes(client) == 0  # signing in just saved it
        traveller.shift(timedelta(seconds=30))
        assert session_writes(client) == 0
        traveller.shift(timedelta(seconds=31))
        assert session_writes(client) == 1
        assert session_writes(client) == 0
