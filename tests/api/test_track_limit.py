"""The public tracking endpoint limits wrong tries per client address (issue 13 §2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.QINQING_TRACK_LIMIT = LIMIT
    settings.QINQING_TRACK_WINDOW = 600
    settings.QINQING_PROXY_COUNT = 0


def track(number, code, address="203.0.113.7", **headers):
    return Client(REMOTE_ADDR=address).get(f"/api/v1/track/{number}", {"code": code},
                                           headers=headers)


def test_settings_use_a_cache_every_worker_shares(settings):
    # locmem would give each gunicorn worker its own count, multiplying the limit.
    assert settings.CACHES["default"]["BACKEND"] in (
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache")


def test_wrong_tries_then_429_with_retry_after(new_case):
    case, code = new_case()
    answers = [track(case.number, "WRONG1"), track("QQ-2099-999999", code),
               track(case.number, "WRONG2")]
    # Unknown number and wrong code answer identically, byte for byte.
    assert {(a.status_code, a.content) for a in answers} == {(404, answers[0].content)}
    assert all("Retry-After" not in a for a in answers)
    # Past the limit even the right code waits: a 429 says nothing about the guess.
    for number, given in ((case.number, "WRONG3"), (case.number, code)):
        limited = track(number, given)
        assert limited.status_code == 429, limited.content
        body = limited.json()
        assert set(body) == {"code", "message", "fields"}
        assert body["code"] == "too_many_requests" and body["message"].strip()
        assert 1 <= int(limited["Retry-After"]) <= 600
    # Another address is not held up.
    assert track(case.number, code, address="198.51.100.20").status_code == 200


def test_right_codes_are_not_counted(new_case):
    case, code = new_case()
    for _ in range(LIMIT + 2):
        assert track(case.number, code).status_code == 200


def test_the_limit_ends_with_its_window(new_case):
    case, code = new_case()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(LIMIT):
            assert track(case.number, "WRONG1").status_code == 404
        limited = track(case.number, code)
        assert limited.status_code == 429
        traveller.shift(timedelta(seconds=int(limited["Retry-After"]) + 1))
        assert track(case.number, code).status_code == 200


def test_behind_a_proxy_the_client_cannot_pick_its_address(settings, new_case):
    settings.QINQING_PROXY_COUNT = 1  # nginx appends the address it saw
    case, code = new_case()
    for n in range(LIMIT):
        # A made-up address on the left of X-Forwarded-For changes nothing.
        answer = track(case.number, "WRONG1", address="127.0.0.1",
                       x_forwarded_for=f"10.9.9.{n}, 203.0.113.7")
        assert answer.status_code == 404
    assert track(case.number, code, address="127.0.0.1",
                 x_forwarded_for="10.1.1.1, 203.0.113.7").status_code == 429
    # Another client behind the same proxy is counted apart.
    assert track(case.number, code, address="127.0.0.1",
                 x_forwarded_for="198.51.100.20").status_code == 200
