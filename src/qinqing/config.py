"""Reading configuration from the environment.

Kept apart from settings.py so each rule can be tested without reloading Django.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be 1 or 0 (got {raw!r})")


def env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise ValueError(f"{name} must be a number of seconds from 0 to 3600 (got {raw!r})")
    return value


def env_int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high} (got {raw!r})")
    return value


def load_sms() -> dict:
    """The SMS settings from the environment (QINQING_SMS_*), checked together.

    The backend is `file` (default: a JSON line per message in the data folder),
    `console`, `http` (the gateway, which then needs a URL) or the dotted path of a
    class. Raises ValueError with a one-line message, never echoing the token.
    """
    environ = os.environ
    backend = (environ.get("QINQING_SMS_BACKEND") or "file").strip()
    if backend not in {"file", "console", "http"} and not _dotted_path(backend):
        raise ValueError(
            f"QINQING_SMS_BACKEND must be file, console, http or a dotted class path "
            f"(got {backend!r})"
        )
    url = (environ.get("QINQING_SMS_GATEWAY_URL") or "").strip()
    if url and not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"QINQING_SMS_GATEWAY_URL must start with http:// or https:// "
                         f"(got {_redact(url)!r})")
    if backend == "http" and not url:
        raise ValueError("QINQING_SMS_BACKEND=http needs QINQING_SMS_GATEWAY_URL")
    timeout = env_seconds("QINQING_SMS_TIMEOUT", 10)
    if timeout <= 0 or timeout > 120:
        raise ValueError("QINQING_SMS_TIMEOUT must be a number of seconds above 0 and at "
                         f"most 120 (got {environ.get('QINQING_SMS_TIMEOUT')!r})")
    return {
        "backend": backend,
        "url": url,
        "token": environ.get("QINQING_SMS_GATEWAY_TOKEN") or "",
        "timeout": timeout,
    }


def sms_full_numbers(environ=None) -> bool:
    """QINQING_SMS_FULL_NUMBERS: whether the file and console SMS backends write the
    whole number (local debugging) rather than a masked one (138****5678, the default).

    Refused when QINQING_ENV=production: a readable file of citizens' and officials'
    phone numbers is exactly what the encryption of those columns is there to prevent.
    """
    environ = os.environ if environ is None else environ
    full = (environ.get("QINQING_SMS_FULL_NUMBERS") or "0").strip().lower() in _TRUE
    if full and environ_is_production(environ):
        raise ValueError("QINQING_SMS_FULL_NUMBERS=1 is for local debugging only and is "
                         "not allowed with QINQING_ENV=production")
    return full


def environ_is_production(environ=None) -> bool:
    environ = os.environ if environ is None else environ
    return (environ.get("QINQING_ENV") or "").strip().lower() == "production"


def _dotted_path(value: str) -> bool:
    parts = value.split(".")
    return len(parts) >= 2 and all(part.isidentifier() for part in parts)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def load_database(url: str | None, data_dir: Path) -> dict:
    """Django's DATABASES entry from DATABASE_URL, or the embedded SQLite default.

    Raises ValueError with a one-line message for a URL that cannot be used.
    """
    if not url:
        return _sqlite(data_dir / "qinqing.sqlite3")
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ValueError(
            f"DATABASE_URL {_redact(url)!r} is not usable: write "
            "postgres://USER:PASSWORD@HOST:PORT/NAME or sqlite:////absolute/path.sqlite3"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # the library raises several types for a bad URL
        raise ValueError(f"DATABASE_URL {_redact(url)!r} is not usable: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        return _sqlite(Path(config["NAME"]))
    if not config.get("NAME"):
        raise ValueError(f"DATABASE_URL {_redact(url)!r} names no database")
    if env_bool("QINQING_PG_PREPARED", True):
        # Parameters bound by the server, and a statement run five times on a connection
        # prepared there: PostgreSQL then parses and plans the intake's and the lists'
        # statements once per connection instead of once per request (docs/performance.md).
        # Off (0) for a connection pooler that cannot keep prepared statements.
        config.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    return config


# psycopg converts a query's %s placeholders by parsing its text, and caches the result
# only for texts up to 4,096 characters and 50 parameters. The intake's one statement
# (cases/rowwrite.py: case, reporter, clock, event and facts) has well over 100
# parameters and several thousand characters, so it was parsed again on every intake —
# about a tenth of an intake's time under the profiler (bench/intake.py --profile). These
# limits cover it; the cache still holds at most 128 texts (psycopg's lru_cache), so
# memory stays bounded.
PSYCOPG_CACHED_LENGTH = 16_384
PSYCOPG_CACHED_PARAMS = 400


def cache_long_statements() -> bool:
    """Let psycopg cache the conversion of the intake's long statement (see above).

    psycopg exposes no setting for this, only two module constants; if a later version
    drops them nothing changes but speed (and tests/api/test_intake_statements.py says
    so)."""
    try:
        from psycopg import _queries
    except ImportError:
        return False
    if not all(hasattr(_queries, name) for name in ("MAX_CACHED_STATEMENT_LENGTH",
                                                     "MAX_CACHED_STATEMENT_PARAMS")):
        return False
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH,
                                               PSYCOPG_CACHED_LENGTH)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS,
                                               PSYCOPG_CACHED_PARAMS)
    return True


def _sqlite(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {
            # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
            # lock at BEGIN so two writers queue on busy_timeout instead of failing.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
            "transaction_mode": "IMMEDIATE",
        },
        "TEST": {"NAME": None},
    }


def _redact(url: str) -> str:
    """Hide a password in a URL before it is printed."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


