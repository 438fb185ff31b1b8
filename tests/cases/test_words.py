"""What people read about time (issue 14 §3): a finished stage says when it was done and
by how much it beat or missed its limit; lateness is counted in working time with the
same words on the case page, the supervision board and the reminder letter; limits read
"3 个工作日", not "3d"."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from .conftest import at


def _stage(page: str, stage: str) -> str:
    return re.search(rf'<li data-stage="{stage}">(.*?)</li>', page, re.S).group(1)


def test_a_finished_stage_shows_when_it_was_done_and_its_margin(client_for, make_case, user):
    from qinqing.cases import services

    # Registered Monday 2 November 2026 10:00; the unit's 3 working days run out on
    # Thursday 5 November at 17:30.
    case = make_case("handling", now=at(2026, 11, 2, 10, 0))
    page = client_for("dispatcher").get(f"/cases/{case.number}/").content.decode()
    signed = _stage(page, "sign")
    # The sign stage, done a minute after dispatch, says when, and that it beat the limit.
    assert 'class="done-at"' in signed and "完成于" in signed
    assert "2026-11-02T10:02:00+08:00" in signed  # done at (not only the deadline)
    assert "提前 1 个工作小时" in signed  # 2 working hours' limit, done in a minute
    resolve = _stage(page, "resolve")
    assert "时限 3 个工作日" in resolve and "3d" not in resolve

    # Replied on Friday at 11:00: late by two working hours (9:00-11:00), not "18 hours".
    services.perform(case.number, "reply", user("handler"), {"answer": "已办结。"},
                     now=at(2026, 11, 6, 11, 0))
    page = client_for("dispatcher").get(f"/cases/{case.number}/").content.decode()
    resolve = _stage(page, "resolve")
    assert 'data-status="late"' in resolve
    assert "2026-11-06T11:00:00+08:00" in resolve and "完成于" in resolve
    assert "超期 2 个工作小时" in resolve
    assert "小时" not in resolve.replace("工作小时", "")


def test_lateness_is_in_working_days_on_the_board_and_the_letter_alike(client_for, make_case):
    from qinqing.cases.models import StageClock
    from qinqing.supervision.ladder import working_days_overdue

    case = make_case("handling", now=at(2026, 9, 1, 10, 0))
    clock = StageClock.objects.get(case=case, stage="resolve")
    days = working_days_overdue(clock.due_at, timezone.now())  # what a letter prints
    assert days > 5
    board = client_for("supervisor").get("/supervision/").content.decode()
    row = re.search(rf'<tr data-case="{case.number}">(.*?)</tr>', board, re.S).group(1)
    assert f"超期 {days} 个工作日" in row
    assert not re.search(r"\d+天", row)  # no calendar days
    page = client_for("dispatcher").get(f"/cases/{case.number}/").content.decode()
    assert f"超期 {days} 个工作日" in _stage(page, "resolve")


def test_the_three_overdue_figures_say_what_they_count(client_for, make_case):
    """The dashboard, the board and a campaign gave three "overdue" figures for one city;
    each now names its unit: overdue cases, overdue stages, the campaign's own cases."""
    from django.utils import translation
    from django.utils.translation import gettext

    make_case("handling", now=at(2026, 9, 1, 10, 0))
    board = client_for("supervisor").get("/supervision/").content.decode()
    total = re.search(r'data-testid="total-overdue">([^<]*)<', board).group(1)
    assert "超期环节" in total
    assert "按环节计" in re.search(r'data-testid="totals-definition">([^<]*)<', board).group(1)
    with translation.override("zh-hans"):
        assert gettext("Overdue now") == "当前超期工单"  # the dashboard's figure
        assert gettext("still unresolved") == "本专项仍未清零的工单"  # the campaign's
        assert gettext("overdue at the start") == "启动时逾期的工单"


def test_the_dispatch_form_and_the_history_name_units_not_codes(client_for, make_case):
    from qinqing.cases.models import Case
    from qinqing.org.models import Unit

    from .conftest import LEAD

    lead = Unit.objects.get(code=LEAD)
    case = make_case("received")
    client = client_for("dispatcher")
    page = client.get(f"/cases/{case.number}/").content.decode()
    form = re.search(r'<details[^>]*data-action="dispatch".*?</details>', page, re.S).group(0)
    options = re.findall(r'<option value="[^"]*"[^>]*>([^<]*)</option>', form)
    assert options and not [o for o in options if re.search(r"\d{6}", o)]  # no unit codes
    datalist = re.search(r'<datalist id="unit-options">(.*?)</datalist>', page, re.S).group(1)
    assert f'value="{lead.name}"' in datalist and LEAD not in datalist
    # The unit is picked by its name.
    response = client.post(f"/cases/{case.number}/act/dispatch/", {
        "dispatch-lead_unit": lead.name, "dispatch-reason": "属地市场监管部门负责"})
    assert response.status_code in (200, 302), response.content.decode()[:500]
    case = Case.objects.get(pk=case.pk)
    assert case.lead_unit == lead
    page = client.get(f"/cases/{case.number}/").content.decode()
    history = page[page.index('id="h-timeline"'):]
    assert lead.name in history and LEAD not in history


@pytest.fixture
def admin_client(demo_org):
    from qinqing.org.models import User

    client = Client()
    client.force_login(User.objects.create_superuser("root14", password="x" * 12))
    return client


def test_the_admin_reads_names_and_chinese(admin_client, make_case):
    make_case("handling")
    events = admin_client.get("/admin/cases/caseevent/").content.decode()
    assert "派单" in events and "签收" in events
    assert not re.search(r'<td class="field-\w+">(dispatch|sign|create)</td>', events)
    assert "待派单" in events or "已派单" in events  # states by name
    policies = admin_client.get("/admin/cases/timelimitpolicy/").content.decode()
    assert "3 个工作日" in policies and "1 个工作小时" in policies
    assert not re.search(r">\s*(1h|2h|3d)\s*<", policies)
    index = admin_client.get("/admin/").content.decode()
    assert "Task Results" not in index and "Tasks Database Backend" not in index
    assert "后台任务记录" in index
