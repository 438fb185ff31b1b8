"""The staff pages: a bulletin of any period and region, its downloads, publishing,
typical cases; fixed query counts; refusals."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.insights.conftest import CITY_DEPT, COUNTY_UNIT, FULL, at

JAN = {"start": "2026-01-01", "end": "2026-01-31"}


@pytest.fixture
def client_as(demo_org):
    from qinqing.org.models import User

    def make(username):
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return make


def _count(client, url, params) -> int:
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


def test_the_bulletin_page_and_its_fixed_query_count(drive, client_as, settings):
    settings.QINQING_REFDATA_TTL = 3600  # master data read once, however slow the machine
    client = client_as("analyst")
    drive(at(2026, 1, 5, 10), steps=FULL)
    client.get("/insights/bulletin/", JAN)  # warm the master-data cache
    few = _count(client, "/insights/bulletin/", JAN)
    for i in range(5):
        drive(at(2026, 1, 6 + i, 10), steps=FULL[:1 + i], lead=[COUNTY_UNIT, CITY_DEPT][i % 2])
    assert _count(client, "/insights/bulletin/", JAN) == few
    page = client.get("/insights/bulletin/", JAN).content.decode()
    assert 'data-figure="received"' in page and "共受理营商环境领域各类诉求6件" in page


def test_downloads(drive, client_as):
    from openpyxl import load_workbook

    drive(at(2026, 1, 5, 10), steps=FULL)
    client = client_as("supervisor")
    xlsx = client.get("/insights/bulletin/file.xlsx", {**JAN, "region": "990000"})
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    assert load_workbook(io.BytesIO(xlsx.content)).worksheets[0]["A1"].value.startswith("示范市")
    pdf = client.get("/insights/bulletin/file.pdf", JAN)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    data = client.get("/insights/bulletin/file.json", JAN).json()
    assert data["scope"]["region"] == "990000"
    assert client.get("/insights/bulletin/file.exe", JAN).status_code == 404
    assert client.get("/insights/bulletin/file.json", {"start": "x"}).status_code == 422


def test_bad_periods_are_shown_next_to_the_fields(client_as):
    client = client_as("analyst")
    response = client.get("/insights/bulletin/", {"start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 422
    assert "统计期的结束日期早于开始日期" in response.content.decode()
    response = client.get("/insights/bulletin/", {"start": "2026-02-30", "end": "2026-03-01"})
    assert response.status_code == 422


def test_who_may_open_the_pages(client_as):
    assert client_as("handler").get("/insights/bulletin/").status_code == 403
    assert client_as("intake").get("/insights/typical/").status_code == 403
    assert client_as("dispatcher").get("/insights/typical/").status_code == 403
    assert client_as("dispatcher").get("/insights/bulletin/").status_code == 200
    anonymous = Client().get("/insights/bulletin/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    # A county's government staff: their county only.
    county = client_as("leader_county")
    assert county.get("/insights/bulletin/").status_code == 403  # a unit leader's role
    # Publishing needs an editor's role.
    assert client_as("dispatcher").post("/insights/bulletin/publish/", JAN).status_code == 403


def test_typical_case_pages(drive, client_as):
    case = drive(at(2026, 1, 5, 10), steps=FULL,
                 content="示范市清风商贸有限公司反映：营业执照办理超期。")
    client = client_as("analyst")
    assert client.get("/insights/typical/", {"number": case.number}).status_code == 302
    form = client.get(f"/insights/typical/{case.number}/").content.decode()
    assert "某企业反映" in form and "清风商贸" not in form.split("id_summary")[1]
    refused = client.post(f"/insights/typical/{case.number}/",
                          {"title": "执照超期", "summary": "清风商贸有限公司的执照超期"})
    assert refused.status_code == 422 and "请删除企业名称" in refused.content.decode()
    saved = client.post(f"/insights/typical/{case.number}/",
                        {"title": "执照超期", "summary": "某企业执照超期，已办结。"})
    assert saved.status_code == 302
    listing = client.get("/insights/typical/").content.decode()
    assert "执照超期" in listing
    assert client.post(f"/insights/typical/{case.number}/withdraw/").status_code == 302
    assert "执照超期" not in client.get("/insights/typical/").content.decode()
    assert client.get("/insights/typical/QQ-2026-999999/").status_code == 404


def test_publish_from_the_page(drive, client_as):
    drive(at(2026, 1, 5, 10), steps=FULL)
    client = client_as("analyst")
    response = client.post("/insights/bulletin/publish/",
                           {**JAN, "region": "990000", "confirm": "1"})
    assert response.status_code == 302 and response["Location"].startswith("/public/bulletins/")
    unfinished = client.post("/insights/bulletin/publish/",
                             {"start": "2026-01-01", "end": "2030-01-01", "region": "",
                              "confirm": "1"}, follow=True)
    assert "只能发布已结束的统计期" in unfinished.content.decode()


def test_dates_far_away_are_refused_on_the_page(client_as):
    response = client_as("analyst").get("/insights/bulletin/", {"start": "0001-01-01",
                                                                "end": "0001-01-05"})
    assert response.status_code == 422
