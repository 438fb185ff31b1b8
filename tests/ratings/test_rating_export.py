"""The GB/T 39046 export of ratings (issue 17 §3): its columns in the standard's order,
the level as the standard numbers it or reversed, masked phones, default ratings flagged;
the command and the managers' download."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook

from qinqing.codes import services as code_services
from qinqing.org.models import Unit
from qinqing.ratings import case_ratings, defaults, export, invitations, services
from qinqing.ratings.models import Invitation
from tests.ratings.case_helpers import PHONE, at, close_case, user

pytestmark = pytest.mark.django_db

STANDARD = ["办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度", "满意度代码",
            "文字评价", "行政区划"]


@pytest.fixture
def rated(demo_org, settings):
    """A case rated 满意 by SMS link, another given the default, a window rated 非常满意
    by scan (anonymous): all in March 2026."""
    settings.QINQING_RATING_DEFAULT_LEVEL = 3
    first = close_case(at(2026, 3, 2, 10, 0))
    second = close_case(at(2026, 3, 2, 11, 0))
    invitations.sweep(now=at(2026, 3, 2, 13, 0))
    one = Invitation.objects.get(case=first)
    case_ratings.rate_case(one, {"level": 2, "text": "=很满意"}, token="a" * 32,
                           now=at(2026, 3, 3, 9, 30, 5), service_item="11370000MB0001 营业执照")
    defaults.give_due(at(2026, 3, 9, 14, 0))
    code = code_services.issue(Unit.objects.get(code="990102-W01"), by=None)
    services.rate(code, {"level": 1}, token="b" * 32, address="10.0.0.1",
                  now=at(2026, 3, 4, 10, 0))
    return first, second


def rows_of(data: bytes) -> list[list]:
    sheet = load_workbook(BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_columns_follow_the_standard_and_each_field_is_coded(rated):
    first, second = rated
    rows = rows_of(export.as_bytes(export.period(date(2026, 3, 1), date(2026, 3, 31))))
    assert rows[0][:9] == STANDARD
    assert rows[0][9:] == ["事项编码/名称", "评价对象", "受理部门", "差评原因", "整改办件编号",
                           "默认评价"]
    sms, scan, default = rows[1:]
    assert sms[:9] == [first.number, 7, "138****5678", "20260303T093005", 1, "满意", 2,
                       "=很满意", first.region.code]
    assert sms[9] == "11370000MB0001 营业执照" and sms[10] == f"办件 {first.number}"
    assert sms[14] == "否"
    # Empty fields are empty cells: no case, an anonymous rater.
    assert scan[0] is None and scan[1] == 3 and scan[2] is None and scan[6] == 1
    assert default[0] == second.number and default[5] == "基本满意" and default[6] == 3
    assert default[2] is None and default[14] == "是"
    assert len(rows) == 4


def test_the_reversed_numbering_for_interfaces_that_count_the_other_way(rated):
    rows = rows_of(export.as_bytes(export.period(date(2026, 3, 1), date(2026, 3, 31)),
                                   reversed_levels=True))
    assert rows[0][6] == "满意度代码（1=非常不满意）"
    assert [row[6] for row in rows[1:]] == [4, 5, 3]  # 满意 2→4, 非常满意 1→5, 基本满意 3→3
    assert [row[5] for row in rows[1:]] == ["满意", "非常满意", "基本满意"]


def test_the_period_bounds_are_local_days(rated):
    rows = rows_of(export.as_bytes(export.period(date(2026, 3, 3), date(2026, 3, 3))))
    assert len(rows) == 2
    with pytest.raises(ValueError):
        export.period(date(2026, 3, 3), date(2026, 3, 2))
    with pytest.raises(ValueError):
        export.period(date(2025, 1, 1), date(2026, 3, 2))


def test_the_command_writes_the_file_and_full_phones_only_when_asked(rated, tmp_path):
    out = tmp_path / "ratings.xlsx"
    call_command("ratings", "export", "--from", "2026-03-01", "--to", "2026-03-31",
                 "--out", str(out))
    assert rows_of(out.read_bytes())[1][2] == "138****5678"
    call_command("ratings", "export", "--from", "2026-03-01", "--to", "2026-03-31",
                 "--out", str(out), "--full-phones", "--reversed")
    rows = rows_of(out.read_bytes())
    assert rows[1][2] == PHONE and rows[1][6] == 4
    for bad in (["--from", "2026-13-01", "--to", "2026-03-31"],
                ["--from", "2026-03-31", "--to", "2026-03-01"]):
        with pytest.raises(CommandError):
            call_command("ratings", "export", *bad, "--out", str(out))


def test_the_download_is_for_managers_with_masked_phones(rated):
    url = "/ratings/export/?from=2026-03-01&to=2026-03-31"
    assert Client().get(url).status_code in (302, 403)
    handler = Client()
    handler.force_login(user("handler"))
    assert handler.get(url).status_code == 403
    manager = Client()
    manager.force_login(user("supervisor"))
    answer = manager.get(url)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = rows_of(answer.content)
    assert rows[1][2] == "138****5678" and len(rows) == 4
    assert manager.get(url + "&reversed=1").status_code == 200
    bad = manager.get("/ratings/export/?from=2026-03-31&to=2026-03-01")
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    assert "YYYY-MM-DD" in manager.get("/ratings/export/?from=x&to=y").content.decode()


def test_the_download_runs_the_same_statements_for_one_rating_or_many(
        rated, django_assert_num_queries):
    manager = Client()
    manager.force_login(user("supervisor"))
    manager.get("/ratings/export/?from=2026-03-03&to=2026-03-03")  # warm the session
    one = "/ratings/export/?from=2026-03-03&to=2026-03-03"
    every = "/ratings/export/?from=2026-03-01&to=2026-03-31"
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        manager.get(one)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(rows_of(manager.get(every).content)) == 4


def test_the_managers_page_offers_the_period_in_chinese(demo_org):
    manager = Client()
    manager.force_login(user("supervisor"))
    page = manager.get("/ratings/export/")
    html = page.content.decode()
    assert page.status_code == 200 and "评价导出" in html and "GB/T 39046" in html
    assert 'name="from"' in html and 'name="to"' in html and "反向编号" in html
    assert 'aria-current="page"' in html  # the menu's item
