"""Fixtures of the case-pipeline tests.

The demo city (about 110 units and the demo logins) is built ONCE for this package inside
an outer transaction that is rolled back when the package is done; every test still runs
in its own savepoint (pytest-django's `db`), so tests cannot see each other's cases.
`demo_org` is overridden here to reuse that city instead of rebuilding it per test.

Cases are driven to a state only through services.perform (never by assigning state).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.worlds import package_world

SH = ZoneInfo("Asia/Shanghai")
LEAD = "990102-SCJG"  # the unit of demo logins 'handler' and 'leader'
OTHER = "990103-SCJG"  # the unit of 'handler2' (and 'leader2', created here)

# Accounts the demo lacks, for combinations of role and unit the tests need.
EXTRA_STAFF = [
    ("leader2", "unit_leader", OTHER),
    ("handler_county", "handler", "990102"),  # above the lead unit: still in scope
    ("intake_cty", "intake_agent", "990102"),  # county hotline staff: not the case's hotline
    ("dispatcher_cty", "dispatcher", "990102"),
    ("callback_cty", "callback_agent", "990102"),
    ("dispatcher_off", "dispatcher", "990000"),  # deactivated below
]

REPORTER = {"name": "张三丰", "phone": "13812345678", "id_number": "11010519491231002X",
            "contact": "示范市河阳区幸福路1号", "enterprise": "示范市清风商贸有限公司"}


@pytest.fixture(scope="package")
def _demo_city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.demo.city import DEMO_PASSWORD, build_demo_organisation
        from qinqing.org.models import Unit, User
        from qinqing.org.services import ensure_staff

        build_demo_organisation()
        for username, role, unit in EXTRA_STAFF:
            ensure_staff(username=username, full_name=username,
                         unit=Unit.objects.get(code=unit), role=role, password=DEMO_PASSWORD)
        User.objects.filter(username="dispatcher_off").update(is_active=False)

    yield from package_world(django_db_blocker, build)


@pytest.fixture
def demo_org(_demo_city, db):
    """The demo city, shared by the package, with the extra accounts above."""


@pytest.fixture
def user(demo_org):
    """user('handler2') -> a fresh User row."""
    from qinqing.org.models import User

    return lambda username: User.objects.select_related("unit").get(username=username)


@pytest.fixture
def client_for(user):
    """client_for(username) -> a test client signed in as that demo account."""
    from django.test import Client

    def make(username):
        client = Client()
        client.force_login(user(username))
        return client
    return make


def case_data(kind="complaint", **overrides):
    data = {"kind": kind, "channel": "hotline", "category": "SPFW-01",
            "title": "营业执照办理超期", "content": "申请营业执照已超过承诺时限仍未办结。",
            "reporter": dict(REPORTER)}
    data.update(overrides)
    return data


# The path a case takes to each state; every step is a move of the table.
PATH = {
    "received": [],
    "dispatched": ["dispatch"],
    "handling": ["dispatch", "sign"],
    "returned": ["dispatch", "return"],
    "replied": ["dispatch", "sign", "reply"],
    "reviewed": ["dispatch", "sign", "reply", "review"],
    "closed": ["dispatch", "sign", "reply", "review", "callback"],
}


@pytest.fixture
def make_case(user):
    """make_case(state='handling', kind=..., co_units=[...], now=...) -> Case.

    Registered by 'intake', dispatched by 'dispatcher' to `lead` (990102-SCJG), signed,
    returned and replied by 'handler', reviewed by 'dispatcher', called back by
    'callback'. With `now`, step i happens i minutes after it.
    """
    from qinqing.cases import services
    from qinqing.cases.models import Case

    def make(state="received", *, kind="complaint", lead=LEAD, co_units=(), now=None,
             **data):
        intake = user("intake")
        case = services.create_case(intake, case_data(kind, **data), now=now).case
        actors = {"dispatch": "dispatcher", "sign": "handler", "return": "handler",
                  "reply": "handler", "review": "dispatcher", "callback": "callback"}
        payloads = {"dispatch": {"lead_unit": lead, "co_units": list(co_units)},
                    "return": {"reason": "不属于本单位职责"}, "reply": {"answer": "已为企业办结。"},
                    "callback": {"satisfaction": "satisfied"}}
        for i, move in enumerate(PATH[state], start=1):
            services.perform(case.number, move, user(actors[move]), payloads.get(move, {}),
                             now=now + timedelta(minutes=i) if now else None)
        case = Case.objects.get(pk=case.pk)
        assert case.state == state
        return case

    return make


def at(*args) -> datetime:
    """A Shanghai moment: at(2024, 9, 30, 10, 0)."""
    return datetime(*args, tzinfo=SH)
