"""GET /api/v1/metrics: validation, who may read which scope, and a fixed query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.insights.conftest import CITY_DEPT, COUNTY_UNIT, FULL, at

JAN = {"start": "2026-01-01", "end": "2026-01-31"}


@pytest.fixture
def cases(drive):
    drive(at(2026, 1, 5, 10), steps=FULL, lead=COUNTY_UNIT, region="990102")
    drive(at(2026, 1, 5, 10), steps=FULL, lead=CITY_DEPT)
    drive(at(2026, 1, 6, 10), kind="consultation", steps=[("answer", 1)], region="990103")


def _values(body) -> dict:
    return {f["name"]: f["value"] for f in body["figures"]}


def test_figures_with_their_parts(cases, api):
    body = api.get("/metrics", params={**JAN, "names": "received,closure_rate"}).json()
    assert [f["name"] for f in body["figures"]] == ["received", "closure_rate"]
    closure = body["figures"][1]
    assert (closure["numerator"], closure["denominator"], closure["value"]) == (2, 2, "1")
    assert closure["formula"] and closure["label"] and closure["text"] == "100.0%"
    repeated = api.get("/metrics", params={**JAN, "names": ["received", "routed"]}).json()
    assert [f["name"] for f in repeated["figures"]] == ["received", "routed"]


def test_breakdown_and_filters(cases, api):
    body = api.get("/metrics", params={**JAN, "names": "received", "by": "region"}).json()
    assert {g["key"]: g["figures"][0]["value"] for g in body["groups"]} == {
        "990000": "1", "990102": "1", "990103": "1"}
    county = api.get("/metrics", params={**JAN, "region": "990102"}).json()
    assert _values(county)["received"] == "1" and county["scope"]["region"] == "990102"
    kind = api.get("/metrics", params={**JAN, "kind": "consultation", "channel": "hotline",
                                       "category": "SPFW"}).json()
    assert _values(kind)["received"] == "1"


@pytest.mark.parametrize("params, field", [
    ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
    ({"start": "2026-01-01", "end": "2066-01-01"}, "end"),
    ({"start": "2026-13-01", "end": "2026-01-31"}, "start"),
    ({"end": "2026-01-31"}, "start"),
    ({**JAN, "names": "received,nope"}, "names"),
    ({**JAN, "by": "weekday"}, "by"),
    ({**JAN, "region": "990102-SCJG"}, "region"),
    ({**JAN, "unit": "NOPE"}, "unit"),
    ({**JAN, "kind": "gossip"}, "kind"),
    ({**JAN, "category": "NOPE"}, "category"),
])
def test_bad_queries_are_refused_with_the_field(demo_org, api, params, field):
    response = api.get("/metrics", params=params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"], body


def test_who_may_read_which_scope(cases, api):
    assert api.get("/metrics", as_=None, params=JAN).status_code == 401
    # A county government's member: that county by default, nothing outside it.
    own = api.get("/metrics", as_="leader_county", params=JAN)
    assert own.status_code == 200 and own.json()["scope"]["region"] == "990102"
    assert _values(own.json())["received"] == "1"
    assert api.get("/metrics", as_="leader_county",
                   params={**JAN, "region": "990000"}).status_code == 403
    assert api.get("/metrics", as_="leader_county",
                   params={**JAN, "unit": COUNTY_UNIT}).status_code == 200
    # A department's member: the cases their unit leads.
    handler = api.get("/metrics", as_="handler", params=JAN)
    assert handler.status_code == 200 and handler.json()["scope"]["unit"] == COUNTY_UNIT
    for params in ({"region": "990102"}, {"unit": CITY_DEPT}, {"unit": "990102"}):
        response = api.get("/metrics", as_="handler", params={**JAN, **params})
        assert response.status_code == 403, params
        assert response.json()["code"] == "forbidden"
    # The city's staff: anything.
    assert api.get("/metrics", as_="analyst", params={**JAN, "unit": CITY_DEPT}).status_code == 200


def _count(api, params) -> int:
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/metrics", params=params).status_code == 200
    return len(captured)


def test_the_query_count_does_not_grow_with_cases(drive, api, settings):
    settings.QINQING_REFDATA_TTL = 3600  # master data read once, however slow the machine
    params = {**JAN, "by": "unit"}
    drive(at(2026, 1, 5, 10), steps=FULL)
    api.get("/metrics", params=params)  # warm the master-data cache
    few = _count(api, params)
    for i in range(6):
        drive(at(2026, 1, 7 + i, 10), steps=FULL[:2 + i % 4], lead=[COUNTY_UNIT, CITY_DEPT][i % 2])
    assert _count(api, params) == few
