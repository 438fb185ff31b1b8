"""Fixtures of the figures tests: the demo city once per package, and cases driven through
the services (never by assigning state), at chosen moments."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.worlds import package_world

SH = ZoneInfo("Asia/Shanghai")
COUNTY_UNIT = "990102-SCJG"  # handler, leader
CITY_DEPT = "990000-D22"  # city market regulation bureau
DISCIPLINE = "990000-JW"

EXTRA_STAFF = [
    ("handler_city", "handler", CITY_DEPT),
    ("handler_jw", "handler", DISCIPLINE),
    ("leader_county", "unit_leader", "990102"),  # a county government's member
]


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(scope="package")
def _city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.org.demo import DEMO_PASSWORD, build_demo_organisation
        from qinqing.org.models import Unit
        from qinqing.org.services import ensure_staff

        build_demo_organisation()
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


HANDLERS = {COUNTY_UNIT: "handler", CITY_DEPT: "handler_city", DISCIPLINE: "handler_jw"}


@pytest.fixture
def drive(user):
    """drive(received_at, kind=..., steps=[("dispatch", minutes_after, payload), ...]).

    Registers a case at `received_at` and makes each move `minutes_after` the receipt, by
    the role the move needs. Returns the case as saved."""
    from qinqing.cases import services
    from qinqing.cases.models import Case

    actors = {"answer": "intake", "dispatch": "dispatcher", "redispatch": "dispatcher",
              "reject": "dispatcher", "review": "dispatcher", "send_back": "dispatcher",
              "callback": "callback", "reopen": "callback", "close_unrated": "callback",
              "approve_suspension": "dispatcher", "approve_extension": "dispatcher"}
    users: dict[str, object] = {}

    def get(name):
        if name not in users:
            users[name] = user(name)
        return users[name]

    def make(received_at, *, kind="complaint", steps=(), lead=COUNTY_UNIT, channel="hotline",
             category="SPFW-01", region=None, anonymous=False):
        data = {"kind": kind, "channel": channel, "category": category,
                "content": "营业执照办理超过承诺时限仍未办结。",
                "reporter": {"name": "张三", "phone": "13800000001"}}
        if region:
            data["region"] = region
        if anonymous:
            data["anonymous"] = True
            data.pop("reporter")
        case = services.create_case(get("intake"), data, now=received_at).case
        current_lead = lead
        for move, minutes, *rest in steps:
            payload = dict(rest[0]) if rest else {}
            if move in ("dispatch", "redispatch"):
                payload.setdefault("lead_unit", current_lead)
                payload.setdefault("reason", "按职责转办")
                current_lead = payload["lead_unit"]
            defaults = {"answer": {"answer": "已当场答复。"}, "reply": {"answer": "已办结。"},
                        "callback": {"satisfaction": "satisfied"},
                        "reopen": {"satisfaction": "dissatisfied", "reason": "仍未解决"},
                        "return": {"reason": "不属于本单位职责"},
                        "close_unrated": {"reason": "联系不上"},
                        "reject": {"reason": "无效诉求"}, "send_back": {"reason": "答复不完整"},
                        "request_suspension": {"reason": "等待企业补充材料"},
                        "request_extension": {"reason": "情况复杂", "limit": "2d"}}
            payload = {**defaults.get(move, {}), **payload}
            actor = actors.get(move) or HANDLERS.get(current_lead, "handler")
            action = "callback" if move == "reopen" else move
            services.perform(case.number, action, get(actor), payload,
                             now=received_at + timedelta(minutes=minutes))
        return Case.objects.get(pk=case.pk)

    return make


# A whole life: dispatched after 10 minutes, signed, replied, reviewed, called back.
FULL = [("dispatch", 10), ("sign", 30), ("reply", 600), ("review", 620), ("callback", 700)]
