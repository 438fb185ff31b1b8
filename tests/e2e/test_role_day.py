"""Each role's day, from its home page: every role signs in, opens on "My work", finds
the case there and moves it through the case page's forms. On a desktop screen and on a
390×844 phone; the key pages are screenshotted to docs/screenshots/role-day-*.png.

The walks: intake → dispatch → sign → reply → unit review → callback (closed); a case the
unit returns and the dispatcher redispatches from the 退回 marker on the home; a
dissatisfied callback that reopens (重办) the case on the handler's home; a review left
late long ago, whose reminder letter the ladder issues to the lead unit, shown once on the
supervisor's board under that unit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.e2e.workbench import (
    DESKTOP, LEAD_UNIT, OTHER_UNIT, PHONE, SCREENSHOTS, expect, expect_state, history, move,
    register_call,
)

pytestmark = pytest.mark.e2e

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request):
    return request.param


def open_as(wb, username: str, viewport: str):
    """`username`'s page on its home (the page signing in lands on)."""
    options = {"is_mobile": True, "has_touch": True} if viewport == "phone" else {}
    page = wb.page(username, viewport=VIEWPORTS[viewport], **options)
    page.goto("/")
    expect(page.locator("h1")).to_have_text(re.compile("我的工作|My work"))
    fits(page, viewport)
    return page


def fits(page, viewport: str) -> None:
    """Nothing wider than the screen: a page that scrolls sideways hides its forms."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"], f"{page.url} scrolls sideways: {width}px"


def home_row(page, number: str):
    """The case's row on the home (it may be listed in two sections: new and all)."""
    row = page.locator(f"main tr[data-case='{number}']").first
    expect(row).to_be_visible()
    return row


def open_from_home(page, number: str, viewport: str):
    home_row(page, number).locator(f"a[href='/cases/{number}/']").click()
    expect(page.get_by_test_id("case-number")).to_have_text(number)
    fits(page, viewport)


def shot(page, step: str, viewport: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"role-day-{step}-{viewport}.png",
                    full_page=full_page, animations="disabled", caret="hide")


# A review left late: filed, dispatched, signed and replied six weeks ago through the
# services (back-dated with `now`), never reviewed. Then the ladder's sweep at the real
# now, and the worker's run of the steps it queued, as a running worker would do.
LATE_REVIEW = """
import json
from datetime import timedelta
from django.utils import timezone
from qinqing.background.worker import QinqingWorker
from qinqing.cases import services
from qinqing.org.models import Unit, User
from qinqing.supervision import ladder
from qinqing.supervision.models import LadderCursor, ReminderLetter

def user(name):
    return User.objects.get(username=name)

start = timezone.now() - timedelta(days=42)
case = services.create_case(user("intake"), {
    "kind": "complaint", "channel": "hotline", "category": "SPFW-01", "region": "990102",
    "title": "食品经营许可延续迟迟未办", "content": "食品经营许可证延续申请提交后无人答复。",
    "reporter": {"name": "测试人", "phone": "13900002222"}}, now=start).case
number = case.number
services.perform(number, "dispatch", user("dispatcher"),
                 {"lead_unit": LEAD, "reason": "按属地交市场监管局办理。"},
                 now=start + timedelta(hours=1))
services.perform(number, "sign", user("handler"), {}, now=start + timedelta(hours=2))
services.perform(number, "reply", user("handler"), {"answer": "已办结，许可证已延续。"},
                 now=start + timedelta(hours=3))
# The demo's build left its cursors at its own moment; without them the sweep reads
# every clock up to now (as the demo's replay does), this one among them.
LadderCursor.objects.all().delete()
ladder.sweep()
QinqingWorker(worker_id="e2e-role-day", tick=False).run_pending()
letters = [l.unit.code for l in ReminderLetter.objects.filter(case__number=number)]
print(json.dumps({"number": number, "letters": letters,
                  "unit": Unit.objects.get(code=LEAD).name}))
"""


