"""The one settings module. Every knob comes from the environment.

Environment variables:
  DATABASE_URL             database; default an SQLite file in the data folder (WAL mode)
  QINQING_PG_PREPARED      PostgreSQL: server-side binding and prepared statements; default 1
  QINQING_DATA_DIR         data folder (SQLite file, generated keys, uploads); default ./var
  SECRET_KEY / QINQING_SECRET_KEY
                           Django's secret; when unset, one is generated once into the data
                           folder and a notice says so (fine for a demo, not for production)
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
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from qinqing.config import (
    cache_long_statements, env_bool, env_int, env_list, env_seconds, generated_fernet_key,
    load_database, load_sms, persistent_secret,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("QINQING_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("QINQING_DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or os.environ.get("QINQING_SECRET_KEY") or (
    persistent_secret(DATA_DIR / "secret_key", "SECRET_KEY")
)
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
    "qinqing.worktime",
    "qinqing.cases",
    "qinqing.intake",
    "qinqing.supervision",
    "qinqing.notifications",
    "qinqing.background",
    "django_tasks",
    # django_tasks_db with a Chinese name in the admin (qinqing.background.apps).
    "qinqing.background.apps.TaskResultsConfig",
    "qinqing.oversight",
    "qinqing.insights",
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
# QINQING_INDEX_KEY: the key of the phone-number hash. Both are generated and kept in the
# data folder when unset, like SECRET_KEY.
QINQING_FIELD_KEYS = env_list("QINQING_FIELD_KEYS", []) or [
    generated_fernet_key(DATA_DIR / "field_key")
]
QINQING_INDEX_KEY = os.environ.get("QINQING_INDEX_KEY") or persistent_secret(
    DATA_DIR / "index_key", "QINQING_INDEX_KEY"
)

# How long another process may go on using master data (categories, units, policies, the
# calendar) or an API token after an edit; the process making the edit sees it at once.
# 0 turns the cache off. See qinqing/refdata.py.
try:
    QINQING_REFDATA_TTL = env_seconds("QINQING_REFDATA_TTL", 5)
    QINQING_TOKEN_TTL = env_seconds("QINQING_TOKEN_TTL", 5)
    # The dashboard's hot topics (insights/hot_topics.py): segmenting a month of cases
    # takes a while, and a topic list a few minutes old is still the same list.
    QINQING_HOT_TOPICS_TTL = env_seconds("QINQING_HOT_TOPICS_TTL", 300)
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# SMS (qinqing.notifications.sms). Every message is recorded and sent by
# notifications.services.deliver_due; a failed send is retried after 1, 2, 4, … minutes
# (at most QINQING_SMS_BACKOFF_CAP apart) until QINQING_SMS_MAX_ATTEMPTS, then "failed".
try:
    _sms = load_sms()
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
