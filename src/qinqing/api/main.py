"""The HTTP API at /api/v1: mounts each app's router; one place for auth and error shape.

Authentication: `Authorization: Bearer <token>` (tokens from `qinqing token USERNAME`)
for integrations, or the web session (with CSRF) for pages. Every error is JSON:
{"code": stable identifier, "message": text in the caller's language, "fields": {...}}.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import DataError, OperationalError
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from qinqing.api.inputs import JsonOnlyParser, UnsupportedMediaType
from qinqing.api.openapi import with_shared_errors
from qinqing.cases.api import public_router, router as cases_router
from qinqing.cases.errors import CaseError
from qinqing.cases.queries import token_user
from qinqing.cases.schemas import field_message
from qinqing.cases.models import ApiToken
from qinqing.insights.api import router as insights_router
from qinqing.org.models import Unit, User
from qinqing.refdata import ProcessCache
from qinqing.web.busy import RETRY_AFTER, is_lock_timeout


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
        user = _tokens.get(key_hash, lambda: token_user(token))  # a copy, unit included
        if user is None:
            return None
        # Checked on every request against the cached expiry: exact, and no query.
        if timezone.now() >= user.api_token_expires_at:
            raise TokenExpired
        request.user = user
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


class QinqingAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        return with_shared_errors(super().get_openapi_schema(*args, **kwargs))


api = QinqingAPI(
    title="Qinqing API", version="1", urls_namespace="api_v1",
    description="Cases of the business-environment supervision platform.",
    auth=[TokenAuth(), StaffSession()], parser=JsonOnlyParser(),
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


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    fields = {}
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        name = ".".join(loc) or "body"
        fields[name] = field_message(err, name)
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
    # ninja turns any error of the body parser into a 400 "Cannot parse request body"
    # (raised from the parser's error): a parser error that has its own status keeps it.
    for error in (exc, exc.__cause__):
        if isinstance(error, UnsupportedMediaType):
            return _error(request, 415, "unsupported_media_type", str(error))
    return _error(request, exc.status_code, "http_error", str(exc))


# ------------------------------------------- input limits and a busy database (issue 13)
# Separate from the auth code above: these handlers only shape errors.

@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    # Django refuses a body above DATA_UPLOAD_MAX_MEMORY_SIZE when ninja reads it; without
    # this handler that was Django's HTML 400 page. Uploads have their own limit, checked
    # before the body is read (qinqing.web.limits).
    return _error(request, 413, "too_large", _(
        "The request body is too large (at most %(mb)s MB).") % {
            "mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2 ** 20, 1)})


@api.exception_handler(OperationalError)
def database_busy(request, exc: OperationalError):
    """SQLite's "database is locked" after busy_timeout, PostgreSQL's lock timeout,
    deadlock or serialization failure: the write was rolled back, nothing was stored. A
    503 with Retry-After tells the client to send the same request again (an intake with
    its Idempotency-Key registers the case once). Any other OperationalError stays a 500."""
    if not is_lock_timeout(exc):
        raise exc
    response = _error(request, 503, "busy", _(
        "The system is busy and nothing was saved. Please send the same request again in a "
        "few seconds."))
    response["Retry-After"] = str(RETRY_AFTER)
    return response
