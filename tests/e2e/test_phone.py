"""County officials work their unit inbox on a phone: 390×844, touch."""

from __future__ import annotations

import pytest

from tests.e2e.workbench import (
    LEAD_UNIT, PHONE, expect, expect_state, history, row_link,
)

pytestmark = pytest.mark.e2e


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide"


def test_unit_inbox_on_a_phone(wb):
    page = wb.page("handler", viewport=PHONE, is_mobile=True, has_touch=True)
    number = wb.new_case("食品摊位办证窗口说要等一个月，能否加快？", dispatch_to=LEAD_UNIT)
    page.goto("/cases/inbox/")
    no_horizontal_scroll(page)
    row = page.locator(f"tr[data-case='{number}']")
    expect(row).to_be_visible()
    # Readable: rows are cards as wide as the screen, text at full size, nothing cut off.
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert page.locator("main table.cases thead").first.is_hidden()
    size = row_link(page, number).evaluate("a => parseFloat(getComputedStyle(a).fontSize)")
    assert size >= 16, f"case number at {size}px"
    clipped = row.locator("td").evaluate_all(
        "tds => tds.filter(td => td.scrollWidth > td.clientWidth + 1).length")
    assert clipped == 0

    # Sign from the phone: tap the case, unfold "sign", tap the (thumb-sized) button.
    row_link(page, number).tap()
    expect_state(page, "dispatched")
    no_horizontal_scroll(page)
    sign = page.locator("details[data-action='sign']")
    sign.locator("summary").tap()
    button = sign.locator("button[type=submit]")
    height = button.bounding_box()["height"]
    assert height >= 44, f"the sign button is {height}px high"
    with page.expect_navigation():
        button.tap()
    expect_state(page, "handling")
    assert history(page)[-1] == "sign"
    no_horizontal_scroll(page)
