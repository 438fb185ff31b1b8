"""A caller follows their matter on a phone at /track/ (390×844): no account, Chinese."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_phone import no_horizontal_scroll
from tests.e2e.workbench import LEAD_UNIT, PHONE, check_page, expect, screenshot

pytestmark = pytest.mark.e2e


def test_a_caller_tracks_a_hotline_case_on_a_phone(wb):
    filed = wb.api("intake", "POST", "/cases", {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01", "region": "990102",
        "title": "营业执照变更窗口推诿", "content": "营业执照变更窗口推诿，请督促办理。",
        "reporter": {"name": "测试人", "phone": "13900001111"}})
    number, code = filed["number"], filed["query_code"]
    wb.api("dispatcher", "POST", f"/cases/{number}/actions/dispatch",
           {"lead_unit": LEAD_UNIT, "reason": "浏览器测试：指定承办单位"})

    page = wb.page(None, viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/track/")
    expect(page.locator("h1")).to_have_text("查询诉求办理进度")
    no_horizontal_scroll(page)
    check_page(page)
    page.get_by_label("工单编号").fill(number.lower())
    # As read from an SMS, in groups of four.
    page.get_by_label("查询码").fill(" ".join(code[i:i + 4] for i in range(0, len(code), 4)))
    screenshot(page, "track-form-phone")
    with page.expect_navigation():
        page.get_by_test_id("track-submit").tap()
    assert page.url.endswith(f"/track/{number}/") and code not in page.url, page.inner_text("main")
    expect(page.get_by_test_id("public-state")).to_have_text("已转交承办单位")
    expect(page.get_by_test_id("public-unit")).not_to_be_empty()
    expect(page.get_by_test_id("public-due")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
    steps = page.get_by_test_id("public-steps").locator("li").all_inner_texts()
    assert [s.split(" ", 2)[-1] for s in steps] == ["登记", "已派单"], steps
    assert "测试人" not in page.content() and "13900001111" not in page.content()
    no_horizontal_scroll(page)
    check_page(page)
    screenshot(page, "track-case-phone")

    # A wrong code: the same message as an unknown number, in Chinese.
    page.goto("/track/")
    page.get_by_label("工单编号").fill(number)
    page.get_by_label("查询码").fill("AAAA AAAA AAA")
    with page.expect_navigation():
        page.get_by_test_id("track-submit").tap()
    expect(page.get_by_test_id("track-error")).to_contain_text("不匹配")
