"""Bulletins: the summary's numbers, typical cases (anonymised), publishing, the public page
and open data, the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from qinqing.cases.errors import Forbidden, InvalidInput
from qinqing.insights import bulletins, queries, services
from qinqing.insights.metrics import Scope
from tests.insights.conftest import CITY_DEPT, DISCIPLINE, FULL, at

JAN = Scope(date(2026, 1, 1), date(2026, 1, 31), region="990000")
TODAY = date(2026, 3, 1)


@pytest.fixture
def january(drive):
    """A small January: answered, routed to three destinations, closed, in progress."""
    drive(at(2026, 1, 5, 10), kind="consultation", steps=[("answer", 2)])
    drive(at(2026, 1, 5, 10), kind="consultation", steps=[("answer", 3)])
    drive(at(2026, 1, 6, 10), steps=FULL)
    drive(at(2026, 1, 6, 11), steps=FULL, lead=CITY_DEPT)
    drive(at(2026, 1, 7, 10), kind="report", steps=FULL[:2], lead=DISCIPLINE)
    return drive(at(2026, 1, 8, 10), steps=FULL,
                 content="示范市清风商贸有限公司反映：张三（电话13800000001）的营业执照办理超期。")


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def test_every_number_of_the_summary_is_a_figure(january):
    doc = bulletins.document(JAN, region_name="示范市")
    allowed = {"2026", "1", "31"} | {str(int(d)) for d in doc["computed_at"][:10].split("-")}
    for figure in doc["figures"] + doc["by_destination"]:
        allowed |= {str(figure["value"]), str(figure["numerator"]), str(figure["denominator"])}
        allowed |= _numbers(figure["text"])
    assert _numbers(doc["summary"]) <= allowed, _numbers(doc["summary"]) - allowed
    assert "共受理营商环境领域各类诉求6件" in doc["summary"]
    assert "办结率75.0%（3÷4）" in doc["summary"]
    assert "转纪委监委1件、转市直部门1件、转县（市、区）2件" in doc["summary"]


def test_an_empty_period_says_so(demo_org):
    doc = bulletins.document(JAN, region_name="示范市")
    assert doc["summary"].endswith("本期没有需要办理的事项。")
    assert [f["text"] for f in doc["figures"] if f["name"] == "closure_rate"] == ["—"]


# -------------------------------------------------------------------- typical cases

def test_typical_cases_must_be_anonymous(january, user):
    analyst = user("analyst")
    number = january.number
    draft = queries.draft_summary(january)
    assert "清风商贸" not in draft and "13800000001" not in draft and "某企业" in draft
    for text, field in (("张三的营业执照办理超期", "summary"),
                        ("示范市清风商贸有限公司的执照", "summary"),
                        ("请致电13912345678了解", "summary"),
                        ("身份证11010519491231002X", "summary")):
        with pytest.raises(InvalidInput) as err:
            services.mark_typical(analyst, number, title="执照办理超期", summary=text)
        assert field in err.value.fields, text
    with pytest.raises(InvalidInput) as err:
        services.mark_typical(analyst, number, title="张三的执照", summary=draft)
    assert "title" in err.value.fields
    # With the names' owners' consent staff may name them (never phone or ID numbers).
    services.mark_typical(analyst, number, title="执照办理超期", names_publishable=True,
                          summary="示范市清风商贸有限公司同意公开：执照超期已办结。")
    with pytest.raises(InvalidInput):
        services.mark_typical(analyst, number, title="执照办理超期", names_publishable=True,
                              summary="联系电话13800000001")
    typical = services.mark_typical(analyst, number, title="执照办理超期", summary=draft)
    assert typical.summary == draft and not typical.names_publishable


def test_only_editors_choose_typical_cases(january, user):
    with pytest.raises(Forbidden):
        services.mark_typical(user("handler"), january.number, title="t", summary="s")


def test_typical_cases_of_the_scope_are_in_the_bulletin(january, user):
    services.mark_typical(user("analyst"), january.number, title="执照办理超期",
                          summary="某企业反映执照办理超期，已督促办结。")
    doc = bulletins.document(JAN, region_name="示范市")
    assert [c["title"] for c in doc["typical_cases"]] == ["执照办理超期"]
    assert "典型案例" in doc["summary"]
    feb = bulletins.document(Scope(date(2026, 2, 1), date(2026, 2, 28), region="990000"),
                             region_name="示范市")
    assert feb["typical_cases"] == []
    services.withdraw_typical(user("analyst"), january.number)
    assert bulletins.document(JAN, region_name="示范市")["typical_cases"] == []


# ----------------------------------------------------------------------- publishing

def test_publish_then_the_public_page(january, user, django_assert_num_queries):
    analyst = user("analyst")
    with pytest.raises(InvalidInput) as err:
        services.publish_bulletin(analyst, date(2026, 3, 1), date(2026, 3, 31), "990000",
                                  today=TODAY)
    assert "end" in err.value.fields
    with pytest.raises(Forbidden):
        services.publish_bulletin(user("handler"), JAN.start, JAN.end, "990000", today=TODAY)
    first = services.publish_bulletin(analyst, JAN.start, JAN.end, "990000", today=TODAY)
    again = services.publish_bulletin(analyst, JAN.start, JAN.end, "990000", today=TODAY)
    first.refresh_from_db()
    assert first.withdrawn_at is not None and again.withdrawn_at is None
    county = services.publish_bulletin(analyst, JAN.start, JAN.end, "990102", today=TODAY)

    client = Client()  # nobody signed in
    with django_assert_num_queries(2):  # the bulletins, the listed cases
        page = client.get("/public/figures/")
    assert page.status_code == 200
    html = page.content.decode()
    assert again.title in html and county.title in html
    assert f'data-region="990000"' in html and 'data-figure="closure_rate">75.0%' in html
    detail = client.get(f"/public/bulletins/{again.pk}/")
    assert detail.status_code == 200 and again.document["summary"] in detail.content.decode()
    assert client.get(f"/public/bulletins/{first.pk}/").status_code == 404  # replaced
    for fmt in ("xlsx", "pdf", "json"):
        response = client.get(f"/public/bulletins/{again.pk}.{fmt}")
        assert response.status_code == 200 and response.content, fmt
    assert client.get(f"/public/bulletins/{again.pk}.exe").status_code == 404
    services.withdraw_bulletin(analyst, county.pk)
    assert county.title not in client.get("/public/figures/").content.decode()


def test_open_data_has_the_published_figures(january, user, django_assert_num_queries):
    published = services.publish_bulletin(user("analyst"), JAN.start, JAN.end, "990000",
                                          today=TODAY)
    client = Client()
    with django_assert_num_queries(1):
        data = client.get("/public/figures.json").json()
    rows = [r for r in data["rows"] if r["table"] == "figures"]
    closure = next(r for r in rows if r["name"] == "closure_rate")
    assert (closure["numerator"], closure["denominator"], closure["region_code"]) == (3, 4, "990000")
    assert closure["formula"] and closure["value"] == "0.75"
    destinations = {r["group_key"]: r["value"] for r in data["rows"]
                    if r["table"] == "by_destination"}
    assert destinations == {"discipline_commission": "1", "city_departments": "1",
                            "counties": "2"}
    body = client.get("/public/figures.csv").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(body)))
    assert len(table) == len(data["rows"])
    assert next(r for r in table if r["name"] == "closure_rate" and r["table"] == "figures")[
        "denominator"] == "4"
    assert published.document["figures"][0]["value"] == "6"


def test_the_public_page_shows_listed_cases_anonymised(drive, user,
                                                     django_assert_num_queries):
    from django.utils import timezone

    from qinqing.supervision import services as supervision

    case = drive(at(2026, 1, 8, 10), steps=FULL[:2],
                 content="示范市清风商贸有限公司反映：张三（电话13800000001）的营业执照办理超期。")
    supervision.list_case(case.number, user("supervisor"), reason="逾期未办结",
                          deadline=timezone.localdate() + timezone.timedelta(days=5))
    with django_assert_num_queries(2):
        html = Client().get("/public/figures/").content.decode()
    assert f'data-case="{case.number}"' in html and 'href="/public/listed/"' in html
    assert "张三" not in html and "13800000001" not in html and "清风商贸" not in html


def test_the_public_page_without_bulletins(demo_org):
    page = Client().get("/public/figures/")
    assert page.status_code == 200 and "data-region" not in page.content.decode()
    assert Client().get("/public/figures.json").json()["rows"] == []


# ----------------------------------------------------------------------------- CLI

def test_cli_writes_each_format(january, tmp_path):
    out = io.StringIO()
    for fmt in ("json", "xlsx", "pdf"):
        path = tmp_path / f"b.{fmt}"
        call_command("bulletin", "--from", "2026-01-01", "--to", "2026-01-31", "--format", fmt,
                     "--out", str(path), stdout=out)
        assert path.stat().st_size > 0
    doc = json.loads((tmp_path / "b.json").read_text())
    assert doc["scope"]["region"] == "990000"
    assert {f["name"]: f["value"] for f in doc["figures"]}["received"] == "6"


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-02-30", "--to", "2026-03-01"], "--from '2026-02-30'"),
    (["--from", "2026-03-01", "--to", "2026-02-01"], "is before --from"),
    (["--from", "2026-01-01", "--to", "2026-01-31", "--region", "990102-SCJG"], "--region"),
    (["--from", "2026-01-01", "--to", "2026-01-31", "--region", "nope"], "--region"),
])
def test_cli_refuses_bad_arguments(demo_org, tmp_path, args, message):
    with pytest.raises(CommandError) as err:
        call_command("bulletin", *args, "--format", "json", "--out", str(tmp_path / "x.json"))
    assert message in str(err.value)
    assert not (tmp_path / "x.json").exists()


def test_cli_refuses_a_missing_folder(demo_org, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("bulletin", "--from", "2026-01-01", "--to", "2026-01-31", "--format",
                     "json", "--out", str(tmp_path / "no" / "x.json"))
