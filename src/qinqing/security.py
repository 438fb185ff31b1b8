"""Who is asking, and how often: the client address and a per-address counter.

The client address is what the login lockout (django-axes, AXES_CLIENT_IP_CALLABLE) and the
tracking endpoint's limit count by. Behind QINQING_PROXY_COUNT proxies it is the entry the
outermost proxy appended to X-Forwarded-For (entries further left are whatever the client
sent, so they are never believed); without a proxy, REMOTE_ADDR.

The counter lives in Django's default cache (settings: the database unless
QINQING_CACHE_URL names Redis), so every gunicorn worker sees the same count.
"""

from __future__ import annotations

import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR") or ""
    count = getattr(settings, "QINQING_PROXY_COUNT", 0)
    if count > 0:
        chain = [part.strip() for part in
                 request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(chain) >= count and _is_address(chain[-count]):
            return chain[-count]
    return remote


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


class FailureWindow:
    """At most `limit` failures per address in a fixed window of `window` seconds.

    Fixed windows (the key names the window) need one cache key per address and expire by
    themselves; at a window's edge a client may get up to twice the limit in a short time,
    which still keeps guessing a query code hopeless.
    """

    def __init__(self, scope: str, limit: int, window: int):
        self.scope, self.limit, self.window = scope, limit, window

    def _key(self, address: str, now: float) -> str:
        return f"qinqing:{self.scope}:{int(now // self.window)}:{address}"

    def retry_after(self, address: str, now: float | None = None) -> int | None:
        """Seconds until this address may try again; None while it is under the limit."""
        now = time.time() if now is None else now
        if (cache.get(self._key(address, now)) or 0) < self.limit:
            return None
        return max(1, math.ceil(self.window - now % self.window))

    def fail(self, address: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        key = self._key(address, now)
        # add() then incr(): the first failure of a window creates the key with its expiry.
        cache.add(key, 0, timeout=self.window + 1)
        try:
            cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.set(key, 1, timeout=self.window + 1)
