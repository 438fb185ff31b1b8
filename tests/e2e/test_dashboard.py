"""The dashboard and the lobby display in a real browser, over the demo city's cases."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from fractions import Fraction

import pytest

from tests.e2e.workbench import SCREENSHOTS, check_page, expect, screenshot

pytestmark = pytest.mark.e2e

CHARTS = ["trend_day", "trend_week", "by_kind", "by_channel", "by_region", "overdue_by_unit",
          "hot_topics"]
WALL = {"width": 1920, "height": 1080}


def _drawn(page, chart_id: str) -> bool:
    """True when ECharts painted something on the chart's canvas (not a blank box)."""
    return page.evaluate("""id => {
        const canvas = document.querySelector('#chart-' + id + ' canvas');
        if (!canvas || !canvas.width) return false;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4 * 7) if (data[i]) return true;
        return false;
    }""", chart_id)


def test_dashboard_draws_every_chart_with_its_numbers_as_a_table(wb):
    page = wb.page("analyst", viewport={"width": 1400, "height": 900})
    answer = page.goto("/insights/dashboard/")
    assert answer.status == 200
    expect(page.locator("h1")).to_contain_text("数据看板")
    for chart in CHARTS:
        expect(page.locator(f"#chart-{chart}")).to_have_attribute("data-rendered", "true")
        assert _drawn(page, chart), f"{chart}: nothing drawn"
        expect(page.locator(f"table[data-panel='{chart}'] tbody tr").first).to_be_attached()
    # A chart's tooltip, drawn on hover: under the Content-Security-Policy (the conftest
    # fails on any violation), so it must not be ECharts' HTML tooltip with style attributes.
    box = page.locator("#chart-trend_day canvas").first.bounding_box()
    for step in (0.3, 0.5, 0.7):
        page.mouse.move(box["x"] + box["width"] * step, box["y"] + box["height"] / 2)
        page.wait_for_timeout(200)
    # A headline figure's formula and ratio, in a details element and on hover.
    closure = page.locator("li[data-metric='closure_rate']")
    assert "÷" in closure.get_attribute("title")
    closure.locator("summary").click()
    expect(closure.get_by_test_id("ratio")).to_have_text(re.compile(r"^\d+ / \d+$"))
    # The numbers of a chart as a table.
    region = page.locator("#panel-by_region")
    region.locator("details.numbers summary").click()
    data = page.evaluate("JSON.parse(document.getElementById('dashboard-data').textContent)")
    rows = next(p["rows"] for p in data["panels"] if p["id"] == "by_region")
    expect(region.locator("table tbody tr")).to_have_count(len(rows))
    expect(region.locator("table tbody tr").first.locator("th")).to_have_text(rows[0][0])
    expect(region.locator("table thead")).to_contain_text("地区")
    expect(page.locator("#panel-by_region")).to_contain_text("离线")  # why there is no map
    page.locator("details.numbers[open] summary").click()
    closure.locator("summary").click()
    check_page(page)
    screenshot(page, "dashboard")


def test_dashboard_filter_by_region_and_bad_dates(wb):
    page = wb.page("analyst")
    page.goto("/insights/dashboard/")
    page.locator("#id_region").select_option("990102")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    expect(page.get_by_test_id("scope")).to_contain_text("河阳区")
    page.locator("#id_start").fill("2026-05-01")
    page.locator("#id_end").fill("2026-04-01")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()
    expect(page.get_by_test_id("filter-errors")).to_contain_text("开始日期不能晚于结束日期")
    expect(page.locator(".panel")).to_have_count(0)
    assert page.evaluate("document.querySelector('#id_start').value") == "2026-05-01"


def test_dashboard_refused_to_a_handler(wb):
    page = wb.page("handler")
    assert page.goto("/insights/dashboard/").status == 403
    page.goto("/")
    expect(page.locator("header nav")).to_contain_text("查询工单")
    expect(page.locator("header nav")).not_to_contain_text("数据看板")
    analyst = wb.page("analyst")
    analyst.goto("/")
    expect(analyst.locator("header nav")).to_contain_text("数据看板")


def _lobby_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "/insights/lobby/data.json" in r.url
            else None)
    return seen


def test_lobby_cycles_refreshes_and_survives_a_failed_update(wb):
    page = wb.page("analyst", viewport=WALL)
    fetched = _lobby_requests(page)
    page.goto("/insights/lobby/?cycle=2&refresh=3")
    expect(page.locator("body")).to_have_attribute("data-loads", "1", timeout=30_000)
    expect(page.locator("#status")).to_have_attribute("data-state", "ok")
    first = page.locator("body").get_attribute("data-view")
    expect(page.locator("body")).not_to_have_attribute("data-view", first, timeout=8_000)
    seen = {first}
    deadline = time.monotonic() + 20
    while len(seen) < 3 and time.monotonic() < deadline:
        seen.add(page.locator("body").get_attribute("data-view"))
        page.wait_for_timeout(300)
    assert len(seen) >= 3, f"views shown: {seen}"
    expect(page.locator("body")).to_have_attribute("data-loads", re.compile(r"^[2-9]"),
                                                   timeout=10_000)
    assert len(fetched) >= 2
    # The server goes away: the last figures stay, and the screen says since when.
    page.route("**/insights/lobby/data.json*", lambda route: route.abort())
    expect(page.locator("#status")).to_have_attribute("data-state", "stale", timeout=10_000)
    expect(page.locator("#status")).to_contain_text("更新失败")
    expect(page.locator(".view[data-view='headline'] li.tile")).not_to_have_count(0)
    loads = page.locator("body").get_attribute("data-loads")
    page.unroute("**/insights/lobby/data.json*")
    expect(page.locator("#status")).to_have_attribute("data-state", "ok", timeout=10_000)
    assert int(page.locator("body").get_attribute("data-loads")) > int(loads)