# The variables production cannot start without (QINQING_ENV=production). The keys must
# come from the operator: a key generated into the data folder is lost with the folder, and
# then every reporter's encrypted name and phone number is unreadable (the server starts and
# answers 500 on every such case). ALLOWED_HOSTS has a demo default that is wrong anywhere
# else.
PRODUCTION_REQUIRED = (
    ("SECRET_KEY", ("SECRET_KEY", "QINQING_SECRET_KEY")),
    ("QINQING_FIELD_KEYS", ("QINQING_FIELD_KEYS",)),
    ("QINQING_INDEX_KEY", ("QINQING_INDEX_KEY",)),
    ("QINQING_ALLOWED_HOSTS", ("QINQING_ALLOWED_HOSTS",)),
)


def load_env_name() -> str:
    """QINQING_ENV: `production` or `development` (the default)."""
    value = (os.environ.get("QINQING_ENV") or "development").strip().lower()
    if value not in ("production", "development"):
        raise ValueError(f"QINQING_ENV must be production or development (got {value!r})")
    return value


def missing_for_production(environ=None) -> list[str]:
    """The names of the required variables that are unset or blank, in a fixed order."""
    environ = os.environ if environ is None else environ
    return [name for name, accepted in PRODUCTION_REQUIRED
            if not any((environ.get(var) or "").strip() for var in accepted)]


def load_keys(data_dir: Path, production: bool) -> dict:
    """SECRET_KEY, the field keys and the index key, from the environment.

    In production a missing one is a ValueError naming it (one line). Elsewhere a missing
    one is generated once into the data folder and kept there, and one loud line on stderr
    says which were generated and where they are kept.
    """
    environ = os.environ
    if production:
        missing = missing_for_production(environ)
        if missing:
            raise ValueError(
                f"QINQING_ENV=production needs {', '.join(missing)} in the environment "
                "(keys are never generated in production; see docs/deploy.md)")
        placeholders = [name for name, accepted in PRODUCTION_REQUIRED
                        if any((environ.get(var) or "").strip().startswith("<")
                               for var in accepted)]
        if placeholders:
            raise ValueError(f"{', '.join(placeholders)} still hold the <…> placeholder of "
                             "deploy/qinqing.env.example; generate real values")
        if env_bool("QINQING_DEBUG", False):
            raise ValueError("QINQING_ENV=production cannot run with QINQING_DEBUG=1")
    generated: list[str] = []
    secret = (environ.get("SECRET_KEY") or environ.get("QINQING_SECRET_KEY") or "").strip()
    if not secret:
        secret = persistent_secret(data_dir / "secret_key", "SECRET_KEY", generated)
    field_keys = env_list("QINQING_FIELD_KEYS", [])
    if not field_keys:
        field_keys = [generated_fernet_key(data_dir / "field_key", generated)]
    index_key = (environ.get("QINQING_INDEX_KEY") or "").strip()
    if not index_key:
        index_key = persistent_secret(data_dir / "index_key", "QINQING_INDEX_KEY", generated)
    if generated:
        print(
            f"qinqing: WARNING: generated {', '.join(generated)} and kept them in {data_dir} "
            "(losing that folder makes every reporter's personal data unreadable); "
            "for production set them in the environment and QINQING_ENV=production",
            file=sys.stderr,
        )
    return {"secret_key": secret, "field_keys": field_keys, "index_key": index_key}


