"""Sending a form as a person would when the server is busy, for the concurrency tests."""

from __future__ import annotations

import time

from django.db import connections
from django.test import Client


def post_until_served(url: str, data: dict, tries: int = 20):
    """POST `data` to `url`; on 503 (a busy SQLite asks for a retry) send it again, as the
    person would (on a loaded machine every first try can be refused). The thread's
    connections are closed at the end."""
    try:
        for attempt in range(tries):
            answer = Client().post(url, data)
            if answer.status_code != 503:
                return answer
            time.sleep(0.05 * (attempt + 1))
        return answer
    finally:
        connections.close_all()
