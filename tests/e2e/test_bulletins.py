"""Bulletins in the browser: a leader reads a bulletin of the demo city, chooses a typical
case, publishes the bulletin; anyone reads it on the public figures page and downloads the
open data."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from tests.e2e.workbench import check_page, expect, screenshot

pytestmark = pytest.mark.e2e

# The demo's 300 cases were received over the 120 days before the server started.
START = date.today() - timedelta(days=130)
END = date.today() - timedelta(days=1)


def _figure(page, name: str):
    return page.locator(f"table[data-table=figures] tr[data-figure={name}] td.value")


def test_bulletin_typical_case_publish_and_the_public_page(wb):
    page = wb.page("analyst")
    page.goto("/insights/bulletin/")
    page.locator("#id_start").fill(START.isoformat())
    page.locator("#id_end").fill(END.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("查看|Show")).click()
    expect(page.locator("h1")).to_contain_text("示范市营商环境监督数据通报")
    summary = page.get_by_test_id("summary")
    expect(summary).to_contain_text("共受理营商环境领域各类诉求")
    received = _figure(page, "received").inner_text()
    assert int(received) > 0
    assert f"各类诉求{received}件" in summary.inner_text()
    closure = page.locator("table[data-table=figures] tr[data-figure=closure_rate]")
    numerator, denominator = [int(c) for c in closure.locator("td.num").all_inner_texts()[1:3]]
    assert f"办结率{closure.locator('td.value').inner_text()}（{numerator}÷{denominator}）" in \
        summary.inner_text()
    expect(page.locator("table[data-table=by_destination] tr")).to_have_count(4)  # + head
    check_page(page)
    screenshot(page, "bulletin-page")

    # A closed case of the period becomes a typical case, told without names.
    # One received within the period (the demo's public side files matters up to today).
    closed = wb.api("analyst", "GET", "/cases?state=closed&kind=complaint&limit=1"
                    f"&received_to={END.isoformat()}T00:00:00Z")["items"][0]
    typical = wb.page("analyst")
    typical.goto("/insights/typical/")
    typical.locator("#number").fill(closed["number"])
    with typical.expect_navigation():
        typical.get_by_role("button", name=re.compile("选为典型案例|Choose as typical")).click()
    expect(typical.locator("#id_summary")).not_to_be_empty()
    typical.locator("#id_title").fill("企业反映审批超时问题得到解决")
    typical.locator("#id_summary").fill("某企业反映审批事项超过承诺时限，经督促，承办单位已办结并向企业说明情况。")
    check_page(typical)
    with typical.expect_navigation():
        typical.get_by_role("button", name=re.compile("选为典型案例|Choose as typical")).click()
    expect(typical.locator(".messages li.success")).to_be_visible()
    expect(typical.locator("main")).to_contain_text("企业反映审批超时问题得到解决")

    page.reload()
    # (The demo chose typical cases of last month already: this one is among them.)
    expect(page.locator("article.typical h3").filter(has_text="企业反映审批超时问题得到解决")) \
        .to_be_visible()
    with page.expect_navigation():
        page.get_by_test_id("publish").click()
    # A preview first: nothing is public until the editor confirms.
    expect(page.get_by_test_id("publish-preview")).to_contain_text("第")
    expect(page.get_by_test_id("issuer")).to_contain_text("优化营商环境监督专线")
    check_page(page)
    with page.expect_navigation():
        page.get_by_test_id("confirm-publish").click()
    expect(page.locator(".messages li.success")).to_be_visible()
    assert re.search(r"/public/bulletins/\d+/$", page.url), page.url
    expect(_figure(page, "received")).to_have_text(received)

    public = wb.page(None)  # nobody signed in
    public.goto("/public/figures/")
    region = public.locator("section[data-region='990000']")
    expect(region).to_be_visible()
    expect(region.locator("[data-figure=received]")).to_have_text(received)
    expect(region.locator("[data-figure=closure_rate]")).to_contain_text("%")
    check_page(public)
    screenshot(public, "public-figures")
    with public.expect_navigation():
        region.locator("h2 a").click()
    expect(public.get_by_test_id("summary")).to_contain_text(f"各类诉求{received}件")
    expect(public.locator("article.typical").filter(has_text="某企业反映审批事项超过承诺时限")) \
        .to_be_visible()
    expect(public.locator("main")).not_to_contain_text(closed["number"])
    check_page(public)
    screenshot(public, "public-bulletin")
    answer = public.request.get("/public/figures.json")
    rows = json.loads(answer.text())["rows"]
    mine = {r["name"]: r for r in rows if r["table"] == "figures" and r["region_code"] == "990000"}
    assert mine["received"]["value"] == received
    assert (mine["closure_rate"]["numerator"], mine["closure_rate"]["denominator"]) == (
        numerator, denominator)
    csv = public.request.get("/public/figures.csv")
    assert csv.ok and "closure_rate" in csv.text()


def test_a_handler_has_no_bulletins(wb):
    page = wb.page("handler")
    answer = page.goto("/insights/bulletin/")
    assert answer.status == 403
