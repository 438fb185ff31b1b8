"""Merging a repeated call in the browser: the case page's merge asks first, with the two
cases side by side and a warning when their enterprises differ (issue 14 §3)."""

from __future__ import annotations

from tests.e2e.workbench import check_page, expect, expect_state, move, open_case


def _case(wb, content: str, enterprise: str) -> str:
    return wb.api("intake", "POST", "/cases", {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01", "region": "990102",
        "title": content[:20], "content": content, "enterprise_name": enterprise,
        "reporter": {"name": "测试人", "phone": "13900001111"}})["number"]


def test_merge_into_another_enterprise_case_needs_a_confirmation(wb):
    earlier = _case(wb, "浏览器测试：营业执照变更登记超过承诺时限仍未办结。", "示范市甲乙商贸有限公司")
    repeat = _case(wb, "浏览器测试：食品经营许可超过承诺时限仍未办结。", "示范市丙丁食品有限公司")
    page = wb.page("dispatcher")
    open_case(page, repeat)
    move(page, "merge", {"into": earlier, "reason": "同一事项的重复来电"}, ok=False)
    compare = page.get_by_test_id("merge-compare")
    expect(compare).to_contain_text(earlier)
    expect(compare).to_contain_text("示范市丙丁食品有限公司")
    expect(page.get_by_test_id("merge-enterprise-warning")).to_contain_text("企业不同")
    expect(compare).not_to_contain_text("13900001111")
    check_page(page)
    with page.expect_navigation():
        page.get_by_test_id("cancel-merge").click()
    expect_state(page, "received")  # cancelling merged nothing

    move(page, "merge", {"into": earlier}, ok=False)
    with page.expect_navigation():
        page.get_by_test_id("confirm-merge").click()
    expect(page.locator(".messages li.success")).to_be_visible()
    expect_state(page, "closed")
