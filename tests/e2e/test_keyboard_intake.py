"""A hotline agent registers a call with the keyboard alone: Tab, typing and Enter."""

from __future__ import annotations

import re

import pytest

from tests.e2e.workbench import expect, expect_state, history

pytestmark = pytest.mark.e2e


def focused(page) -> dict:
    """What has the keyboard focus, and whether it shows (a visible focus ring)."""
    return page.evaluate("""() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {id: el.id, tag: el.tagName, testid: el.dataset.testid || '',
                ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
                      || style.boxShadow !== 'none'};
    }""")


def tab_to(page, target: str, most: int = 12) -> None:
    """Press Tab until the element `target` (an id, or 'save') has the focus; each stop on
    the way must show where the focus is."""
    for _ in range(most):
        page.keyboard.press("Tab")
        now = focused(page)
        assert now["ring"], f"no visible focus on {now}"
        if target in (now["id"], now["testid"]):
            return
    raise AssertionError(f"{most} Tabs did not reach {target}; stuck at {focused(page)}")


def test_intake_form_with_the_keyboard_only(wb):
    page = wb.page("intake")
    page.goto("/intake/new/")
    # The phone number has the focus as soon as the page opens: the agent just types.
    expect(page.locator("#id_phone")).to_be_focused()
    page.keyboard.type("13698765432")
    tab_to(page, "id_name")
    page.keyboard.type("周女士")

    # The pickers: type pinyin initials, Enter takes the highlighted match.
    tab_to(page, "id_kind")
    page.keyboard.type("ts")
    expect(page.locator("#kind-list [aria-selected=true]")).to_have_text(re.compile("投诉"))
    page.keyboard.press("Enter")
    expect(page.locator("#id_kind")).to_have_value("投诉")
    tab_to(page, "id_category")
    page.keyboard.type("ycxgz")  # 一次性告知
    expect(page.locator("#category-list [aria-selected=true]")).to_contain_text("一次性告知不到位")
    page.keyboard.press("Enter")
    expect(page.locator("#id_category")).to_have_value(re.compile("一次性告知不到位"))

    tab_to(page, "id_content")
    page.keyboard.type("在区政务服务中心办理营业执照变更，窗口三次告知的材料都不一样。")
    tab_to(page, "save")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    number = page.get_by_test_id("case-number").inner_text().strip()
    assert re.fullmatch(r"QQ-\d{4}-\d{6}", number), number
    expect(page.get_by_test_id("query-code")).to_be_visible()
    # The saved page puts the focus on "register another": Enter starts the next call.
    expect(page.get_by_test_id("register-another")).to_be_focused()

    page.goto(f"/cases/{number}/")
    expect_state(page, "received")
    assert history(page) == ["create"]
    expect(page.locator(".facts")).to_contain_text("一次性告知不到位")
    expect(page.locator(".content")).to_contain_text("三次告知的材料都不一样")
