from datetime import date

import pytest
from django.http import HttpRequest

from qinqing.worktime.models import CalendarOverride

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, demo_org):
    # django-axes' backend needs the request a real sign-in has (the test client gives none).
    client.login(request=HttpRequest(), username="admin", password="qinqing-demo")
    return client


def test_admin_lists_units_staff_and_overrides_in_chinese(admin_client):
    page = admin_client.get("/admin/org/unit/").content.decode()
    assert "选择 单位 来修改" in page or "单位" in page
    assert "示范市人民政府" in page and "河阳区人民政府" in page
    page = admin_client.get("/admin/org/user/").content.decode()
    assert "工作人员" in page and "王芳" in page
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    page = admin_client.get("/admin/worktime/calendaroverride/").content.decode()
    assert "日历调整" in page and "元旦" in page


def test_admin_warns_about_a_year_without_holiday_data(admin_client, monkeypatch):
    monkeypatch.setattr("qinqing.worktime.queries.timezone.localdate", lambda: date(2026, 11, 22))
    page = admin_client.get("/admin/").content.decode()
    assert 'data-testid="calendar-warning"' in page
    assert "2027 年的法定节假日和调休安排尚未录入" in page
    # Once an administrator enters 2027, the warning goes.
    CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    page = admin_client.get("/admin/").content.decode()
    assert "2027 年的法定节假日" not in page


def test_admin_in_english_when_asked(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log out" in page


def test_unit_admin_lists_in_bounded_queries(admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/org/unit/?all=").status_code == 200


def test_calendar_override_admin_in_english(admin_client):
    page = admin_client.get("/admin/worktime/calendaroverride/",
                            HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Calendar override" in page and "日历调整" not in page
