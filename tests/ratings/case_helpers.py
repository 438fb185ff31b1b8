"""Closing a case the way the pipeline does, for the tests of case ratings (issue 17 §3)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from qinqing.cases import services
from qinqing.org.models import User

SH = ZoneInfo("Asia/Shanghai")
LEAD = "990102-SCJG"  # the unit of demo logins 'handler' and 'leader'
PHONE = "13812345678"
REPORTER = {"name": "张三丰", "phone": PHONE}


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def case_data(kind="complaint", **overrides) -> dict:
    data = {"kind": kind, "channel": "hotline", "category": "SPFW-01",
            "title": "营业执照办理超期", "content": "申请营业执照已超过承诺时限仍未办结。",
            "reporter": dict(REPORTER)}
    data.update(overrides)
    return data


def user(name: str) -> User:
    return User.objects.select_related("unit").get(username=name)


def close_case(closed_at: datetime, *, kind="complaint", notify_reporter=True,
               answer="执照已核发，请到窗口领取。", **data):
    """A case registered a day before `closed_at`, dispatched to LEAD, answered, reviewed
    and closed by a satisfied callback at `closed_at`."""
    start = closed_at - timedelta(days=1)
    case = services.create_case(user("intake"), case_data(kind, **data), now=start,
                                notify_reporter=notify_reporter).case
    steps = [("dispatch", "dispatcher", {"lead_unit": LEAD}),
             ("sign", "handler", {}), ("reply", "handler", {"answer": answer}),
             ("review", "dispatcher", {})]
    for i, (move, actor, payload) in enumerate(steps, start=1):
        services.perform(case.number, move, user(actor), payload,
                         now=start + timedelta(minutes=i))
    return services.perform(case.number, "callback", user("callback"),
                            {"satisfaction": "satisfied"}, now=closed_at)


def form(**fields) -> dict:
    return {"token": uuid.uuid4().hex, "level": "2", "reason": "", "text": "", **fields}
