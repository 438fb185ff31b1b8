"""The audit of unmaskings: who may read it, what it shows, its filters, its cost, and
the Excel export (formula-looking text stays text)."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from qinqing.cases import services
from qinqing.cases.models import UnmaskLog
from qinqing.demo.city import DEMO_PASSWORD
from qinqing.web.navigation import items_for

URL = "/audit/unmask/"
XLSX = "/audit/unmask/export.xlsx"


def _client(username: str) -> Client:
    client = Client()
    assert client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD)
    return client


@pytest.fixture
def unmasked(make_case, user):
    """Two cases, three unmaskings by two people; the last reason looks like a formula."""
    first, second = make_case("dispatched"), make_case("dispatched")
    services.unmask_reporters(first.number, user("dispatcher"), "回访核实身份")
    services.unmask_reporters(second.number, user("callback"), "回访联系不上，核对号码")
    services.unmask_reporters(second.number, user("dispatcher"), "=HYPERLINK(\"http://x\")")
    return first, second


@pytest.mark.parametrize("username", ["inspector", "admin"])
def test_auditors_read_the_log(unmasked, username):
    first, second = unmasked
    page = _client(username).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "查看身份审计" in html
    for text in (first.number, second.number, "回访核实身份", "李强", "陈静", "张**",
                 "138****5678"):
        assert text in html
    assert "张三丰" not in html and "13812345678" not in html  # whose data: masked only


@pytest.mark.parametrize("username", ["intake", "dispatcher", "handler", "leader",
                                      "callback", "supervisor", "analyst"])
def test_everyone_else_gets_403(unmasked, username):
    client = _client(username)
    assert client.get(URL).status_code == 403
    assert client.get(XLSX).status_code == 403


def test_the_menu_offers_it_to_auditors_only(user, demo_org):
    def offered(username):
        return "audit:unmask" in [item.url_name for item in items_for(user(username))]

    assert offered("inspector") and offered("admin")
    assert not any(offered(name) for name in ("dispatcher", "supervisor", "analyst",
                                              "handler", "callback", "intake"))


def test_filters_by_user_case_and_dates(unmasked):
    first, second = unmasked
    client = _client("inspector")
    html = client.get(URL, {"user": "callback"}).content.decode()
    assert "核对号码" in html and "回访核实身份" not in html
    html = client.get(URL, {"case": first.number.lower()}).content.decode()
    assert "回访核实身份" in html and "核对号码" not in html
    # An unmasking moved to last week falls out of a range that starts today.
    UnmaskLog.objects.filter(case=first).update(at=timezone.now() - timedelta(days=7))
    today = timezone.localdate()
    html = client.get(URL, {"since": today.isoformat()}).content.decode()
    assert "核对号码" in html and "回访核实身份" not in html
    html = client.get(URL, {"until": (today - timedelta(days=1)).isoformat()}).content.decode()
    assert "回访核实身份" in html and "核对号码" not in html


def test_a_page_costs_the_same_statements_however_many_rows(make_case, user,
                                                            django_assert_num_queries):
    client = _client("inspector")
    case = make_case("dispatched")
    services.unmask_reporters(case.number, user("dispatcher"), "一")
    client.get(URL)  # warm up: session, master data
    with django_assert_num_queries(7) as one:
        client.get(URL)
    for i in range(12):
        services.unmask_reporters(case.number, user("callback" if i % 2 else "dispatcher"),
                                  f"第{i}次")
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(URL)
    assert page.content.decode().count("<tr>\n") == 13


def test_pages_of_fifty(make_case, user):
    case = make_case("dispatched")
    dispatcher = user("dispatcher")
    for i in range(51):
        services.unmask_reporters(case.number, dispatcher, f"理由{i:02d}")
    client = _client("admin")
    html = client.get(URL).content.decode()
    assert html.count("<tr>\n") == 50 and "理由50" in html and "理由00" not in html
    html = client.get(URL, {"page": 2}).content.decode()
    assert html.count("<tr>\n") == 1 and "理由00" in html


def test_the_excel_export_keeps_formulas_as_text(unmasked):
    from openpyxl import load_workbook

    first, second = unmasked
    response = _client("inspector").get(XLSX, {"case": second.number})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "工作人员", "账号", "单位", "工单编号", "反映人（已遮蔽）", "理由")
    assert len(rows) == 3  # the header and the second case's two unmaskings
    reasons = {row[6].value: row[6] for row in list(sheet.iter_rows())[1:]}
    assert set(reasons) == {'=HYPERLINK("http://x")', "回访联系不上，核对号码"}
    # Text, with Excel's quote prefix: editing the cell keeps it text.
    formula = reasons['=HYPERLINK("http://x")']
    assert formula.data_type == "s" and formula.quotePrefix
    assert all(row[4] == second.number and row[5] == "张** 138****5678" for row in rows[1:])
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not any(cell.data_type == "f" for cell in cells)
