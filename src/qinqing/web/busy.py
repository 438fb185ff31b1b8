"""A database too busy to take a write: 503 with Retry-After, never a 500.

SQLite lets one writer at a time; another waits up to its busy_timeout (5 s, see
qinqing/config.py) and then fails with "database is locked". PostgreSQL fails a write
that waited past a lock timeout, or lost a deadlock or a serializable conflict. In each
case the transaction rolled back and nothing was stored, so the right answer is "busy,
send it again": the API answers JSON (api/main.py `database_busy`), the pages answer with
`busy.html` through `BusyDatabaseMiddleware`. An intake sent again with its
Idempotency-Key (the API's header, the form's hidden key) registers the case once.
"""

from __future__ import annotations

import logging

from django.db import OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds: about one SQLite busy_timeout

_SQLITE_BUSY = ("database is locked", "database table is locked", "database schema is locked",
                "database is busy")
# PostgreSQL: lock_not_available (lock_timeout, NOWAIT), serialization_failure,
# deadlock_detected, and query_canceled (statement_timeout, while waiting on a lock).
_PG_BUSY = frozenset({"55P03", "40001", "40P01", "57014"})


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a database error means "busy, try again" rather than a fault."""
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(exc, "sqlstate", None)
    if sqlstate in _PG_BUSY:
        return True
    message = str(exc).lower()
    return any(text in message for text in _SQLITE_BUSY)


def busy_page(request) -> HttpResponse:
    """The friendly 503 page, in the product's look; a plain one if even that fails."""
    try:
        body = render_to_string("web/busy.html", {"retry_after": RETRY_AFTER}, request=request)
    except Exception:  # noqa: BLE001 - the page must answer whatever the database does
        log.exception("could not render the busy page")
        body = ("<!doctype html><meta charset='utf-8'><title>{0}</title><h1>{0}</h1>"
                "<p>{1}</p>").format(_("The system is busy"), _(
                    "Nothing was saved. Go back and send the form again in a few seconds."))
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class BusyDatabaseMiddleware:
    """A page whose view failed on a busy database answers 503 with the busy page. The
    API answers for itself (JSON); this only serves pages, whose views raise to here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_lock_timeout(exception) or request.path.startswith("/api/"):
            return None
        log.warning("database busy on %s %s: %s", request.method, request.path, exception)
        return busy_page(request)
