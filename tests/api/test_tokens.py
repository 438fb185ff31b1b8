"""API tokens: expiry, revocation (service, admin, command line) and the list."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.http import HttpRequest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from qinqing import refdata
from qinqing.cases import services
from qinqing.cases.models import ApiToken

EXPIRED = "此 API 令牌已过期，请向管理员申请新令牌。"


@pytest.fixture(autouse=True)
def _token_cache_on(settings):
    settings.QINQING_TOKEN_TTL = 5  # production's default (tests/conftest.py turns it off)


def _issued(user, **kwargs) -> str:
    """A token issued and committed, as the API's token cache sees one made earlier (a
    test's own edits count as uncommitted and keep the cache from storing)."""
    key = services.issue_token(user, **kwargs)
    refdata.forget_all_pending_edits()
    return key


def _get(token: str):
    return Client().get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})


def test_a_token_is_valid_for_the_configured_days(users, settings):
    settings.QINQING_TOKEN_DAYS = 30
    before = timezone.now()
    services.issue_token(users["dispatcher"])
    token = ApiToken.objects.get(user=users["dispatcher"])
    assert timedelta(days=30) <= token.expires_at - before < timedelta(days=30, minutes=1)


def test_an_expired_token_answers_401_in_chinese(users):
    key = services.issue_token(users["dispatcher"], days=1,
                               now=timezone.now() - timedelta(days=2))
    response = _get(key)
    assert response.status_code == 401
    assert response.json() == {"code": "token_expired", "message": EXPIRED, "fields": {}}


def test_a_cached_token_expires_on_time(users):
    """The expiry is checked on each request, not only when the token is looked up."""
    key = _issued(users["dispatcher"], days=1)
    assert _get(key).status_code == 200  # cached now
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        response = _get(key)
    assert (response.status_code, response.json()["code"]) == (401, "token_expired")


def test_revocation_takes_effect_at_once_in_this_process(users):
    key = _issued(users["dispatcher"])
    assert _get(key).status_code == 200  # cached now
    token = ApiToken.objects.get(user=users["dispatcher"])
    assert services.revoke_tokens([token.pk], users["admin"]) == 1
    response = _get(key)
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    token.refresh_from_db()
    assert (token.is_active, token.revoked_by) == (False, users["admin"])
    assert token.revoked_at is not None
    # Revoking again changes nothing: the first revocation stays on record.
    first = token.revoked_at
    assert services.revoke_tokens([token.pk]) == 0
    token.refresh_from_db()
    assert (token.revoked_at, token.revoked_by) == (first, users["admin"])


def test_revocation_elsewhere_is_seen_within_the_ttl(users, monkeypatch):
    """A revocation by another process (`qinqing token --revoke`) sends no signal here:
    the cached token stays accepted for at most QINQING_TOKEN_TTL seconds."""
    now = [1000.0]
    monkeypatch.setattr(refdata, "clock", lambda: now[0])
    key = _issued(users["dispatcher"])
    assert _get(key).status_code == 200
    ApiToken.objects.filter(user=users["dispatcher"]).update(is_active=False)  # no signal
    now[0] += 4.9
    assert _get(key).status_code == 200
    now[0] += 0.2
    assert _get(key).status_code == 401


def test_the_command_issues_lists_and_revokes(users):
    out = StringIO()
    call_command("token", "dispatcher", stdout=out)
    key = out.getvalue().strip()
    assert key.startswith("qq_") and _get(key).status_code == 200
    call_command("token", "intake", "--days", "7", stdout=StringIO())
    token = ApiToken.objects.get(user=users["dispatcher"])

    out = StringIO()
    call_command("token", "--list", stdout=out)
    listed = out.getvalue()
    assert "dispatcher" in listed and "intake" in listed and key[:8] in listed
    assert key not in listed  # the list never shows a key
    out = StringIO()
    call_command("token", "--list", "intake", stdout=out)
    assert "dispatcher" not in out.getvalue() and "active" in out.getvalue()

    out = StringIO()
    call_command("token", "--revoke", str(token.pk), stdout=out)
    assert f"token {token.pk} revoked" in out.getvalue()
    assert _get(key).status_code == 401
    out = StringIO()
    call_command("token", "--list", "dispatcher", stdout=out)
    assert "revoked" in out.getvalue()
    with pytest.raises(CommandError, match="no API token with id"):
        call_command("token", "--revoke", "999999", stdout=StringIO())


def test_the_list_says_expired(users):
    services.issue_token(users["intake"], days=1, now=timezone.now() - timedelta(days=3))
    out = StringIO()
    call_command("token", "--list", "intake", stdout=out)
    assert out.getvalue().rstrip().endswith("expired")


def test_the_admin_lists_tokens_and_revokes_them(users):
    key = services.issue_token(users["dispatcher"])
    other = services.issue_token(users["intake"])
    token = ApiToken.objects.get(user=users["dispatcher"])
    client = Client()
    client.login(request=HttpRequest(), username="admin", password="qinqing-demo")
    page = client.get("/admin/cases/apitoken/").content.decode()
    assert str(users["dispatcher"]) in page and token.prefix in page and "过期时间" in page
    response = client.post("/admin/cases/apitoken/", {
        "action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert not token.is_active and token.revoked_by == users["admin"]
    assert _get(key).status_code == 401
    assert _get(other).status_code == 200
