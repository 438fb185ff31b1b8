"""The one settings module. Every knob comes from the environment.

Environment variables:
  DATABASE_URL             database; default an SQLite file in the data folder (WAL mode)
  QINQING_PG_PREPARED      PostgreSQL: server-side binding and prepared statements; default 1
  QINQING_DATA_DIR         data folder (SQLite file, generated keys, uploads); default ./var
  QINQING_ENV              production or development (default); production refuses to
                           start without the keys and QINQING_ALLOWED_HOSTS and turns on
                           the HTTPS settings (see the production block; docs/deploy.md)
  QINQING_HSTS_SECONDS, QINQING_HSTS_INCLUDE_SUBDOMAINS, QINQING_HSTS_PRELOAD,
  QINQING_SSL_REDIRECT, QINQING_SECURE_COOKIES, QINQING_PROXY_SSL_HEADER,
  QINQING_PROXY_COUNT, QINQING_CSRF_TRUSTED_ORIGINS, QINQING_CSP_REPORT_URI,
  QINQING_SESSION_IDLE_MINUTES, QINQING_LOGIN_FAILURE_LIMIT, QINQING_LOGIN_COOLOFF_MINUTES,
  QINQING_LOGIN_LOCKOUT, QINQING_TRACK_LIMIT, QINQING_TRACK_WINDOW, QINQING_CACHE_URL
                           web security, sign-in lockout, the tracking limit, the cache:
                           the production block below and deploy/qinqing.env.example
  SECRET_KEY / QINQING_SECRET_KEY
                           Django's secret; outside production, when unset, one is generated
                           once into the data folder and a loud line says so
  QINQING_DEBUG            "1" for Django's debug mode
  QINQING_ALLOWED_HOSTS    comma-separated host names; default 127.0.0.1,localhost
  QINQING_OFFICE_HOURS     office periods of a working day; default 09:00-12:00,13:30-17:30
  QINQING_REFDATA_TTL, QINQING_TOKEN_TTL
                           seconds another process may use cached master data or an API
                           token after it was edited or revoked; default 5, 0 = no cache
  QINQING_SMS_BACKEND      file (default: sms-outbox.jsonl in the data folder), console,
                           http (the gateway below) or a dotted class path
  QINQING_SMS_GATEWAY_URL, QINQING_SMS_GATEWAY_TOKEN, QINQING_SMS_TIMEOUT
                           the HTTP SMS gateway: URL, bearer token, seconds (default 10)
  QINQING_SMS_MAX_ATTEMPTS attempts before a message is recorded as failed; default 8
  QINQING_SMS_FULL_NUMBERS "1": the file and console backends write whole phone numbers
                           (local debugging); default masked (138****5678); refused
                           when QINQING_ENV=production
  QINQING_TOKEN_DAYS       days an API token is valid from its issue; default 90
  QINQING_TICK_SECONDS     how often the worker's periodic tick runs (the escalation
                           ladder, SMS delivery); default 60
  QINQING_WORKER_LEASE     seconds without a heartbeat after which a worker counts as dead
                           and its running job is run again; default 60
  QINQING_LADDER_BATCH     ladder steps one tick takes on per rung; default 2000
  QINQING_LADDER_JOB_SIZE  ladder steps per background job; default 50
  QINQING_SATISFIED_LEVELS callback results counted as satisfied; default
                           satisfied,basically_satisfied
  QINQING_RESPONSE_STAGE   the stage whose on-time stop is a response: sign (default) or
                           dispatch
  QINQING_RESOLUTION_BASE  resolution rate over rated callbacks (default) or all
  QINQING_HOT_TOPICS_TTL   seconds a process keeps the dashboard's hot topics; default 300
  QINQING_BULLETIN_ISSUER  issuing body in a bulletin's red header; default: <city>优化营商环境监督专线
  QINQING_RATING_INVITE_DELAY, QINQING_RATING_REINVITE_DAYS, QINQING_RATING_DEFAULT_DAYS,
  QINQING_RATING_DEFAULT_LEVEL
                           ratings of closed cases: hours from the close to the SMS
                           invitation (default 2), natural days to the one reminder (3)
                           and to the default rating (7), the default level (3 = 基本满意;
                           1-3 only): docs/ratings.md
  QINQING_PUBLIC_URL       the site's public address (https://host), printed in the QR codes
                           `qinqing codes sheet` makes; the pages use the request's own
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF

from django.core.exceptions import ImproperlyConfigured

from qinqing.config import (
    cache_long_statements, env_bool, env_int, env_list, env_seconds, https_origins, load_cache,
    load_database, load_env_name, load_keys, load_sms, lockout_parameters, proxy_ssl_header,
    sms_full_numbers,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("QINQING_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("QINQING_DEBUG", False)
ALLOWED_HOSTS = env_list("QINQING_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "qinqing.web",  # first, so its templates override the admin's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "qinqing.org",
    "qinqing.enterprises",  # the registry of enterprises (supervision codes, ledgers)
    "qinqing.worktime",
    "qinqing.cases",
    "qinqing.intake",
    "qinqing.open311",  # a channel: GeoReport v2 for third-party apps
    "qinqing.portal",  # the public side: tracking
    "qinqing.codes",  # supervision codes (监督码): /c/<token>
    "qinqing.ratings",  # 好差评: scan to rate on /c/<token>, bad rating -> rectification case
    "qinqing.supervision",
    "qinqing.notifications",
    "qinqing.background",
    "django_tasks",
    # django_tasks_db with a Chinese name in the admin (qinqing.background.apps).
    "qinqing.background.apps.TaskResultsConfig",
    "qinqing.oversight",
    "qinqing.insights",
    "qinqing.imports",  # above cases: loads a city's history through its services
    "qinqing.demo",  # `qinqing demo`: above every other app
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Before any view reads the body: an upload above the attachment limit is refused.
    "qinqing.web.limits.UploadLimitMiddleware",
    # A page whose write found the database busy answers 503, not 500 (web/busy.py).
    "qinqing.web.busy.BusyDatabaseMiddleware",
    # A value the database refuses (PostgreSQL: NUL in text) answers 400 (web/refused.py).
    "qinqing.web.refused.RefusedValueMiddleware",
]

ROOT_URLCONF = "qinqing.urls"
WSGI_APPLICATION = "qinqing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qinqing.worktime.context_processors.calendar_warnings",
                "qinqing.web.context_processors.navigation",
                "qinqing.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

try:
    DATABASES = {"default": load_database(os.environ.get("DATABASE_URL"), DATA_DIR)}
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    cache_long_statements()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The figures' fact table declares covering indexes (INCLUDE columns) for PostgreSQL;
# SQLite builds the same indexes without them, which is all this warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Chinese first, English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request without it
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Personal data of reporters (domain.md §5a). QINQING_FIELD_KEYS: comma-separated Fernet
# keys, newest first (older ones still decrypt until `qinqing rotate-keys` re-encrypts).
# QINQING_INDEX_KEY: the key of the phone-number hash. Both, like SECRET_KEY, are read in the
# production block below.

# How long another process may go on using master data (categories, units, policies, the
# calendar) or an API token after an edit; the process making the edit sees it at once.
# 0 turns the cache off. See qinqing/refdata.py.
try:
    QINQING_REFDATA_TTL = env_seconds("QINQING_REFDATA_TTL", 5)
    QINQING_TOKEN_TTL = env_seconds("QINQING_TOKEN_TTL", 5)
    # Days an API token is valid from its issue (`qinqing token`); then it answers 401.
    QINQING_TOKEN_DAYS = env_int("QINQING_TOKEN_DAYS", 90, 1, 3650)
    # The dashboard's hot topics (insights/hot_topics.py): segmenting a month of cases
    # takes a while, and a topic list a few minutes old is still the same list.
    QINQING_HOT_TOPICS_TTL = env_seconds("QINQING_HOT_TOPICS_TTL", 300)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# Published bulletins (qinqing.insights, issue 14 §3): the issuing body printed in the
# red header of every bulletin (e.g. 示范市优化营商环境监督专线). Empty: the top region's
# name followed by 优化营商环境监督专线.
QINQING_BULLETIN_ISSUER = os.environ.get("QINQING_BULLETIN_ISSUER", "").strip()

# The public address printed in supervision codes made from the command line (qinqing.codes;
# `qinqing codes sheet --base-url` overrides it). Empty: the command asks for --base-url.
QINQING_PUBLIC_URL = os.environ.get("QINQING_PUBLIC_URL", "").strip()

# SMS (qinqing.notifications.sms). Every message is recorded and sent by
# notifications.services.deliver_due; a failed send is retried after 1, 2, 4, … minutes
# (at most QINQING_SMS_BACKOFF_CAP apart) until QINQING_SMS_MAX_ATTEMPTS, then "failed".
try:
    _sms = load_sms()
    QINQING_SMS_FULL_NUMBERS = sms_full_numbers()
    QINQING_SMS_MAX_ATTEMPTS = env_int("QINQING_SMS_MAX_ATTEMPTS", 8, 1, 100)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
QINQING_SMS_BACKEND = _sms["backend"]
QINQING_SMS_GATEWAY_URL = _sms["url"]
QINQING_SMS_GATEWAY_TOKEN = _sms["token"]
QINQING_SMS_TIMEOUT = _sms["timeout"]
QINQING_SMS_OUTBOX = DATA_DIR / "sms-outbox.jsonl"
QINQING_SMS_BACKOFF_BASE = 60  # seconds before the first retry
QINQING_SMS_BACKOFF_CAP = 3600  # longest wait between two attempts
QINQING_SMS_BATCH = 100  # messages one deliver_due call claims

# Background work (qinqing.background): Django's task API (the django-tasks backport) with
# its database backend, run by `qinqing worker`, which also runs the periodic tick.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
try:
    QINQING_TICK_SECONDS = env_int("QINQING_TICK_SECONDS", 60, 1, 3600)
    QINQING_WORKER_LEASE = env_int("QINQING_WORKER_LEASE", 60, 2, 3600)
    QINQING_LADDER_BATCH = env_int("QINQING_LADDER_BATCH", 2000, 1, 100_000)
    QINQING_LADDER_JOB_SIZE = env_int("QINQING_LADDER_JOB_SIZE", 50, 1, 1000)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# A job whose worker died this many times is failed instead of run again (a job that
# kills its worker every time must not take the pool down for ever).
QINQING_TASK_MAX_CRASHES = 3
# Finished job records are kept this many days, then pruned by the tick.
QINQING_TASK_RESULT_DAYS = 7

# ---- Text limits and error pages (issue 14 §3). The one length setting; every other
# limit on what a person types is a constant in qinqing/limits.py, which forms, API
# schemas and services read. QINQING_CONTENT_MAX_CHARS bounds the long texts: what the caller says, an answer,
# a unit's result, an inspection summary. Checked on the server, never by the browser's
# maxlength (which cut pastes silently).
try:
    QINQING_CONTENT_MAX_CHARS = env_int("QINQING_CONTENT_MAX_CHARS", 5000, 200, 100_000)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
# A refused form (CSRF) gets a page in the product's look that says nothing was saved
# (the 400/403/404/500 pages are the templates of those names in qinqing/web).
CSRF_FAILURE_VIEW = "qinqing.web.views.csrf_failure"
# ---- end of text limits and error pages

# Largest accepted attachment.
QINQING_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

# Working time: the office periods of a working day (see qinqing.worktime).
QINQING_OFFICE_HOURS = os.environ.get("QINQING_OFFICE_HOURS", "09:00-12:00,13:30-17:30")

# Figures (qinqing.insights.metrics): how the configurable rates are defined (domain.md
# §10: no national formula exists for Beijing's three rates, so each is set here once).
QINQING_SATISFIED_LEVELS = tuple(env_list("QINQING_SATISFIED_LEVELS",
                                          ["satisfied", "basically_satisfied"]))
QINQING_RESPONSE_STAGE = os.environ.get("QINQING_RESPONSE_STAGE", "sign").strip()
QINQING_RESOLUTION_BASE = os.environ.get("QINQING_RESOLUTION_BASE", "rated").strip()
if not QINQING_SATISFIED_LEVELS or set(QINQING_SATISFIED_LEVELS) - {
        "satisfied", "basically_satisfied", "dissatisfied"}:
    raise ImproperlyConfigured(
        "QINQING_SATISFIED_LEVELS: give callback results separated by commas, from "
        "satisfied, basically_satisfied, dissatisfied")
if QINQING_RESPONSE_STAGE not in ("sign", "dispatch"):
    raise ImproperlyConfigured("QINQING_RESPONSE_STAGE: sign or dispatch")
if QINQING_RESOLUTION_BASE not in ("rated", "all"):
    raise ImproperlyConfigured("QINQING_RESOLUTION_BASE: rated or all")

# ==========================================================================================
# Production mode and web security (issue 13 §2). One block, every variable documented in
# docs/deploy.md and deploy/qinqing.env.example. QINQING_ENV=production refuses to start
# without the keys and QINQING_ALLOWED_HOSTS (one line naming them) and defaults every HTTPS
# setting to what `qinqing check --deploy` asks for; outside production the same settings
# default to plain HTTP so `make run` works on a laptop.
try:
    QINQING_ENV = load_env_name()
    PRODUCTION = QINQING_ENV == "production"
    _keys = load_keys(DATA_DIR, PRODUCTION)

    # HTTPS, behind a proxy (nginx) that terminates TLS and says so in a header.
    SECURE_HSTS_SECONDS = env_int("QINQING_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0,
                                  0, 63_072_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("QINQING_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
    SECURE_HSTS_PRELOAD = env_bool("QINQING_HSTS_PRELOAD", PRODUCTION)
    SECURE_SSL_REDIRECT = env_bool("QINQING_SSL_REDIRECT", PRODUCTION)
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("QINQING_SECURE_COOKIES", PRODUCTION)
    SECURE_PROXY_SSL_HEADER = proxy_ssl_header(
        os.environ.get("QINQING_PROXY_SSL_HEADER", "X-Forwarded-Proto" if PRODUCTION else ""))
    # How many proxies in front append to X-Forwarded-For: the client address (login
    # lockout, the tracking limit) is the entry the outermost of them wrote. 0: REMOTE_ADDR.
    QINQING_PROXY_COUNT = env_int("QINQING_PROXY_COUNT", 1 if PRODUCTION else 0, 0, 5)
    CSRF_TRUSTED_ORIGINS = env_list("QINQING_CSRF_TRUSTED_ORIGINS",
                                    https_origins(ALLOWED_HOSTS) if PRODUCTION else [])

    # Idle timeout: the session ends this long after the last request (give or take a
    # minute: web.middleware.IdleSessionMiddleware moves the expiry on at most once a minute
    # rather than saving the session on every request, as SESSION_SAVE_EVERY_REQUEST would).
    SESSION_COOKIE_AGE = 60 * env_int("QINQING_SESSION_IDLE_MINUTES", 30, 5, 24 * 60)

    # Sign-in throttling (django-axes), for the workbench's sign-in and the admin's: after
    # QINQING_LOGIN_FAILURE_LIMIT failures the pair (user name, client address) is locked
    # for QINQING_LOGIN_COOLOFF_MINUTES. By the pair, so an office behind one address is not
    # locked out by one colleague, and nobody can lock a user out from elsewhere.
    AXES_FAILURE_LIMIT = env_int("QINQING_LOGIN_FAILURE_LIMIT", 5, 1, 100)
    AXES_COOLOFF_TIME = timedelta(minutes=env_int("QINQING_LOGIN_COOLOFF_MINUTES", 15, 1,
                                                  7 * 24 * 60))
    AXES_LOCKOUT_PARAMETERS = lockout_parameters(
        os.environ.get("QINQING_LOGIN_LOCKOUT", "username+ip_address"))

    # The public tracking endpoint: QINQING_TRACK_LIMIT wrong tries (unknown number or wrong
    # query code) per client address per QINQING_TRACK_WINDOW seconds, then 429.
    QINQING_TRACK_LIMIT = env_int("QINQING_TRACK_LIMIT", 10, 1, 10_000)
    QINQING_TRACK_WINDOW = env_int("QINQING_TRACK_WINDOW", 900, 10, 86_400)
    # The public portal's abuse limits (qinqing.portal.services): SMS codes per phone and
    # per client address per hour; matters per address per hour and per phone per day.
    QINQING_PORTAL_CODES_PER_PHONE = env_int("QINQING_PORTAL_CODES_PER_PHONE", 5, 1, 1000)
    QINQING_PORTAL_CODES_PER_ADDRESS = env_int("QINQING_PORTAL_CODES_PER_ADDRESS", 20, 1, 10_000)
    QINQING_PORTAL_SUBMISSIONS_PER_ADDRESS = env_int(
        "QINQING_PORTAL_SUBMISSIONS_PER_ADDRESS", 10, 1, 10_000)
    QINQING_PORTAL_SUBMISSIONS_PER_PHONE = env_int(
        "QINQING_PORTAL_SUBMISSIONS_PER_PHONE", 5, 1, 1000)
    # Files a person may send with a matter (qinqing.portal.forms): how many, how large
    # each, and all together. The total stays within QINQING_MAX_ATTACHMENT_BYTES: a larger
    # request body is refused before it is read (web.limits, and nginx's client_max_body_size),
    # and the typed form would be lost with it. 0 files: the form asks for none.
    QINQING_PORTAL_MAX_FILES = env_int("QINQING_PORTAL_MAX_FILES", 3, 0, 10)
    QINQING_PORTAL_MAX_FILE_BYTES = env_int("QINQING_PORTAL_MAX_FILE_BYTES", 5 * 1024 * 1024,
                                            1024, QINQING_MAX_ATTACHMENT_BYTES)
    QINQING_PORTAL_MAX_TOTAL_BYTES = env_int("QINQING_PORTAL_MAX_TOTAL_BYTES",
                                             QINQING_MAX_ATTACHMENT_BYTES, 1024,
                                             QINQING_MAX_ATTACHMENT_BYTES)
    # Ratings by scan (qinqing.ratings): ratings per client address per hour and per
    # phone per day; the limit of a bad rating's rectification case (a time limit as the
    # policies write them: 5d = five working days; local rules use 5, 7 or 15); the
    # category rectification cases are filed under.
    QINQING_RATINGS_PER_ADDRESS = env_int("QINQING_RATINGS_PER_ADDRESS", 30, 1, 10_000)
    QINQING_RATINGS_PER_PHONE = env_int("QINQING_RATINGS_PER_PHONE", 10, 1, 1000)
    QINQING_RECTIFICATION_LIMIT = os.environ.get("QINQING_RECTIFICATION_LIMIT", "5d")
    QINQING_RATING_CATEGORY = os.environ.get("QINQING_RATING_CATEGORY", "SPFW")
    # Ratings of closed cases (qinqing.ratings.invitations, .defaults): the SMS invitation
    # goes this many hours after the close (moved out of the night), once more this many
    # natural days after it if not rated; after QINQING_RATING_DEFAULT_DAYS natural days
    # the case gets QINQING_RATING_DEFAULT_LEVEL (1-3: never a bad default), counted apart.
    QINQING_RATING_INVITE_DELAY = env_int("QINQING_RATING_INVITE_DELAY", 2, 0, 72)
    QINQING_RATING_REINVITE_DAYS = env_int("QINQING_RATING_REINVITE_DAYS", 3, 1, 30)
    QINQING_RATING_DEFAULT_DAYS = env_int("QINQING_RATING_DEFAULT_DAYS", 7, 1, 60)
    QINQING_RATING_DEFAULT_LEVEL = env_int("QINQING_RATING_DEFAULT_LEVEL", 3, 1, 3)
    # How long, in working days after the answer leaves the unit, the person may judge it
    # on the tracking page (dissatisfied reopens the case); then the callback agents call.
    QINQING_ONLINE_RATING_DAYS = env_int("QINQING_ONLINE_RATING_DAYS", 5, 1, 60)

    # The cache the counters above live in; it must be shared by every gunicorn worker, so
    # the default is the database (table qinqing_cache, made by `qinqing migrate`), which
    # needs no other service. QINQING_CACHE_URL=redis://… uses Redis (the "redis" extra: pip install -e ".[redis]").
    CACHES = {"default": load_cache(os.environ.get("QINQING_CACHE_URL"))}
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

SECRET_KEY = _keys["secret_key"]
QINQING_FIELD_KEYS = _keys["field_keys"]
QINQING_INDEX_KEY = _keys["index_key"]

INSTALLED_APPS += ["csp", "axes"]
# CSP next to SecurityMiddleware; axes last, as its documentation asks.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
                  "qinqing.web.middleware.IdleSessionMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in
    "django.contrib.auth.backends.ModelBackend",
]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "qinqing.security.client_address"
AXES_LOCKOUT_CALLABLE = "qinqing.web.views.locked_out"

# Content-Security-Policy (django-csp 4), the same policy in and out of production so the
# browser tests exercise it: scripts and styles only from our own static files (no inline
# script or style anywhere; htmx's own indicator style is turned off in web/base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"report-uri": [os.environ["QINQING_CSP_REPORT_URI"]]}
           if os.environ.get("QINQING_CSP_REPORT_URI") else {}),
    },
}
# ==========================================================================================

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
