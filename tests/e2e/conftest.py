"""Browser tests: the real server over a fresh demo city, driven by Debian's chromium.

One server (``qinqing serve``, i.e. gunicorn) and one browser for the whole folder; a new
browser context per role. The server gets its own data folder in a temporary directory
(SQLite there, or a fresh PostgreSQL database beside the one DATABASE_URL names, dropped
afterwards), is migrated, gets the demo city with 300 cases, and listens on a free
loopback port. The build starts in the background as soon as collection is done (`_server_build`),
so it runs beside the other folders' tests rather than before the first browser test.

Without /usr/bin/chromium (or the playwright packages) the tests are skipped, except when
the environment variable CI is set: there a missing browser is a failure.

The fixtures are package-scoped, not session-scoped: Playwright's sync API keeps an event
loop running, and Django refuses ORM calls from a thread with a running loop, so the
browser must be gone before the other folders' database tests run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.builds import BackgroundBuild, temporary_folder, will_use
from tests.e2e.workbench import LAUNCH_ARGS, Workbench

CHROMIUM = Path("/usr/bin/chromium")
DEMO_CASES = 300


def _missing_browser() -> str | None:
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is missing: install Debian's chromium "
                "(apt-get install -y chromium fonts-noto-cjk) to run the browser tests")
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="package")
def browser_ready():
    problem = _missing_browser()
    if problem:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"CI is set and the browser tests cannot run: {problem}", pytrace=False)
        pytest.skip(problem)


# ------------------------------------------------------------------------------ server

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    data_dir: Path
    log: Path
    env: dict[str, str] = field(repr=False)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _server_build(data: Path) -> BackgroundBuild:
    """The server's database and static files: migrate, collectstatic, the demo with
    DEMO_CASES cases (the longest setup of the suite: 79 s of a whole run here, on a
    loaded 2-core machine). Started when collection is done (tests/builds.py), it runs beside
    the other folders' tests instead of in front of the first browser test; what it builds
    is what this fixture built before, the demo at the moment it is built."""
    cli = ["-m", "qinqing.cli"]
    return BackgroundBuild(
        "e2e", data,
        [[*cli, "migrate", "--noinput", "-v", "0"],
         [*cli, "collectstatic", "--noinput", "-v", "0"],
         [*cli, "demo", "--cases", str(DEMO_CASES)]],
        env={"QINQING_WORKERS": "2", "QINQING_ALLOWED_HOSTS": "127.0.0.1,localhost",
             "QINQING_DEBUG": "0"})


_build: BackgroundBuild | None = None


def pytest_collection_finish(session):
    global _build
    if _build is None and _missing_browser() is None and will_use(session, "server"):
        _build = _server_build(temporary_folder(session, "e2e-server")).start()


def pytest_sessionfinish(session):
    if _build is not None:
        _build.close()


@pytest.fixture(scope="package")
def server(browser_ready, tmp_path_factory):
    """`qinqing serve` over a fresh demo database on a free loopback port."""
    global _build
    # Started when collection finished (unless the browser was missing then).
    build = _build or _server_build(tmp_path_factory.mktemp("e2e-server")).start()
    _build = build
    try:
        build.wait()
        port = _free_port()
        env = {**build.env, "QINQING_BIND": f"127.0.0.1:{port}"}
        log = build.log
        with log.open("a") as out:
            proc = subprocess.Popen([sys.executable, "-m", "qinqing.cli", "serve"], env=env,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        srv = Server(f"http://127.0.0.1:{port}", build.data, log, env)
        try:
            deadline = time.monotonic() + 30
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"qinqing serve exited ({proc.returncode}):\n{srv.tail()}",
                                pytrace=False)
                try:
                    with urllib.request.urlopen(srv.url + "/login/", timeout=2) as answer:
                        if answer.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"qinqing serve did not answer in 30 s:\n{srv.tail()}",
                                pytrace=False)
                time.sleep(0.2)
            yield srv
        finally:
            proc.terminate()  # gunicorn's master: graceful stop of its workers
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    finally:
        build.close()


# ------------------------------------------------------------------------------ browser

@pytest.fixture(scope="package")
def browser(browser_ready):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                      args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def _sessions():
    """username → Playwright storage state after signing in (each role signs in once)."""
    return {}


@pytest.fixture
def wb(server, browser, _sessions):
    """The workbench: `wb.page("dispatcher")` is a new signed-in context's page."""
    bench = Workbench(browser, server.url, _sessions)
    try:
        yield bench
    finally:
        bench.close()
    # Every page runs under the Content-Security-Policy (settings.CONTENT_SECURITY_POLICY,
    # on outside production too): a refused script or style fails the test that met it.
    assert not bench.csp_violations, "\n".join(sorted(set(bench.csp_violations)))
