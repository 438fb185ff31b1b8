"""Fixtures of the supervision tests: the demo city built once for the package (rolled
back at the end), a duty phone for the lead unit, cases driven through the services, and
an in-process worker whose clock the tests move with time-machine."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.worlds import package_world

SH = ZoneInfo("Asia/Shanghai")
LEAD = "990102-SCJG"  # demo logins 'handler' and 'leader'
DUTY_PHONE = "13900001111"
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # a Monday, a working day


@pytest.fixture(scope="package")
def _city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.demo.city import build_demo_organisation

        build_demo_organisation()

    yield from package_world(django_db_blocker, build)


@pytest.fixture
def city(_city, db, settings):
    from qinqing.org.models import Unit
    from qinqing.supervision.models import DutyPhone

    duty = DutyPhone(unit=Unit.objects.get(code=LEAD))
    duty.phone = DUTY_PHONE
    duty.save()
    settings.QINQING_SMS_BACKEND = "console"  # nothing written to disk by default


@pytest.fixture
def user(city):
    from qinqing.org.models import User

    return lambda username: User.objects.select_related("unit").get(username=username)


@pytest.fixture
def make_case(user):
    """make_case(moves=('dispatch', 'sign'), now=T0) -> Case, each move a minute apart."""
    from qinqing.cases import services
    from qinqing.cases.models import Case

    def make(moves=("dispatch", "sign"), *, now=T0, **data):
        fields = {"kind": "complaint", "channel": "hotline", "category": "SPFW-01",
                  "title": "营业执照办理超期", "content": "申请营业执照已超过承诺时限仍未办结。",
                  "enterprise_name": "示范市清风商贸有限公司",
                  "reporter": {"name": "张三丰", "phone": "13812345678"}, **data}
        case = services.create_case(user("intake"), fields, now=now).case
        actors = {"dispatch": "dispatcher", "sign": "handler", "reply": "handler",
                  "review": "dispatcher", "callback": "callback"}
        payloads = {"dispatch": {"lead_unit": LEAD}, "reply": {"answer": "已办结。"},
                    "callback": {"satisfaction": "satisfied"}}
        for i, move in enumerate(moves, start=1):
            services.perform(case.number, move, user(actors[move]), payloads.get(move, {}),
                             now=now + timedelta(minutes=i))
        return Case.objects.get(pk=case.pk)

    return make


@pytest.fixture
def worker(city):
    from qinqing.background.worker import QinqingWorker

    return QinqingWorker(worker_id="test-worker")


@pytest.fixture
def at_time():
    """at_time(moment): a context in which the clock stands still at `moment`."""
    import time_machine

    return lambda moment: time_machine.travel(moment, tick=False)
