"""Slow builds that run in other processes, in the background, from the end of collection.

`make test` runs on two cores, and most of the suite runs on one: the tests run one after
another in pytest's process. The suite's slowest setups are builds of whole databases (the
browser tests' server, the demo `make run` builds) that need nothing from pytest's own
database. Such a build is started here as soon as collection is done, in its own processes
over its own database (an SQLite file in its own data folder, or a PostgreSQL database
beside the one DATABASE_URL names, dropped at the end), and the test that needs it waits
for it: meanwhile the other tests run on the other core.

A build is started only if a collected test will wait for it, so `pytest -k …` and
`--collect-only` start nothing; a session that ends early stops it and drops its database.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest


@contextlib.contextmanager
def own_database(env: dict[str, str], suffix: str):
    """SQLite: nothing to do (the file lives in the data folder). PostgreSQL: a new database
    beside DATABASE_URL's, named after it, `suffix` and this process, dropped at the end."""
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        env.pop("DATABASE_URL", None)
        yield
        return
    import dj_database_url
    import psycopg
    from psycopg import sql

    parsed = dj_database_url.parse(url)
    name = f"{parsed['NAME']}_{suffix}_{os.getpid()}"[:63]
    admin = dict(host=parsed["HOST"] or None, port=parsed["PORT"] or None,
                 user=parsed["USER"] or None, password=parsed["PASSWORD"] or None,
                 dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    from urllib.parse import urlsplit, urlunsplit

    env["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path="/" + name))
    try:
        yield
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                         .format(sql.Identifier(name)))


class BackgroundBuild:
    """Commands run one after another in a thread (each a process of its own), over a
    data folder and database of their own; `wait()` in the test (or fixture) that needs
    them, `close()` when done (drops the database; the folder, with the log, stays among
    pytest's temporary folders)."""

    def __init__(self, name: str, data: Path, commands: list[list[str]],
                 env: dict[str, str] | None = None, timeout: float = 900):
        self.name = name
        self.data = data
        self.log = data / f"{name}.log"
        self.env = {**os.environ, "QINQING_DATA_DIR": str(data),
                    "DJANGO_SETTINGS_MODULE": "qinqing.settings", **(env or {})}
        self.commands = commands
        self.timeout = timeout
        self.failure: str | None = None
        self._database = own_database(self.env, name)
        self._proc: subprocess.Popen | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> BackgroundBuild:
        self._database.__enter__()
        self._thread.start()
        return self

    def _run(self):
        try:
            for command in self.commands:
                if self._closed or not self._one(command):
                    return
        except BaseException as exc:  # reported by wait(), in the test that waits
            self.failure = f"{self.name}: {exc!r}"

    def _one(self, command: list[str]) -> bool:
        shown = " ".join(command)
        with self.log.open("a") as out:
            out.write(f"$ {shown}\n")
            out.flush()
            self._proc = subprocess.Popen([sys.executable, *command], env=self.env,
                                          stdout=out, stderr=subprocess.STDOUT)
            try:
                code = self._proc.wait(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                code = self._proc.wait()
        if code and not self._closed:
            self.failure = (f"{shown} failed ({code}):\n"
                            + "\n".join(self.log.read_text(errors="replace").splitlines()[-30:]))
            return False
        return not code

    def wait(self) -> None:
        self._thread.join()
        if self.failure:
            pytest.fail(self.failure, pytrace=False)

    def close(self) -> None:
        """Stop a build still running (a session ended early) and drop its database. Once."""
        if self._closed:
            return
        self._closed = True
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
        self._thread.join(timeout=60)
        self._database.__exit__(None, None, None)


def will_use(session, fixture: str) -> bool:
    """True when a collected test of this session uses `fixture` (directly or not)."""
    return not session.config.option.collectonly and any(
        fixture in getattr(item, "fixturenames", ()) for item in session.items)


def temporary_folder(session, name: str) -> Path:
    """A folder among pytest's temporary folders (tmp_path_factory's, before any fixture)."""
    return session.config._tmp_path_factory.mktemp(name)
