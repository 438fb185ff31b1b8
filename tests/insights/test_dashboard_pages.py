"""Dashboard, lobby data and ranking pages: permissions, bad input, numbers from the
metrics module, and a query count that does not grow with the data."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qinqing import refdata
from qinqing.insights import display_tokens, metrics
from qinqing.insights.metrics import Scope
from tests.insights.conftest import UNIT_A, UNIT_B, at

START, END = date(2026, 3, 2), date(2026, 3, 31)
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def signed_in(client, user):
    def sign_in(username):
        client.force_login(user(username))
        return client
    return sign_in


@pytest.fixture
def some_cases(make_case):
    make_case("窗口排队时间长", received=at(2026, 3, 2, 10, 0), until="closed")
    make_case("窗口排队时间长", received=at(2026, 3, 3, 10, 0), until="handling", lead=UNIT_B)
    make_case("咨询营业执照", received=at(2026, 3, 4, 10, 0), kind="consultation")


PAGES = ["/insights/dashboard/", "/insights/dashboard/data.json", "/insights/ranking/"]


@pytest.mark.parametrize("username, allowed", [
    ("analyst", {"/insights/dashboard/", "/insights/dashboard/data.json", "/insights/ranking/"}),
    ("supervisor", {"/insights/dashboard/", "/insights/dashboard/data.json",
                    "/insights/ranking/"}),
    ("admin", {"/insights/dashboard/", "/insights/dashboard/data.json", "/insights/ranking/"}),
    ("leader", {"/insights/ranking/"}),
    ("handler", set()),
    ("intake", set()),
    ("dispatcher", set()),
])
def test_who_may_see_what(signed_in, username, allowed):
    client = signed_in(username)
    for url in PAGES:
        status = client.get(url, PERIOD).status_code
        assert status == (200 if url in allowed else 403), (username, url, status)


def test_anonymous_visitors_are_sent_to_sign_in(client, demo_org):
    for url in PAGES + ["/insights/lobby/"]:
        answer = client.get(url)
        assert answer.status_code == 302 and "/login/" in answer["Location"], url


@pytest.mark.parametrize("params, field, message", [
    ({"start": "2026-02-30"}, "start", "请输入"),
    ({"start": "2026-03-31", "end": "2026-03-01"}, "__all__", "开始日期不能晚于结束日期"),
    ({"start": "2024-01-01", "end": "2026-03-01"}, "__all__", "366"),
    ({"region": "nowhere"}, "region", "nowhere"),
    ({"start": "9999-12-31", "end": "9999-12-31"}, "end", "2099-12-31"),
])
def test_bad_filter_input_gets_a_clear_message(signed_in, params, field, message):
    client = signed_in("analyst")
    page = client.get("/insights/dashboard/", params)
    assert page.status_code == 400
    text = page.content.decode()
    assert 'data-testid="filter-errors"' in text and message in text
    assert 'id="dashboard-data"' not in text  # no figures for a filter that was not used
    data = client.get("/insights/dashboard/data.json", params)
    assert data.status_code == 400
    assert data.json()["code"] == "invalid_filter" and field in data.json()["fields"]
    assert client.get("/insights/ranking/", params).status_code == 400


def test_every_number_is_the_metrics_modules(signed_in, some_cases):
    data = signed_in("analyst").get("/insights/dashboard/data.json", PERIOD).json()
    scope = Scope(START, END)
    expected = metrics.figures(scope, [f["name"] for f in data["headline"]])
    for shown in data["headline"]:
        figure = expected[shown["name"]]
        assert shown["value"] == (None if figure.value is None else str(figure.value))
        assert (shown["numerator"], shown["denominator"]) == (figure.numerator,
                                                              figure.denominator)
        assert shown["formula"] == figure.formula and shown["display"] == figure.text
    panels = {p["id"]: p for p in data["panels"]}
    received = metrics.breakdown("received", scope, "day")
    assert [r[1] for r in panels["trend_day"]["rows"]] == [f.value for _k, _l, f in received]
    closures = metrics.breakdown("closures", scope, "day")
    assert [r[2] for r in panels["trend_day"]["rows"]] == [f.value for _k, _l, f in closures]
    by_kind = {label: f.value for _k, label, f in metrics.breakdown("received", scope, "kind")
               if f.value}
    assert dict(panels["by_kind"]["rows"]) == by_kind
    assert sum(r[1] for r in panels["by_region"]["rows"]) == expected["received"].value


def test_headline_figures_show_their_formula_and_ratio(signed_in, some_cases):
    page = signed_in("analyst").get("/insights/dashboard/", PERIOD).content.decode()
    closure = metrics.figures(Scope(START, END), ["closure_rate"])["closure_rate"]
    assert closure.denominator == 2 and closure.numerator == 1
    assert f"{closure.numerator} / {closure.denominator}" in page
    assert closure.formula in page
    assert "边界数据" in page  # the region panel says why there is no map


def _queries(client, url, params) -> int:
    refdata.reset_all()  # master data and hot topics loaded afresh each time
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/insights/dashboard/", "/insights/dashboard/data.json",
                                 "/insights/ranking/"])
def test_query_count_does_not_grow_with_days_units_or_cases(signed_in, make_case, url):
    client = signed_in("analyst")
    make_case("窗口排队", received=at(2026, 3, 2, 10, 0), until="closed")
    few = _queries(client, url, PERIOD)
    for day in range(3, 20):
        make_case("窗口排队", received=at(2026, 3, day, 10, 0),
                  until="closed" if day % 2 else "handling",
                  lead=UNIT_A if day % 3 else UNIT_B, region="990102" if day % 4 else "990103")
    assert _queries(client, url, PERIOD) == few


def test_lobby_data_for_staff_and_for_a_valid_display_token(client, signed_in, user,
                                                            some_cases):
    answer = client.get("/insights/lobby/data.json")
    assert answer.status_code == 401
    row, token = display_tokens.issue_display_token("大厅屏幕", None, user("admin"))
    shown = client.get("/insights/lobby/data.json", HTTP_X_DISPLAY_TOKEN=token)
    assert shown.status_code == 200
    assert [f["name"] for f in shown.json()["headline"]][:2] == ["received", "closed"]
    assert client.get("/insights/lobby/data.json",
                      HTTP_X_DISPLAY_TOKEN=token[:-1] + "x").status_code == 401
    display_tokens.revoke_display_tokens([row.pk])
    assert client.get("/insights/lobby/data.json", HTTP_X_DISPLAY_TOKEN=token).status_code == 401
    assert row.token_hash != token and token not in str(list(
        type(row).objects.values_list("token_hash", "name")))
    assert signed_in("handler").get("/insights/lobby/data.json").status_code == 200


def test_a_regional_token_shows_its_region_only(client, user, some_cases):
    from qinqing.org.models import Unit

    _row, token = display_tokens.issue_display_token(
        "县大厅", Unit.objects.get(code="990103"), user("admin"))
    data = client.get("/insights/lobby/data.json", {"region": ""},
                      HTTP_X_DISPLAY_TOKEN=token).json()
    assert data["scope"]["region"] == "990103"


def test_lobby_pages(client, signed_in, demo_org):
    assert client.get("/insights/lobby/screen/").status_code == 200  # the shell, no figures
    page = signed_in("handler").get("/insights/lobby/", {"cycle": "5", "refresh": "30"})
    text = page.content.decode()
    assert 'data-cycle="5"' in text and 'data-refresh="30"' in text
    bad = signed_in("handler").get("/insights/lobby/", {"cycle": "0"})
    assert bad.status_code == 400 and "2" in bad.content.decode()


def test_lobby_data_query_count_does_not_grow(signed_in, make_case):
    from datetime import timedelta

    from django.utils import timezone

    client = signed_in("analyst")
    now = timezone.now().replace(microsecond=0)
    make_case("窗口排队", received=now - timedelta(days=20), until="closed")
    few = _queries(client, "/insights/lobby/data.json", {})
    for day in range(1, 15):
        make_case("窗口排队", received=now - timedelta(days=day, hours=1),
                  until="closed" if day % 2 else "handling",
                  lead=UNIT_A if day % 3 else UNIT_B, region="990102" if day % 4 else "990103")
    assert _queries(client, "/insights/lobby/data.json", {}) == few
    data = client.get("/insights/lobby/data.json").json()
    assert next(f for f in data["headline"] if f["name"] == "received")["value"] == "15"


def test_admin_issues_a_display_token_once_and_keeps_only_its_hash(client, user, demo_org):
    import hashlib
    import re

    from qinqing.insights.dashboard_models import DisplayToken

    client.force_login(user("admin"))
    answer = client.post("/admin/insights/displaytoken/add/", {"name": "市民中心大屏", "region": ""},
                         follow=True)
    assert answer.status_code == 200
    token = re.search(r"/insights/lobby/screen/#token=([\w-]+)", answer.content.decode()).group(1)
    row = DisplayToken.objects.get(name="市民中心大屏")
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.created_by.username == "admin"
    client.logout()
    assert client.get("/insights/lobby/data.json", HTTP_X_DISPLAY_TOKEN=token).status_code == 200
