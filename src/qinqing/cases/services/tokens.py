"""API tokens of integration accounts: issue and revoke."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import ApiToken
from qinqing.org.models import User


def issue_token(user: User, *, days: int | None = None, now: datetime | None = None) -> str:
    """Create an API token for an integration account; only its hash is kept.

    It is valid for `days` (default QINQING_TOKEN_DAYS) from now.
    """
    now = now or timezone.now()
    days = settings.QINQING_TOKEN_DAYS if days is None else days
    if days < 1:
        raise InvalidInput(_("A token is valid for at least one day."))
    key = f"qq_{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:8],
                            expires_at=now + timedelta(days=days))
    return key


def revoke_tokens(ids, actor: User | None = None, *, now: datetime | None = None) -> int:
    """Revoke API tokens by id; returns how many were active. Already revoked ones are
    left as they were (their first revocation stays on record).

    Each token is saved (not a bulk update) so its post_save signal empties the API's
    token cache at once in this process (api/main.py); other processes stop accepting
    it within QINQING_TOKEN_TTL seconds.
    """
    now = now or timezone.now()
    with transaction.atomic():
        tokens = list(ApiToken.objects.select_for_update()
                      .filter(pk__in=list(ids), is_active=True).order_by("pk"))
        for token in tokens:
            token.is_active, token.revoked_at, token.revoked_by = False, now, actor
            token.save(update_fields=["is_active", "revoked_at", "revoked_by"])
    return len(tokens)
