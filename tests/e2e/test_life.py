"""A case's life through the workbench pages, each step by the role whose job it is."""

from __future__ import annotations

import re

import pytest

from tests.e2e.workbench import (
    LEAD_UNIT, OTHER_UNIT, expect, expect_state, history, move, open_case, register_call,
    row_link,
)

pytestmark = pytest.mark.e2e


def test_full_life_from_intake_to_closed(wb):
    # 1. The hotline agent registers a complaint through the intake form.
    page = wb.page("intake")
    number = register_call(
        page, phone="13712345678", name="林晓东", kind="投诉", category="SPFW-02",
        region="990102", enterprise="河阳区林记餐饮有限公司",
        content="办理食品经营许可证时窗口要求提供法律没有规定的材料，来回跑了三趟。")
    expect(page.get_by_test_id("query-code")).to_be_visible()  # read out to the caller
    page.get_by_test_id("case-number").get_by_role("link").click()
    expect_state(page, "received")
    assert history(page) == ["create"]
    expect(page.get_by_test_id("masked-phone")).to_have_text("137****5678")

    # 2. The dispatcher finds it in the dispatch queue and routes it to 市场监管 of 河阳区;
    #    the catalogue proposes another unit, so the reason is given.
    page = wb.page("dispatcher")
    page.goto("/cases/dispatch/")
    row_link(page, number).click()
    expect_state(page, "received")
    assert history(page) == ["create"]
    move(page, "dispatch", {"lead_unit": LEAD_UNIT,
                            "reason": "许可窗口归市场监管局管理，按属地交其办理。"})
    expect_state(page, "dispatched")
    expect(page.get_by_test_id("lead-unit")).to_contain_text("市场监督管理局")
    assert history(page) == ["create", "dispatch"]

    # 3. The handler of that unit sees it in the inbox, signs, and replies.
    page = wb.page("handler")
    page.goto("/cases/inbox/")
    row_link(page, number).click()
    move(page, "sign")
    expect_state(page, "handling")
    assert history(page) == ["create", "dispatch", "sign"]
    move(page, "reply", {"answer": "经核查，窗口已按清单一次性告知所需材料，并向企业致歉。"})
    expect_state(page, "replied")
    assert history(page)[-1] == "reply"
    expect(page.locator("details[data-action]")).to_have_count(0)  # nothing left for the unit

    # 4. The unit leader accepts the reply.
    page = wb.page("leader")
    page.goto("/cases/inbox/")
    row_link(page, number).click()
    move(page, "review", {"reason": "答复属实，同意。"})
    expect_state(page, "reviewed")
    assert history(page)[-1] == "review"

    # 5. The callback agent calls the company back: satisfied, the case closes.
    page = wb.page("callback")
    page.goto("/cases/callbacks/")
    row_link(page, number).click()
    move(page, "callback", {"satisfaction": "satisfied", "resolved": True,
                            "reason": "企业表示已拿到许可证。"})
    expect_state(page, "closed")
    assert history(page) == ["create", "dispatch", "sign", "reply", "review", "callback"]
    expect(page.locator("details[data-action]")).to_have_count(0)
    page.goto("/cases/callbacks/")
    expect(row_link(page, number)).to_have_count(0)


def test_return_and_redispatch(wb):
    number = wb.new_case("税务登记变更被要求重复提交同一份材料。", dispatch_to=LEAD_UNIT)

    page = wb.page("handler")
    open_case(page, number)
    expect_state(page, "dispatched")
    move(page, "return", {"reason": "税务登记不属我局职责，应由税务部门办理。"})
    expect_state(page, "returned")
    assert history(page)[-1] == "return"
    expect(page.locator("details[data-action]")).to_have_count(0)

    page = wb.page("dispatcher")
    page.goto("/cases/dispatch/")
    row_link(page, number).click()
    expect_state(page, "returned")
    move(page, "redispatch", {"lead_unit": OTHER_UNIT,
                              "reason": "异议成立，改派至企业所在地市场监管局。"})
    expect_state(page, "dispatched")
    expect(page.get_by_test_id("lead-unit")).to_contain_text("市场监督管理局")
    assert history(page)[-3:] == ["dispatch", "return", "redispatch"]

    # The new unit can sign it now; the old one no longer sees it.
    page = wb.page("handler2")
    open_case(page, number)
    expect(page.locator("details[data-action='sign']")).to_have_count(1)
    page = wb.page("handler")
    assert page.goto(f"/cases/{number}/").status == 404


def test_dissatisfied_callback_reopens(wb):
    number = wb.new_case("企业反映行政处罚决定书送达超期。", dispatch_to=LEAD_UNIT,
                         until="reviewed")

    page = wb.page("callback")
    page.goto("/cases/callbacks/")
    row_link(page, number).click()
    expect_state(page, "reviewed")
    # Dissatisfied without a reason is refused on the page, and nothing changes.
    move(page, "callback", {"satisfaction": "dissatisfied", "resolved": False}, ok=False)
    expect(page.locator("details[data-action='callback'] .error")).to_be_visible()
    expect_state(page, "reviewed")

    move(page, "callback", {"satisfaction": "dissatisfied", "resolved": False,
                            "reason": "企业称至今未收到决定书。"})
    expect_state(page, "handling")
    assert history(page)[-1] == "reopen"
    expect(page.locator(".facts .badge.warning")).to_have_text(re.compile("1"))

    # Back in the unit's hands: in the inbox under handling, with the reply form again.
    page = wb.page("handler")
    page.goto("/cases/inbox/")
    expect(row_link(page, number)).to_be_visible()
    row_link(page, number).click()
    expect_state(page, "handling")
    expect(page.locator("details[data-action='reply']")).to_have_count(1)
