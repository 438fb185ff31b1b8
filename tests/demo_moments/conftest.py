"""The demo city and its catalogue, built ONCE for this package (rolled back at its end);
each test builds the rest of the demo inside its own savepoint (pytest-django's `db`).

A package of its own: tests/demo's package world holds demo cases, which would be in
every demo built here.

The demo at make run's size (test_demo_ranking.py) is built in other processes over a
database of its own, from the end of collection on (tests/builds.py): it needs nothing
from this package's database, and runs beside the other tests on the second core.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builds import BackgroundBuild, temporary_folder, will_use
from tests.worlds import package_world


@pytest.fixture(scope="package")
def _demo_city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.demo.cases import build_demo_catalogue
        from qinqing.demo.city import build_demo_organisation

        build_demo_organisation()
        build_demo_catalogue()

    yield from package_world(django_db_blocker, build)


@pytest.fixture
def demo_city(_demo_city, db, settings):
    # The real hasher takes ~0.3 s a password; the demo adds a handler account per unit.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# ----------------------------------------------------- the slow demos, built aside

def _ranking(data: Path) -> list[list[str]]:
    from tests.demo_moments.test_demo_ranking import NOW, SEED, make_run_cases

    return [[str(Path(__file__).with_name("make_run_ranking.py")), str(data / "answer.json"),
             str(make_run_cases()), str(SEED), NOW.isoformat()]]


def _moments(data: Path) -> list[list[str]]:
    return [[str(Path(__file__).with_name("moments_aside.py")), str(data / "answer.json")]]


# fixture → the commands of its build, run in a data folder of its own
_COMMANDS = {"make_run_ranking": _ranking, "moments_aside": _moments}
_builds: dict[str, BackgroundBuild] = {}


def _start(fixture: str, data: Path) -> BackgroundBuild:
    _builds[fixture] = BackgroundBuild(fixture, data, _COMMANDS[fixture](data)).start()
    return _builds[fixture]


def pytest_collection_finish(session):
    for fixture in _COMMANDS:
        if fixture not in _builds and will_use(session, fixture):
            _start(fixture, temporary_folder(session, fixture))


def pytest_sessionfinish(session):
    for build in _builds.values():
        build.close()


def _answer(fixture: str, tmp_path_factory) -> dict:
    build = _builds.get(fixture) or _start(fixture, tmp_path_factory.mktemp(fixture))
    build.wait()
    build.close()
    return json.loads((build.data / "answer.json").read_text(encoding="utf-8"))


@pytest.fixture
def make_run_ranking(tmp_path_factory) -> dict:
    """The unit ranking over the demo make run builds: {"cases", "min_cases", "ranked",
    "too_few"} (units' labels), from make_run_ranking.py."""
    return _answer("make_run_ranking", tmp_path_factory)


@pytest.fixture
def moments_aside(tmp_path_factory) -> dict:
    """{moment (ISO 8601): None if the whole demo passed its checks there, else the
    traceback}, from moments_aside.py."""
    return _answer("moments_aside", tmp_path_factory)
