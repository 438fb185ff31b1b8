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


def generated_fernet_key(path: Path) -> str:
    """A Fernet key kept in the data folder, made on first use (see persistent_secret)."""
    if path.exists():
        return path.read_text().strip()
    from cryptography.fernet import Fernet

    return _keep(path, Fernet.generate_key().decode(), "QINQING_FIELD_KEYS")


def persistent_secret(path: Path, what: str) -> str:
    """A random secret kept in the data folder, made on first use.

    The demo must run with no configuration, but a secret that changes on every start
    would log everybody out and, for encryption keys, lose data; so it is kept.
    """
    if path.exists():
        return path.read_text().strip()
    return _keep(path, secrets.token_urlsafe(50), what)


def _keep(path: Path, value: str, what: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    path.chmod(0o600)
    print(
        f"qinqing: generated {what} in {path} (demo use; set {what} in the environment "
        "for production)",
        file=sys.stderr,
    )
    return value
