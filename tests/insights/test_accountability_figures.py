"""Accountability outcomes by sanction (domain.md §2, §10): counted by qinqing.oversight's
records, shown by the metrics module, the bulletin (web, Excel, summary) and the API —
counts only, never a name."""

from __future__ import annotations

import io
from datetime import date

import pytest

from qinqing.insights import bulletins, exports
from qinqing.insights.metrics import InvalidScope, Scope, breakdowns, figures
from tests.insights.conftest import DISCIPLINE, FULL, at

MARCH = Scope(date(2026, 3, 1), date(2026, 3, 31), region="990000")
HEYANG = Scope(date(2026, 3, 1), date(2026, 3, 31), region="990102")
NAME = "钱多多"


@pytest.fixture
def records(drive, user):
    """Three officials held accountable in March (two of 河阳区's market regulator, one of a
    city department), one in February."""
    from qinqing.oversight import services

    # Dispatched to the discipline commission: the inspector may see (and cite) it.
    case = drive(at(2026, 2, 10, 10), kind="report", steps=FULL[:2], lead=DISCIPLINE)
    inspector = user("inspector")
    for unit, sanction, day in (("990102-SCJG", "party-warning", 3),
                                ("990102-SCJG", "admonishment-talk", 4),
                                ("990000-D14", "party-warning", 5),
                                ("990102-SCJG", "police-referral", None)):
        decided = date(2026, 3, day) if day else date(2026, 2, 20)
        services.record_accountability(inspector, {
            "cases": case.number, "official_name": NAME, "official_position": "科长",
            "official_unit": unit, "sanction": sanction, "decided_by": "示范市纪委监委",
            "decided_on": decided, "notes": ""}, now=at(2026, 3, 31, 12))
    return case


def test_figure_and_breakdown_by_sanction(records):
    total = figures(MARCH, ["accountability_outcomes"])["accountability_outcomes"]
    assert total.value == 3 and "按决定日期统计" in total.formula
    rows = {key: f.value for key, _label, f in
            breakdowns(["accountability_outcomes"], MARCH, "sanction")["accountability_outcomes"]}
    assert rows["party-warning"] == 2 and rows["admonishment-talk"] == 1
    assert rows["police-referral"] == 0  # decided in February
    assert len(rows) == 9  # every active sanction type is listed
    assert figures(HEYANG, ["accountability_outcomes"])["accountability_outcomes"].value == 2


def test_accountability_breaks_down_by_sanction_only(records):
    with pytest.raises(InvalidScope):
        breakdowns(["accountability_outcomes"], MARCH, "region")
    with pytest.raises(InvalidScope):
        breakdowns(["received"], MARCH, "sanction")


def test_bulletin_shows_counts_by_sanction_and_no_name(records):
    doc = bulletins.document(MARCH, region_name="示范市")
    assert doc["accountability"]["value"] == "3"
    assert [(r["group"], r["value"]) for r in doc["by_sanction"]] == [
        ("党内警告", "2"), ("诫勉谈话", "1")]
    assert "本期对3名责任人进行了问责，其中党内警告2人、诫勉谈话1人。" in doc["summary"]
    assert NAME not in str(doc)
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exports.to_xlsx(doc))).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert ["党内警告", 2] in [[r[1], r[3]] for r in cells if len(r) > 3]
    assert NAME not in str(cells)


def test_a_document_stored_before_accountability_still_renders(records):
    doc = bulletins.document(MARCH, region_name="示范市")
    for key in ("accountability", "by_sanction"):
        doc.pop(key)
    assert "问责" not in bulletins.summary(doc)
    exports.to_xlsx(doc)  # no KeyError


def test_api_by_sanction(records, api):
    def api_get(username, **query):
        return api.get("/metrics", as_=username, params=query)

    answer = api_get("analyst", start="2026-03-01", end="2026-03-31", by="sanction")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [f["value"] for f in body["figures"] if f["name"] == "accountability_outcomes"] == ["3"]
    groups = {g["key"]: g["figures"][0]["value"] for g in body["groups"]}
    assert groups["party-warning"] == "2"
    assert NAME not in answer.content.decode()
    bad = api_get("analyst", start="2026-03-01", end="2026-03-31", by="sanction",
                  names="received")
    assert bad.status_code == 422
