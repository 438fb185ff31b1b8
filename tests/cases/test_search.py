"""Finding cases (issue 14 §3): by the enterprise concerned, by the caller's phone (its
keyed hash), by any part of the number, and with filters; within the visible cases and in
a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from .conftest import LEAD, OTHER, at


def _found(client, **params) -> set[str]:
    response = client.get("/cases/", params)
    assert response.status_code == 200
    return set(re.findall(r'data-case="(QQ-[\d-]+)"', response.content.decode()))


@pytest.fixture
def three(make_case):
    """Three cases differing in enterprise, phone, unit, kind, category and date."""
    a = make_case("handling", enterprise_name="示范市清风商贸有限公司", now=at(2026, 3, 2, 10, 0))
    b = make_case("dispatched", lead=OTHER, kind="consultation", category="QT-01",
                  enterprise_name="河阳食品有限公司", now=at(2026, 5, 6, 10, 0),
                  reporter={"name": "李四", "phone": "13900001111"})
    c = make_case("received", kind="report", now=at(2026, 5, 7, 10, 0),
                  reporter={"name": "王五", "phone": "+86 139-0000-1111"})
    return a, b, c


def test_by_enterprise_name_and_part_of_the_number(client_for, three):
    a, b, c = three
    client = client_for("dispatcher")
    assert _found(client, q="清风商贸") == {a.number}
    assert _found(client, q="河阳食品") == {b.number}
    tail = a.number[-6:]
    assert a.number in _found(client, q=tail)
    assert _found(client, q=a.number.lower()) == {a.number}
    assert _found(client, q=a.number[3:]) == {a.number}  # "2026-000123"


def test_by_the_callers_phone_through_its_keyed_hash(client_for, three, monkeypatch):
    from qinqing.cases import confidential

    a, b, c = three

    def no_decrypt(token):
        raise AssertionError("searching by phone must not decrypt")

    monkeypatch.setattr(confidential, "decrypt", no_decrypt)
    # The same number written two ways finds both of its cases; the page shows no reporter.
    assert _found(client_for("dispatcher"), phone="139 0000 1111") == {b.number, c.number}
    # A unit handler may not find a report of misconduct by its reporter's phone, and sees
    # only its unit's cases.
    assert _found(client_for("handler2"), phone="13900001111") == {b.number}
    assert _found(client_for("handler"), phone="13900001111") == set()


def test_roles_that_may_not_see_reporters_cannot_search_by_phone(client_for, three, user):
    from qinqing.cases import queries

    page = client_for("analyst").get("/cases/").content.decode()
    assert 'name="phone"' not in page
    assert 'name="phone"' in client_for("dispatcher").get("/cases/").content.decode()
    found = queries.filtered_cases(user("analyst"), queries.CaseFilters(phone="13900001111"))
    assert not found.exists()


def test_filters(client_for, three):
    a, b, c = three
    client = client_for("dispatcher")
    assert _found(client, unit=OTHER) == {b.number}
    assert _found(client, unit=LEAD) == {a.number}
    assert _found(client, kind="report") == {c.number}
    assert _found(client, state="received") >= {c.number}
    assert a.number not in _found(client, state="received")
    assert _found(client, category="QT-01") >= {b.number}
    assert a.number not in _found(client, category="QT-01")
    assert _found(client, category="SPFW") >= {a.number}  # a top category and all below
    dated = _found(client, **{"from": "2026-05-06", "to": "2026-05-06"})
    assert dated == {b.number}
    assert _found(client, region=a.region.code) >= {a.number}
    page = client.get("/cases/").content.decode()
    for name in ("from", "to", "region", "unit", "category", "kind", "state"):
        assert f'name="{name}"' in page, name
    # Pickers show names, not codes.
    assert re.search(r'<option value="990102-SCJG"[^>]*>[^<0-9]+</option>', page)


def test_search_stays_within_the_visible_cases(client_for, three):
    a, b, c = three
    assert _found(client_for("handler2"), q="清风商贸") == set()
    assert _found(client_for("handler2"), q="河阳食品") == {b.number}


def test_search_takes_a_fixed_number_of_queries(client_for, make_case):
    client = client_for("dispatcher")
    url = "/cases/?q=清风&region=&unit=&category=SPFW&from=2020-01-01&phone=13812345678"
    make_case("handling", enterprise_name="清风甲")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(4):
        make_case("handling", enterprise_name=f"清风{i}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(set(re.findall(r'data-case="(QQ-[\d-]+)"', page))) >= 5
    assert len(many) == len(few)


def test_the_api_finds_by_enterprise_phone_and_part_of_the_number(three, user):
    from qinqing.cases import services

    a, b, c = three
    token = services.issue_token(user("dispatcher"))
    client = Client(headers={"Authorization": f"Bearer {token}"})

    def numbers(**params):
        response = client.get("/api/v1/cases", params)
        assert response.status_code == 200, response.content
        return {row["number"] for row in response.json()["items"]}

    assert numbers(text="清风商贸") == {a.number}
    assert numbers(text=a.number[-6:]) >= {a.number}
    assert numbers(phone="13900001111") == {b.number, c.number}
    token = services.issue_token(user("analyst"))
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert numbers(phone="13900001111") == set()
