"""The HTTP API at /api/v1: mounts each app's router; one place for auth and error shape.

Authentication: `Authorization: Bearer <token>` (tokens from `qinqing token USERNAME`)
for integrations, or the web session (with CSRF) for pages. Every error is JSON:
{"code": stable identifier, "message": text in the caller's language, "fields": {...}}.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from qinqing.cases.api import public_router, router as cases_router
from qinqing.cases.errors import CaseError
from qinqing.cases.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        row = (ApiToken.objects.select_related("user__unit")
               .filter(key_hash=ApiToken.hash_key(token), is_active=True).first())
        if row is None or not row.user.is_active:
            return None
        request.user = row.user
        return row.user


class StaffSession(SessionAuth):
    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api = NinjaAPI(
    title="Qinqing API", version="1", urls_namespace="api_v1",
    description="Cases of the business-environment supervision platform.",
    auth=[TokenAuth(), StaffSession()],
)
api.add_router("/", cases_router)
api.add_router("/", public_router)


def _error(request, status: int, code: str, message: str, fields=None):
    return api.create_response(request, {"code": code, "message": message,
                                         "fields": fields or {}}, status=status)


@api.exception_handler(CaseError)
def case_error(request, exc: CaseError):
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        fields[".".join(loc) or "body"] = err.get("msg", "")
    return _error(request, 422, "invalid", _("Some fields need correcting."), fields)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _error(request, 401, "unauthenticated", _("Sign in or give a valid API token."))


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "http_error", str(exc))