def generated_fernet_key(path: Path, generated: list[str] | None = None) -> str:
    """A Fernet key kept in the data folder, made on first use (see persistent_secret)."""
    if path.exists():
        return path.read_text().strip()
    from cryptography.fernet import Fernet

    return _keep(path, Fernet.generate_key().decode(), "QINQING_FIELD_KEYS", generated)


def persistent_secret(path: Path, what: str, generated: list[str] | None = None) -> str:
    """A random secret kept in the data folder, made on first use.

    The demo must run with no configuration, but a secret that changes on every start
    would log everybody out and, for encryption keys, lose data; so it is kept. With a
    `generated` list the name is added to it (the caller prints one line for all);
    without, a line is printed here.
    """
    if path.exists():
        return path.read_text().strip()
    return _keep(path, secrets.token_urlsafe(50), what, generated)


def _keep(path: Path, value: str, what: str, generated: list[str] | None) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    path.chmod(0o600)
    if generated is not None:
        generated.append(what)
    else:
        print(f"qinqing: WARNING: generated {what} and kept it in {path} (demo use; set "
              f"{what} in the environment for production)", file=sys.stderr)
    return value


def proxy_ssl_header(name: str) -> tuple[str, str] | None:
    """SECURE_PROXY_SSL_HEADER from a header's name ("X-Forwarded-Proto"); "" for none.

    Only safe when the proxy in front always sets (overwrites) that header: a client that
    reaches the application directly could otherwise claim HTTPS.
    """
    name = name.strip()
    if not name:
        return None
    if not all(part.isalnum() for part in name.split("-")):
        raise ValueError(f"QINQING_PROXY_SSL_HEADER must be a header name such as "
                         f"X-Forwarded-Proto (got {name!r})")
    return ("HTTP_" + name.upper().replace("-", "_"), "https")


def https_origins(hosts: list[str]) -> list[str]:
    """https://HOST for each allowed host that names one host (no wildcard, no '.domain')."""
    return [f"https://{host}" for host in hosts
            if host and host != "*" and not host.startswith(".")]


_LOCKOUT_PARTS = {"username", "ip_address", "user_agent"}


def lockout_parameters(raw: str) -> list:
    """AXES_LOCKOUT_PARAMETERS from "username+ip_address" (the pair) or "ip_address,username"
    (either alone): commas separate alternatives, + joins parameters that count together."""
    groups = []
    for alternative in raw.split(","):
        parts = [part.strip() for part in alternative.split("+") if part.strip()]
        if not parts or set(parts) - _LOCKOUT_PARTS:
            raise ValueError("QINQING_LOGIN_LOCKOUT: username, ip_address or user_agent, joined "
                             f"with + and separated by commas (got {raw!r})")
        groups.append(parts[0] if len(parts) == 1 else parts)
    return groups


def load_cache(url: str | None) -> dict:
    """Django's default cache from QINQING_CACHE_URL.

    Unset or "db": the database (shared by every process; the table is created by
    `qinqing migrate`). "redis://…" or "rediss://…": Redis (needs the redis package).
    "locmem": memory of each process; only right for a single process.
    """
    url = (url or "").strip()
    if url in ("", "db"):
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": CACHE_TABLE}
    if url == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ValueError(f"QINQING_CACHE_URL must be db, locmem or a redis:// URL "
                     f"(got {_redact(url)!r})")


CACHE_TABLE = "qinqing_cache"
