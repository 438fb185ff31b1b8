"""Fixtures of the oversight tests: the demo city built once for the package (as in
tests/cases), one account per role at the city level, and cases driven through the
case services only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tests.cases.conftest import (  # noqa: F401 (fixtures and helpers reused)
    LEAD, OTHER, PATH, REPORTER, SH, at, case_data, make_case, user,
)
from tests.worlds import package_world

# Accounts the demo lacks. "r-<role>": one per role at the city level (the top of the
# tree: they see every case), except the unit roles at the lead unit.
ROLE_STAFF = [
    ("r-intake_agent", "intake_agent", "990000"),
    ("r-dispatcher", "dispatcher", "990000"),
    ("r-handler", "handler", LEAD),
    ("r-unit_leader", "unit_leader", LEAD),
    ("r-callback_agent", "callback_agent", "990000"),
    ("r-supervisor", "supervisor", "990000"),
    ("r-discipline_inspector", "discipline_inspector", "990000-JW"),
    ("r-analyst", "analyst", "990000"),
    ("r-administrator", "administrator", "990000"),  # not a superuser
]
EXTRA_STAFF = [
    ("leader2", "unit_leader", OTHER),
    ("h-jw", "handler", "990000-JW"),
    ("supervisor_cty", "supervisor", "990102"),  # a county's supervisor: sees only 990102
    *ROLE_STAFF,
]


@pytest.fixture(scope="package")
def _demo_city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.demo.city import DEMO_PASSWORD, build_demo_organisation
        from qinqing.org.models import Unit
        from qinqing.org.services import ensure_staff

        build_demo_organisation()
        for username, role, unit in EXTRA_STAFF:
            ensure_staff(username=username, full_name=username,
                         unit=Unit.objects.get(code=unit), role=role, password=DEMO_PASSWORD)

    yield from package_world(django_db_blocker, build)


@pytest.fixture
def demo_org(_demo_city, db):
    """The demo city of the package, with the accounts above."""


@pytest.fixture
def client_for(user):
    def make(username):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user(username))
        return client
    return make


@pytest.fixture
def late_case(make_case):
    """late_case(state) -> a case made a month ago: every open stage is overdue now."""
    from django.utils import timezone

    long_ago = timezone.now() - timedelta(days=30)
    return lambda state="handling", **kw: make_case(state, now=long_ago, **kw)
