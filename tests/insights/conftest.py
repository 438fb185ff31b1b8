"""Fixtures of the figures tests: the demo city once per package, and cases driven through
the services (never by assigning state), at chosen moments (tests/insights/lives.py), or
with `make_case` (the dashboard, lobby and ranking tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.insights.lives import (  # noqa: F401  (re-exported for the test modules)
    CITY_DEPT, COUNTY_UNIT, DISCIPLINE, FULL, Driver, setup_staff,
)
from tests.worlds import package_world

SH = ZoneInfo("Asia/Shanghai")
UNIT_A = "990102-SCJG"  # demo logins 'handler' and 'leader'
UNIT_B = "990103-SCJG"  # demo login 'handler2'
EXTRA_STAFF = [("leader2", "unit_leader", UNIT_B)]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(scope="package")
def _city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.demo.city import build_demo_organisation

        from qinqing.demo.city import DEMO_PASSWORD
        from qinqing.org.models import Unit
        from qinqing.org.services import ensure_staff

        build_demo_organisation()
        setup_staff()
        for username, role, unit in EXTRA_STAFF:
            ensure_staff(username=username, full_name=username,
                         unit=Unit.objects.get(code=unit), role=role, password=DEMO_PASSWORD)

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


@pytest.fixture
def make_case(user):
    """make_case(content, received=at(...), region='990102', kind='complaint',
    lead=UNIT_A, until='received'|'handling'|'closed', satisfaction='satisfied',
    late=False) -> Case, through the services only.

    `late=True` replies after the 3-working-day resolve limit (the reply is counted late);
    `reopen=True` has the caller dissatisfied once (reopened, replied again) before closing.
    """
    from qinqing.cases import services
    from qinqing.cases.models import Case

    leaders = {UNIT_A: "leader", UNIT_B: "leader2"}
    handlers = {UNIT_A: "handler", UNIT_B: "handler2"}

    def make(content="营业执照办理超过承诺时限", *, received=None, region="990102",
             kind="complaint", channel="hotline", category="SPFW-01", lead=UNIT_A,
             until="received", satisfaction="satisfied", late=False, reopen=False,
             title=""):
        received = received or at(2026, 3, 2, 10, 0)
        case = services.create_case(user("intake"), {
            "kind": kind, "channel": channel, "category": category, "region": region,
            "title": title or content[:20], "content": content,
            "reporter": {"name": "测试人", "phone": "13900001111"}}, now=received).case
        if until == "received":
            return case
        step = received
        def go(actor, move, payload=None, after=timedelta(minutes=5)):
            nonlocal step
            step += after
            services.perform(case.number, move, user(actor), payload or {}, now=step)
        go("dispatcher", "dispatch", {"lead_unit": lead})
        go(handlers[lead], "sign")
        if until == "handling":
            return Case.objects.get(pk=case.pk)
        go(handlers[lead], "reply", {"answer": "已办结。"},
           after=timedelta(days=14) if late else timedelta(hours=1))
        go(leaders[lead], "review")
        if reopen:
            go("callback", "reopen", {"reason": "来电人不满意：问题没有解决。"})
            go(handlers[lead], "reply", {"answer": "已重新办理。"}, after=timedelta(hours=1))
            go(leaders[lead], "review")
        go("callback", "callback", {"satisfaction": satisfaction})
        return Case.objects.get(pk=case.pk)

    return make
