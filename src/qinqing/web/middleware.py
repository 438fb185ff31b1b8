"""The session idle timeout, without a database write on every request.

A signed-in session ends SESSION_COOKIE_AGE seconds (QINQING_SESSION_IDLE_MINUTES) after
its last request. Django's SESSION_SAVE_EVERY_REQUEST would do that by saving the session
on every request: one more write per page, for every user, all day. Instead the session
is saved (which moves its expiry and the cookie's on) at most once a minute: the timeout
is then the idle time give or take that minute.
"""

from __future__ import annotations

import time

SEEN = "_qinqing_seen"  # when the session's expiry was last moved on (epoch seconds)
REFRESH_SECONDS = 60


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session this request already loaded (no query just to look) and that
        # belongs to someone (an empty one is not saved at all).
        if session is None or not session.accessed or session.modified or session.is_empty():
            return response
        now = int(time.time())
        if now - session.get(SEEN, 0) >= REFRESH_SECONDS:
            session[SEEN] = now  # modified: SessionMiddleware saves it and renews the cookie
        return response


def mark_signed_in(sender, request, user, **kwargs):
    """At sign-in (user_logged_in): the session is saved then anyway."""
    if hasattr(request, "session"):
        request.session[SEEN] = int(time.time())
