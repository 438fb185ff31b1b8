"""Errors a case operation can end with. Each has a stable code and an HTTP status.

Services raise these; the API turns them into JSON, pages into messages. Messages are
translated in the caller's language.
"""

from __future__ import annotations


class CaseError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.fields = {k: str(v) for k, v in (fields or {}).items()}


class InvalidInput(CaseError):
    status = 422
    code = "invalid"


class NotAllowedInState(CaseError):
    status = 409
    code = "state_conflict"


class Forbidden(CaseError):
    status = 403
    code = "forbidden"


class NotFound(CaseError):
    status = 404
    code = "not_found"


class RateLimited(CaseError):
    """Too many tries from one client address; `retry_after` seconds until the next."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
