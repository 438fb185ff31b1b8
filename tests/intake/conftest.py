"""Fixtures of the intake page tests: the demo city once per package, logged-in clients.

As in tests/cases: the city is built inside an outer transaction for the whole package
and rolled back at the end; each test runs in its own savepoint.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.worlds import package_world

PHONE = "13812345678"
# Accounts the demo lacks: a county hotline agent (sees only the county's cases).
EXTRA_STAFF = [("intake_cty", "intake_agent", "990102")]


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
    """The demo city, shared by the package."""


@pytest.fixture
def user(demo_org):
    from qinqing.org.models import User

    return lambda username: User.objects.select_related("unit").get(username=username)


@pytest.fixture
def login(user):
    """login('intake') -> a test client with that demo login's session."""
    def make(username="intake"):
        client = Client()
        client.force_login(user(username))
        return client
    return make


@pytest.fixture
def agent(login):
    return login("intake")


def form_data(**overrides) -> dict:
    """What an agent sends for a complaint: pickers as the page's script fills them in."""
    data = {"phone": PHONE, "name": "张三丰", "reporter_enterprise": "示范市清风商贸有限公司",
            "kind": "投诉", "category": "审批服务 / 办理时限超期", "content":
            "申请食品经营许可已超过承诺时限仍未办结，门店无法开业。",
            "title": "", "enterprise_name": "示范市清风商贸有限公司", "subject_unit": "",
            "region": "", "channel": "hotline", "idempotency_key": "form-key-1",
            "id_number": "", "contact": "", "answer": ""}
    data.update(overrides)
    return data


@pytest.fixture
def register(user):
    """register(phone=..., **case fields) -> Case, through the case service."""
    from qinqing.cases import services

    def make(username="intake", phone=PHONE, now=None, **overrides):
        data = {"kind": "complaint", "channel": "hotline", "category": "SPFW-01",
                "content": "申请营业执照已超过承诺时限仍未办结。",
                "reporter": {"name": "张三丰", "phone": phone}}
        data.update(overrides)
        return services.create_case(user(username), data, now=now).case
    return make
