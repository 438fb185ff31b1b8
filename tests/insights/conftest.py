"""Fixtures of the figures tests: the demo city once per package, and cases driven through
the services (never by assigning state), at chosen moments (tests/insights/lives.py)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.insights.lives import (  # noqa: F401  (re-exported for the test modules)
    CITY_DEPT, COUNTY_UNIT, DISCIPLINE, FULL, Driver, setup_staff,
)
from tests.worlds import package_world

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(scope="package")
def _city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.org.demo import build_demo_organisation

        build_demo_organisation()
        setup_staff()

    yield from package_world(django_db_blocker, build)


@pytest.fixture
def demo_org(_city, db):
    """The demo city shared by the package."""


@pytest.fixture
def user(demo_org):
    from qinqing.org.models import User

    return lambda username: User.objects.select_related("unit").get(username=username)


@pytest.fixture
def drive(demo_org):
    """drive(received_at, kind=..., steps=[(move, minutes_after, payload?), ...]) -> Case."""
    return Driver()


@pytest.fixture
def api(demo_org):
    """A JSON client of /api/v1 as any demo login (tokens made on first use)."""
    from qinqing.cases import services
    from qinqing.org.models import User
    from tests.api.conftest import ApiClient

    class Tokens(dict):
        def __missing__(self, username):
            self[username] = services.issue_token(User.objects.get(username=username))
            return self[username]

    return ApiClient(Tokens())
