"""The supervisor lists a late case from its page; the unit's staff see the notice in the
header badge and on the notifications page; anyone sees the listing on the public list,
without who filed the case."""

from __future__ import annotations

import re

import pytest

from tests.e2e.workbench import LEAD_UNIT, check_page, expect, screenshot

pytestmark = pytest.mark.e2e


def test_listing_notifies_the_unit_and_shows_on_the_public_list(wb):
    number = wb.new_case("企业反映开办餐馆的许可证审批已拖延两个月，请督办。",
                         dispatch_to=LEAD_UNIT, until="handling")

    # The supervisor lists it for supervision from the case page.
    sup = wb.page("supervisor")
    sup.goto(f"/cases/{number}/")
    panel = sup.get_by_test_id("supervision-panel")
    panel.locator("details[data-action='list_supervision'] summary").click()
    panel.get_by_label(re.compile("理由|Reason")).fill("群众多次反映，挂牌督办。")
    with sup.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(sup.get_by_test_id("listed")).to_be_visible()
    expect(sup.locator("ol.timeline li[data-event='list_supervision']")).to_have_count(1)

    # The lead unit's handler: the badge counts the notice; the page lists it.
    page = wb.page("handler")
    page.goto("/")
    badge = page.get_by_test_id("unread-count")
    expect(badge).to_be_visible()
    unread = int(badge.inner_text())
    assert unread >= 1
    page.get_by_test_id("notices-link").click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    row = page.locator("tr.unread", has_text=number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("挂牌督办")
    check_page(page)
    screenshot(page, "notifications")
    # Mark it read: the count drops by one.
    row.locator("input[type=checkbox]").check()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("所选标为已读|Mark the chosen")).click()
    expect(page.locator("tr.read", has_text=number)).to_have_count(1)
    if unread == 1:
        expect(page.get_by_test_id("unread-count")).to_have_count(0)
    else:
        expect(page.get_by_test_id("unread-count")).to_have_text(str(unread - 1))

    # Anyone, signed in or not: the public list, anonymised.
    public = wb.page(None)
    public.goto("/public/listed/")
    row = public.locator(f"tr[data-case='{number}']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("督办中")
    body = public.locator("main").inner_text()
    for secret in ("测试人", "13900001111", "餐馆", "群众多次反映"):
        assert secret not in body, secret
    check_page(public)
    screenshot(public, "public-listed")