def late_review(server) -> dict:
    code = f"LEAD = {LEAD_UNIT!r}\n" + LATE_REVIEW
    done = subprocess.run([sys.executable, "-m", "qinqing.cli", "shell", "-c", code],
                          env=server.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_each_roles_day_from_its_home(wb, server, viewport):
    # --- 1. Intake: from the home, the menu's "new case", the form, saved.
    page = open_as(wb, "intake", viewport)
    page.locator("header nav a[href='/intake/new/']").click()
    expect(page.locator("#id_phone")).to_be_visible()
    fits(page, viewport)
    number = register_call(
        page, phone="13712340000", name="周敏", kind="投诉", category="SPFW-02",
        region="990102", enterprise="河阳区周记烘焙坊",
        content="申请食品经营许可证，窗口两次要求补交清单外的材料。", navigate=False)
    expect(page.get_by_test_id("query-code")).to_be_visible()
    fits(page, viewport)

    # --- 2. Dispatcher: the new case is on the home; dispatched to the handler's unit.
    page = open_as(wb, "dispatcher", viewport)
    home_row(page, number).scroll_into_view_if_needed()
    shot(page, "dispatcher-home", viewport, full_page=False)
    open_from_home(page, number, viewport)
    expect_state(page, "received")
    move(page, "dispatch", {"lead_unit": LEAD_UNIT,
                            "reason": "许可窗口归市场监管局管理，按属地交其办理。"})
    expect_state(page, "dispatched")

    # --- 3. Handler: signs, then replies, from the home each time.
    page = open_as(wb, "handler", viewport)
    open_from_home(page, number, viewport)
    expect_state(page, "dispatched")
    move(page, "sign")
    expect_state(page, "handling")
    page.locator("header nav a[href='/']").click()
    open_from_home(page, number, viewport)
    move(page, "reply", {"answer": "经核查，窗口已按清单一次性告知所需材料，并向企业致歉。"})
    expect_state(page, "replied")
    expect(page.locator("details[data-action]")).to_have_count(0)  # the head reviews now

    # --- 4. Leader (unit head): the reply waits for review on the home; approved.
    page = open_as(wb, "leader", viewport)
    open_from_home(page, number, viewport)
    expect_state(page, "replied")
    page.locator("details[data-action='review'] summary").click()
    # The text box's live counter speaks the page's language.
    expect(page.locator("details[data-action='review'] .char-count")).to_have_text(
        re.compile(r"^已输入 0 / \d+ 字$"))
    shot(page, "leader-review", viewport)
    move(page, "review", {"reason": "答复属实，同意。"})
    expect_state(page, "reviewed")

    # --- 5. Callback: on the home once reviewed (the callback clock starts now).
    page = open_as(wb, "callback", viewport)
    open_from_home(page, number, viewport)
    move(page, "callback", {"satisfaction": "satisfied", "resolved": True,
                            "reason": "企业表示已拿到许可证。"})
    expect_state(page, "closed")
    assert history(page) == ["create", "dispatch", "sign", "reply", "review", "callback"]
    page.locator("header nav a[href='/']").click()
    expect(page.locator(f"main tr[data-case='{number}']")).to_have_count(0)

    # --- A return: the handler objects from the home; the dispatcher sees 退回 and why.
    returned = wb.new_case("税务登记变更被要求重复提交同一份材料。", dispatch_to=LEAD_UNIT)
    page = open_as(wb, "handler", viewport)
    open_from_home(page, returned, viewport)
    move(page, "return", {"reason": "税务登记不属我局职责，应由税务部门办理。"})
    expect_state(page, "returned")
    page = open_as(wb, "dispatcher", viewport)
    marker = home_row(page, returned).locator("[data-came-back='returned']")
    expect(marker).to_contain_text("退回")
    expect(marker).to_contain_text("税务登记不属我局职责")
    marker.scroll_into_view_if_needed()
    shot(page, "dispatcher-returned", viewport, full_page=False)
    open_from_home(page, returned, viewport)
    move(page, "redispatch", {"lead_unit": OTHER_UNIT,
                              "reason": "异议成立，改派至企业所在地市场监管局。"})
    expect_state(page, "dispatched")
    assert history(page)[-3:] == ["dispatch", "return", "redispatch"]

    # --- A dissatisfied callback: reopened (重办), back on the handler's home.
    reopened = wb.new_case("企业反映行政处罚决定书送达超期。", dispatch_to=LEAD_UNIT,
                           until="reviewed")
    page = open_as(wb, "callback", viewport)
    open_from_home(page, reopened, viewport)
    move(page, "callback", {"satisfaction": "dissatisfied", "resolved": False,
                            "reason": "企业称至今未收到决定书。"})
    expect_state(page, "handling")
    assert history(page)[-1] == "reopen"
    page = open_as(wb, "handler", viewport)
    marker = home_row(page, reopened).locator("[data-came-back='reopened']")
    expect(marker).to_contain_text("重办")
    expect(marker).to_contain_text("至今未收到决定书")
    marker.scroll_into_view_if_needed()
    shot(page, "handler-reopened", viewport, full_page=False)
    open_from_home(page, reopened, viewport)
    expect(page.locator("details[data-action='reply']")).to_have_count(1)

    # --- A late review: the ladder's letter goes to the lead unit; the board lists the
    #     case once, under that unit, late at the review stage.
    late = late_review(server)
    assert late["letters"] == [LEAD_UNIT], late
    page = open_as(wb, "supervisor", viewport)
    page.locator("header nav a[href='/supervision/']").click()
    expect(page.locator("h1")).to_have_text(re.compile("督办|Supervision"))
    rows = page.locator(f"main tr[data-case='{late['number']}']")
    expect(rows).to_have_count(1)
    group = page.locator(f"section.unit-group[data-unit='{LEAD_UNIT}']")
    expect(group.locator(f"tr[data-case='{late['number']}']")).to_have_count(1)
    expect(group.locator("h2")).to_contain_text(late["unit"])
    stage = rows.locator("li[data-stage='review']")
    expect(stage).to_have_count(1)
    expect(stage.locator(".badge")).to_have_attribute("data-status", "overdue")
    fits(page, viewport)
    rows.scroll_into_view_if_needed()
    shot(page, "supervisor-board", viewport, full_page=False)
    rows.locator(f"a[href='/cases/{late['number']}/']").click()
    expect(page.get_by_test_id("case-number")).to_have_text(late["number"])
    expect_state(page, "replied")
    panel = page.get_by_test_id("supervision-panel")
    expect(panel.get_by_test_id("letter-link")).to_have_count(1)
    expect(panel.get_by_test_id("letter-unit")).to_have_text(f"主送：{late['unit']}")
    fits(page, viewport)
    shot(page, "case-letter", viewport)
