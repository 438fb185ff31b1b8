"""Scan to rate in a browser (issue 17 §2, §4 core), at 390×844: a window's code opens
the page to rate, the rater gives 非常不满意 with a reason, reads the rectification case's
number and query code; the hall's handler finds the case in the inbox, with its deadline
and without a button to return it."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.e2e.test_phone import no_horizontal_scroll
from tests.e2e.workbench import PASSWORD, PHONE, check_page, expect, row_link, screenshot

pytestmark = pytest.mark.e2e

WINDOW = "990102-W01"
SETUP = f"""
from qinqing.codes import services
from qinqing.codes.models import SupervisionCode
from qinqing.org.models import Role, Unit
from qinqing.org.services import ensure_staff
window = Unit.objects.get(code="{WINDOW}")
ensure_staff(username="hall-handler", full_name="孙丽", unit=window.parent,
             role=Role.HANDLER, password="{PASSWORD}")
ensure_staff(username="hall-leader", full_name="周平", unit=window.parent,
             role=Role.UNIT_LEADER, password="{PASSWORD}")
code = (SupervisionCode.objects.filter(unit=window, revoked_at=None).first()
        or services.issue(window, by=None))
print("TOKEN", code.token)
"""


def setup(server) -> str:
    done = subprocess.run([sys.executable, "-m", "qinqing.cli", "shell", "-c", SETUP],
                          env=server.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return re.search(r"TOKEN (\w+)", done.stdout)[1]


def test_a_very_dissatisfied_rating_reaches_the_halls_inbox(wb, server):
    token = setup(server)
    phone = wb.page(None, viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"/c/{token}")
    expect(phone.get_by_test_id("code-object")).to_have_text("河阳区政务服务中心综合受理窗口")
    expect(phone.get_by_test_id("code-belongs")).to_have_text("河阳区政务服务中心")
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        expect(phone.get_by_label(label, exact=True)).to_be_visible()
    no_horizontal_scroll(phone)
    check_page(phone)
    screenshot(phone, "ratings-scan-phone")

    # A bad rating without its reason is refused, and nothing is stored.
    phone.get_by_label("非常不满意", exact=True).check()
    with phone.expect_navigation():
        phone.get_by_test_id("rate").tap()
    expect(phone.get_by_role("alert").first).to_contain_text("请选择不满意的原因")
    no_horizontal_scroll(phone)
    screenshot(phone, "ratings-refused-phone")

    phone.get_by_label("非常不满意", exact=True).check()
    phone.get_by_label("工作人员").check()
    phone.get_by_label("发生了什么").fill("窗口说材料不全，却不告诉缺哪一份，来回跑了三趟。")
    with phone.expect_navigation():
        phone.get_by_test_id("rate").tap()
    expect(phone.get_by_test_id("rated")).to_contain_text("感谢您的评价")
    number = phone.get_by_test_id("case-number").inner_text()
    assert re.fullmatch(r"QQ-\d{4}-\d{6}", number), number
    expect(phone.get_by_test_id("query-code")).to_have_text(re.compile(r"\w{4} \w{4} \w{3}"))
    query_code = phone.get_by_test_id("query-code").inner_text()
    no_horizontal_scroll(phone)
    check_page(phone)
    screenshot(phone, "ratings-rated-phone")

    handler = wb.page("hall-handler", viewport=PHONE, is_mobile=True, has_touch=True)
    handler.goto("/cases/inbox/")
    row_link(handler, number).click()
    expect(handler.get_by_test_id("case-number")).to_have_text(number)
    expect(handler.locator("main")).to_contain_text("差评整改")
    expect(handler.locator("main")).to_contain_text("办理 时限 5 个工作日")  # its deadline
    # No return offered for a bad-rating rectification, before or after signing.
    expect(handler.locator("details[data-action='return']")).to_have_count(0)
    expect(handler.locator("details[data-action='sign']")).to_have_count(1)
    no_horizontal_scroll(handler)
    check_page(handler)
    screenshot(handler, "ratings-case-handler")

    # The hall reports its fix (signed, answered, approved by its head); the rater opens
    # the case with its number and query code and rates the fix; the outcome shows.
    wb.api("hall-handler", "POST", f"/cases/{number}/actions/sign", {})
    wb.api("hall-handler", "POST", f"/cases/{number}/actions/reply",
           {"answer": "已约谈窗口工作人员，一次性告知所缺材料的清单已张贴在窗口。"})
    wb.api("hall-leader", "POST", f"/cases/{number}/actions/review", {})
    phone.goto("/track/")
    phone.get_by_label("工单编号").fill(number)
    phone.get_by_label("查询码").fill(query_code)
    with phone.expect_navigation():
        phone.get_by_test_id("track-submit").tap()
    expect(phone.get_by_test_id("public-answer")).to_contain_text("一次性告知")
    expect(phone.get_by_test_id("follow-up-form")).to_be_visible()
    expect(phone.get_by_test_id("rate")).to_have_count(0)  # no second, general judgement
    phone.get_by_test_id("follow-up-form").get_by_label("满意", exact=True).check()
    with phone.expect_navigation():
        phone.get_by_test_id("follow-up-submit").tap()
    expect(phone.get_by_test_id("track-outcome")).to_contain_text("整改后复评：满意")
    expect(phone.get_by_test_id("follow-up-form")).to_have_count(0)
    expect(phone.get_by_test_id("public-judgement")).to_have_count(0)  # said once, above
    no_horizontal_scroll(phone)
    check_page(phone)
    screenshot(phone, "ratings-follow-up-phone")
