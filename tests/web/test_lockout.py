"""Sign-in throttling (django-axes): the workbench's sign-in and the admin's (issue 13 §2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

LIMIT = 3
PASSWORD = "qinqing-demo"


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def sign_in(url, username, password, address="203.0.113.7"):
    return Client(REMOTE_ADDR=address).post(url, {"username": username, "password": password})


@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_locked_after_the_limit_even_with_the_right_password(demo_org, url):
    for _ in range(LIMIT - 1):
        answer = sign_in(url, "admin", "wrong")
        assert answer.status_code == 200  # the form again, with its error
    locked = sign_in(url, "admin", "wrong")
    assert locked.status_code == 429
    locked = sign_in(url, "admin", PASSWORD)
    assert locked.status_code == 429 and "_auth_user_id" not in locked.client.session
    page = locked.content.decode()
    # In Chinese, in the product's look (the workbench's header), with the wait.
    assert 'data-testid="locked-out"' in page and 'class="top"' in page
    assert "登录已锁定" in page and "15 分钟后再试" in page and "3 次" in page
    assert locked["Retry-After"] == "900"
    # Another user name from the same office address is not locked: its wrong password
    # gets the form again, not the lock.
    assert sign_in(url, "dispatcher", "wrong").status_code == 200


def test_the_lock_ends_after_the_cool_off(demo_org):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(LIMIT):
            sign_in("/login/", "admin", "wrong")
        assert sign_in("/login/", "admin", PASSWORD).status_code == 429
        traveller.shift(timedelta(minutes=16))
        assert sign_in("/login/", "admin", PASSWORD).status_code == 302


def test_a_success_clears_the_failures(demo_org):
    for _ in range(LIMIT - 1):
        sign_in("/login/", "admin", "wrong")
    assert sign_in("/login/", "admin", PASSWORD).status_code == 302
    for _ in range(LIMIT - 1):
        assert sign_in("/login/", "admin", "wrong").status_code == 200
    assert sign_in("/login/", "admin", PASSWORD).status_code == 302
