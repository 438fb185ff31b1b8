from __future__ import annotations

import uuid

import pytest
from django.test import Client

from qinqing.codes import services as code_services
from qinqing.org.models import Role, Unit, User
from qinqing.org.services import ensure_staff

HALL = "990102-HALL"  # 河阳区政务服务中心
WINDOW = "990102-W01"  # its 综合受理窗口


@pytest.fixture
def admin_user(demo_org):
    return User.objects.get(username="admin")


@pytest.fixture
def window_code(admin_user):
    return code_services.issue(Unit.objects.get(code=WINDOW), by=admin_user)


@pytest.fixture
def hall_handler(demo_org):
    """A handler of the hall: a window's bad ratings go to its hall."""
    user, _ = ensure_staff(username="hall-handler", full_name="孙丽",
                           unit=Unit.objects.get(code=HALL), role=Role.HANDLER,
                           password="x")
    return user


def form(**fields) -> dict:
    return {"action": "rate", "token": uuid.uuid4().hex, "level": "1", "reason": "",
            "text": "", "name": "", "phone": "", "sms_code": "", **fields}


BAD = dict(level="5", reason="staff", text="窗口人员态度生硬，材料一次没说清楚。")


def post(code, client: Client | None = None, **fields):
    return (client or Client()).post(f"/c/{code.token}", form(**fields))
