"""The HTTP API at /api/v1: mounts each app's router; one place for auth and error shape.

Authentication: `Authorization: Bearer <token>` (tokens from `qinqing token USERNAME`)
for integrations, or the web session (with CSRF) for pages. Every error is JSON:
{"code": stable identifier, "message": text in the caller's language, "fields": {...}}.
"""

from __future__ import annotations

import json

from django.db import DataError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from qinqing.cases.api import public_router, router as cases_router
from qinqing.cases.errors import CaseError
from qinqing.cases.models import ApiToken
from qinqing.insights.api import router as insights_router
from qinqing.org.models import Unit, User
from qinqing.refdata import ProcessCache


# Token hash -> its active user (with the unit and the token's expiry), per process, so
# an authenticated request costs no query. Emptied at once in this process when a token,
# a user or a unit is saved or deleted (a revoked token, a deactivated user, a new role or
# unit); another process (another web worker, or after `qinqing token --revoke`, every
# server) keeps accepting a revoked token for at most QINQING_TOKEN_TTL seconds (default
# 5; 0 turns the cache off). Expiry needs no edit: it is checked on each request. Only
# tokens that were accepted are kept, so guessing does not fill memory. A user's sign-in
# (which saves only last_login) does not empty it.
_tokens = ProcessCache("api_tokens", "QINQING_TOKEN_TTL")
_tokens.watch(ApiToken, User, Unit, ignore_fields=frozenset({"last_login"}))


class TokenExpired(Exception):
    """A valid token past its expiry: told apart from a wrong one, so the integration's
    owner knows to ask for a new token rather than to check the one they have."""


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        key_hash = ApiToken.hash_key(token)
        user = _tokens.get(key_hash, lambda: _active_user(key_hash))  # a copy, unit included
        if user is None:
            return None
        # Checked on every request against the cached expiry: exact, and no query.
        if timezone.now() >= user.api_token_expires_at:
            raise TokenExpired
        request.user = user
        return user


def _active_user(key_hash: str):
    row = (ApiToken.objects.select_related("user__unit")
           .filter(key_hash=key_hash, is_active=True).first())
    if row is None or not row.user.is_active:
        return None
    user = row.user
    user.api_token_expires_at = row.expires_at  # kept with the cached user
    return user


class StaffSession(SessionAuth):
    def authenticate(self, request: HttpRequest, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


class LocalSwagger(Swagger):
    """/api/v1/docs from our own static files. ninja is not an installed app here, so its
    Swagger page would load Swagger UI from a CDN, and be blank on a network without
    internet access (where the platform usually runs). The copy is vendored in
    web/static/web/vendor/ (see the README there)."""

    template = "api/docs.html"

    def render_page(self, request, api, **kwargs):
        from django.shortcuts import render

        from ninja.openapi.docs import _csrf_needed

        self.settings["url"] = self.get_openapi_url(api, kwargs)
        return render(request, self.template, {
            "swagger_settings": json.dumps(self.settings, indent=1), "api": api,
            "add_csrf": _csrf_needed(api)})


api = NinjaAPI(
    title="Qinqing API", version="1", urls_namespace="api_v1",
    description="Cases of the business-environment supervision platform.",
    auth=[TokenAuth(), StaffSession()],
    # No validator badge: it would call validator.swagger.io from the reader's browser.
    docs=LocalSwagger(settings={"validatorUrl": None}),
)
api.add_router("/", cases_router)
api.add_router("/", public_router)
api.add_router("/", insights_router)


def _error(request, status: int, code: str, message: str, fields=None):
    return api.create_response(request, {"code": code, "message": message,
                                         "fields": fields or {}}, status=status)


@api.exception_handler(CaseError)
def case_error(request, exc: CaseError):
    response = _error(request, exc.status, exc.code, exc.message, exc.fields)
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _field_message(err: dict) -> str:
    """pydantic's message for one field error, in the caller's language where we know it."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "string_too_long":
        return _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("At least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind == "enum":
        return _("Choose one of: %(values)s.") % {"values": ctx.get("expected", "")}
    if kind in ("int_parsing", "int_type", "bool_parsing", "bool_type", "string_type",
                "datetime_parsing", "datetime_from_date_parsing", "list_type", "dict_type",
                "model_attributes_type", "json_invalid"):
        return _("This value has the wrong type or format.")
    return err.get("msg", "")


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        fields[".".join(loc) or "body"] = _field_message(err)
    return _error(request, 422, "invalid", _("Some fields need correcting."), fields)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _error(request, 401, "unauthenticated", _("Sign in or give a valid API token."))


@api.exception_handler(TokenExpired)
def token_expired(request, exc):
    return _error(request, 401, "token_expired",
                  _("This API token has expired. Ask an administrator for a new one."))


@api.exception_handler(DataError)
def data_error(request, exc: DataError):
    # The database refused a value that passed validation (on PostgreSQL: text with a NUL
    # character). The service's transaction has rolled back; the request is at fault.
    return _error(request, 422, "invalid",
                  _("A value cannot be stored (for example, text with a NUL character)."))


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _error(request, exc.status_code, "http_error", str(exc))
