"""Scans are counted (issue 17 §6 "scans"): each opening of a live code's page, per code
and local day, in one statement; the managers' page shows the last 30 days."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, connection, connections
from django.test import Client

from qinqing.codes import queries, services
from qinqing.codes.models import ScanDay, SupervisionCode
from qinqing.org.models import Unit, User

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
WINDOW = "990102-W01"


@pytest.fixture
def code(demo_org) -> SupervisionCode:
    return services.issue(Unit.objects.get(code=WINDOW), by=None)


def counted(code) -> dict[date, int]:
    return dict(ScanDay.objects.filter(code=code).values_list("day", "scans"))


def test_each_opening_of_the_page_is_a_scan_and_sending_the_form_is_not(code):
    phone = Client()
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=SH), tick=False):
        for _ in range(3):
            assert phone.get(f"/c/{code.token}").status_code == 200
        phone.post(f"/c/{code.token}", {"action": "rate", "token": "a" * 32, "level": "1",
                                        "reason": "", "text": "", "name": "", "phone": "",
                                        "sms_code": ""})
    assert counted(code) == {date(2026, 3, 3): 3}


def test_the_day_is_the_local_day(code):
    """23:59 and 00:01 in Beijing are two days (15:59 and 16:01 UTC are one)."""
    for moment in (datetime(2026, 12, 31, 23, 59, tzinfo=SH),
                   datetime(2027, 1, 1, 0, 1, tzinfo=SH),
                   datetime(2027, 1, 1, 23, 0, tzinfo=SH)):
        with time_machine.travel(moment, tick=False):
            Client().get(f"/c/{code.token}")
    assert counted(code) == {date(2026, 12, 31): 1, date(2027, 1, 1): 2}
    assert queries.scans(date(2027, 1, 1), date(2027, 1, 31)) == 2
    assert queries.scans(date(2026, 12, 1), date(2027, 1, 1)) == 3
    other = services.issue(Unit.objects.get(code="990102-HALL"), by=None)
    assert queries.scans(date(2026, 12, 1), date(2027, 1, 1),
                         codes=SupervisionCode.objects.filter(pk=other.pk)) == 0


def test_unknown_and_withdrawn_codes_count_nothing(code):
    services.revoke(code.pk, by=None, reason="窗口撤并")
    assert Client().get(f"/c/{code.token}").status_code == 410
    assert Client().get("/c/aaaaaaaaaaaaaaaaaaaa").status_code == 404
    assert not ScanDay.objects.exists()


def test_a_count_that_fails_still_shows_the_page(code, monkeypatch, caplog):
    class Broken:
        ops = connection.ops

        def cursor(self):
            raise DatabaseError("database is locked")

    monkeypatch.setattr(services, "connection", Broken())
    assert Client().get(f"/c/{code.token}").status_code == 200
    assert not ScanDay.objects.exists()
    assert "not counted" in caplog.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_phones_at_once_make_twenty_scans(code):
    if connection.vendor != "postgresql":
        # The SQLite test database is one in-memory database the threads share, whose
        # table locks refuse concurrent writers outright ("database table is locked").
        pytest.skip("concurrent writers: run against PostgreSQL (DATABASE_URL)")
    def scan(_):
        try:
            return Client().get(f"/c/{code.token}").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(scan, range(20)))
    assert statuses == [200] * 20
    assert sum(counted(code).values()) == 20


def test_the_managers_page_shows_each_codes_scans_of_the_last_30_days(
        code, django_assert_num_queries):
    with time_machine.travel(datetime(2026, 3, 3, 10, 0, tzinfo=SH), tick=False):
        Client().get(f"/c/{code.token}")  # 31 days before: not counted
    with time_machine.travel(datetime(2026, 4, 3, 9, 0, tzinfo=SH), tick=False):
        for _ in range(2):
            Client().get(f"/c/{code.token}")
        manager = Client()
        manager.force_login(User.objects.get(username="admin"))
        page = manager.get("/codes/?unit=990102").content.decode()
    shown = dict(re.findall(r'data-testid="code-token">(\w+)</span>.*?'
                            r'data-testid="code-scans">([^<]+)<', page, re.S))
    assert shown[code.token] == "近30天扫码 2 次"