def test_lobby_screenshot_of_a_chart(wb):
    page = wb.page("analyst", viewport=WALL)
    page.goto("/insights/lobby/?cycle=600&refresh=600")
    expect(page.locator("body")).to_have_attribute("data-loads", "1", timeout=30_000)
    expect(page.locator(".view[data-view='headline'] li.tile")).not_to_have_count(0)
    page.keyboard.press("ArrowRight")  # the day-by-day trend
    expect(page.locator("body")).to_have_attribute("data-view", "trend_day")
    expect(page.locator(".view.active .chart[data-rendered='true'] canvas")).to_be_visible()
    expect(page.locator(".view.active h2")).to_contain_text("每日")
    page.wait_for_timeout(800)  # the view's fade-in
    page.screenshot(path=str(SCREENSHOTS / "lobby.png"))  # the screen as it is, not full-page


def _issue_token(server, name: str) -> str:
    code = ("from qinqing.insights.display_tokens import issue_display_token;"
            f"print(issue_display_token({name!r}, None, None)[1])")
    done = subprocess.run([sys.executable, "-m", "qinqing.cli", "shell", "-c", code],
                          env=server.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_wall_screen_with_a_display_token_and_no_login(wb, server):
    token = _issue_token(server, "市政务服务中心大厅")
    page = wb.page(None, viewport=WALL)
    page.goto(f"/insights/lobby/screen/?cycle=600&refresh=600#token={token}")
    expect(page.locator("body")).to_have_attribute("data-loads", "1", timeout=30_000)
    expect(page.locator(".view[data-view='headline'] li.tile")).not_to_have_count(0)
    wrong = wb.page(None, viewport=WALL)
    wrong.goto("/insights/lobby/screen/?cycle=600&refresh=600#token=not-a-token")
    expect(wrong.locator("#status")).to_have_attribute("data-state", "stale")
    expect(wrong.locator("li.tile")).to_have_count(0)
    # The token travelled in a header, never in a URL: the access log does not have it.
    time.sleep(0.5)
    assert token not in server.log.read_text(errors="replace")


def test_ranking_explains_each_units_score(wb):
    page = wb.page("analyst", viewport={"width": 1400, "height": 900})
    assert page.goto("/insights/ranking/").status == 200
    expect(page.locator("h1")).to_contain_text("单位考核排名")
    weights = page.get_by_test_id("weights")
    # Bad ratings are computed now (a unit rated too few times leaves that weight out of
    # its own sum: its breakdown says so); the policy's weights all count.
    bad = weights.locator("tr[data-criterion='bad_ratings']")
    expect(bad).to_contain_text("差评")
    expect(bad).to_contain_text("越低越好")
    expect(page.get_by_test_id("weight-total")).to_have_text("100.00")  # 40 + 30 + 15 + 15
    # The demo's 300 cases leave few units with 5 cases behind every rate: the
    # administrator lowers the minimum (and a bad weight is refused first).
    admin = wb.page("admin")
    admin.goto("/admin/insights/rankingpolicy/add/")
    admin.locator("#id_weight_on_time").fill("-5")
    admin.locator("#id_min_cases").fill("2")
    with admin.expect_navigation():
        admin.locator("input[name=_save]").click()
    expect(admin.locator(".errorlist")).to_be_visible()
    admin.locator("#id_weight_on_time").fill("50")
    with admin.expect_navigation():
        admin.locator("input[name=_save]").click()
    expect(admin.locator(".errorlist")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("weight-total")).to_have_text("110.00")  # 50 + 30 + 15 + 15
    ranked = page.locator("[data-testid=ranking] > tbody > tr")
    expect(ranked.first).to_be_visible()
    first = ranked.first
    first.locator("summary").click()
    parts = first.locator("td[data-contribution]").evaluate_all(
        "cells => cells.map(c => c.dataset.contribution)")
    score = first.locator("td[data-score]").get_attribute("data-score")
    assert sum(Fraction(p) for p in parts if p) == Fraction(score)
    check_page(page)
    screenshot(page, "ranking")


def test_lobby_is_accessible(wb):
    page = wb.page("analyst", viewport=WALL)
    # Without the fade between views: axe would measure the contrast of a view fading in.
    page.emulate_media(reduced_motion="reduce")
    page.goto("/insights/lobby/?cycle=600&refresh=600")
    expect(page.locator("body")).to_have_attribute("data-loads", "1", timeout=30_000)
    check_page(page)


def test_lobby_clock_shows_the_platform_time_not_the_screen_machine_time(wb):
    """A screen driven by a machine set to New York still shows Beijing time."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    page = wb.page("analyst", viewport=WALL, timezone_id="America/New_York")
    page.goto("/insights/lobby/?cycle=600&refresh=600")
    expect(page.locator("body")).to_have_attribute("data-time-zone", "Asia/Shanghai")
    expect(page.locator("#clock")).to_have_text(re.compile(r"^\d{2}:\d{2}:\d{2}$"))
    assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == \
        "America/New_York"
    shown = page.locator("#clock").text_content()
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    candidates = {(now + timedelta(seconds=s)).strftime("%H:%M") for s in (-60, 0, 60)}
    assert shown[:5] in candidates, (shown, candidates)
    expect(page.locator("body")).to_have_attribute("data-loads", "1", timeout=30_000)
    updated = page.locator("#status").text_content()
    assert any(c in updated for c in candidates), updated  # "updated at" too
