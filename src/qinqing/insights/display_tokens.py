"""Lobby display tokens: issue, revoke (writes, one transaction each) and check."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from qinqing.insights.dashboard_models import DisplayToken

HEADER = "HTTP_X_DISPLAY_TOKEN"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_display_token(name: str, region, actor) -> tuple[DisplayToken, str]:
    """A new token for one screen; the token itself is returned once and not kept."""
    token = secrets.token_urlsafe(32)
    row = DisplayToken.objects.create(name=name, region=region, token_hash=_digest(token),
                                      created_by=actor)
    return row, token


@transaction.atomic
def revoke_display_tokens(ids) -> int:
    """Revoke tokens (a screen using one stops getting figures at its next refresh)."""
    return DisplayToken.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


def token_of(request) -> DisplayToken | None:
    """The active display token the request carries in its X-Display-Token header."""
    raw = request.META.get(HEADER, "")
    if not raw or len(raw) > 200:
        return None
    return (DisplayToken.objects.select_related("region")
            .filter(token_hash=_digest(raw), revoked_at__isnull=True).first())
