"""The oversight pages in a real browser over the demo city: sweep campaigns and their
burn-down, a joint meeting recorded and its decision marked done by the unit, an
accountability record whose official only the discipline commission sees, an inspection
whose problem becomes a case. Each main page passes axe-core and leaves a screenshot in
docs/screenshots/."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.workbench import LEAD_UNIT, check_page, expect, history, open_case, screenshot

pytestmark = pytest.mark.e2e

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _figure(page, test_id: str) -> int:
    return int(page.get_by_test_id(test_id).inner_text())


def test_the_demo_sweep_shows_its_burn_down(wb):
    page = wb.page("supervisor")
    page.goto("/oversight/")
    check_page(page)
    screenshot(page, "oversight")
    page.goto("/oversight/campaigns/")
    expect(page.get_by_test_id("campaigns")).to_be_visible()
    check_page(page)
    page.get_by_role("link", name="交通运输领域逾期件专项清零").click()
    snapshot, remaining = _figure(page, "snapshot"), _figure(page, "remaining")
    assert (snapshot, remaining) == (8, 2)
    assert _figure(page, "cleared") == 6
    expect(page.get_by_test_id("cleared-definition")).to_contain_text("清零：")
    rows = page.get_by_test_id("burndown-table").locator("tbody tr")
    values = [int(v) for v in rows.locator("td:nth-child(3)").all_inner_texts()]
    assert values[0] == 8 and values[-1] == 2 and values == sorted(values, reverse=True)
    bars = page.locator("svg.burndown g[data-remaining]")
    expect(bars).to_have_count(rows.count())
    # The two left are listed under the unit that must act.
    expect(page.locator("section.unit-group[data-unit='990000-D14'] tr[data-case]")).to_have_count(2)
    check_page(page)
    screenshot(page, "oversight-campaign")


def test_a_supervisor_starts_a_sweep_and_bad_input_is_refused(wb):
    page = wb.page("supervisor")
    page.goto("/oversight/campaigns/new/")
    page.get_by_test_id("save").click()
    expect(page.locator("#id_name_error")).to_contain_text("必填")
    check_page(page)
    page.locator("#id_name").fill("浏览器测试：河阳区逾期件清零")
    page.locator("#id_region").select_option("990102")
    page.locator("#id_kind").select_option("report")  # no overdue report in 河阳区
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("没有逾期工单")
    page.locator("#id_kind").select_option("")
    page.get_by_test_id("save").click()
    expect(page.locator(".messages li.success")).to_contain_text("专项清零已发起")
    assert _figure(page, "snapshot") >= 1
    assert _figure(page, "remaining") == _figure(page, "snapshot")


def test_a_joint_meeting_and_its_decision_done_by_the_unit(wb):
    number = wb.new_case("企业反映厂区道路开口审批涉及多个部门，长期无人牵头。",
                         dispatch_to=LEAD_UNIT, until="handling")
    page = wb.page("dispatcher")
    page.goto("/oversight/meetings/new/")
    page.locator("#id_title").fill("浏览器测试：道路开口审批协调会")
    page.locator("#id_held_on").fill(TODAY.isoformat())
    page.locator("#id_cases").fill(number)
    page.locator("#id_units").select_option([LEAD_UNIT, "990000-D13"])
    page.locator("#id_minutes").fill("会议明确由河阳区市场监管局牵头，市城管局配合。")
    page.locator("#id_decisions-0-text").fill("河阳区市场监管局三日内现场核查并答复企业。")
    page.locator("#id_decisions-0-owner_unit").select_option(LEAD_UNIT)
    page.locator("#id_decisions-0-due_on").fill((TODAY - timedelta(days=1)).isoformat())
    page.get_by_test_id("save").click()
    # A deadline before the meeting is refused next to the field; nothing is saved.
    expect(page.locator("#id_decisions-0-due_on_error")).to_contain_text("不能早于")
    check_page(page)
    screenshot(page, "oversight-meeting-form")
    page.locator("#id_decisions-0-due_on").fill((TODAY + timedelta(days=3)).isoformat())
    page.get_by_test_id("save").click()
    expect(page.locator(".messages li.success")).to_contain_text("联席会议已登记")
    meeting_url = page.url
    decision = page.locator("tr[data-decision]")
    expect(decision).to_have_attribute("data-state", "open")

    # The unit's handler marks it done from the meeting's page.
    page = wb.page("handler")
    page.goto(meeting_url)
    page.locator("tr[data-decision] summary").click()
    page.locator("tr[data-decision] textarea").fill("已现场核查，书面答复企业。")
    page.locator("tr[data-decision] button[type=submit]").click()
    expect(page.locator("tr[data-decision]")).to_have_attribute("data-state", "done")
    open_case(page, number)
    assert history(page)[-2:] == ["joint_meeting", "meeting_decision_done"]
    expect(page.get_by_test_id("case-oversight")).to_contain_text("道路开口审批协调会")


def test_the_demo_meeting_shows_done_open_and_overdue_decisions(wb):
    page = wb.page("supervisor")
    page.goto("/oversight/meetings/")
    expect(page.get_by_test_id("overdue-decisions")).to_be_visible()
    check_page(page)
    screenshot(page, "oversight-meetings")
    page.get_by_role("link", name="交通运输领域疑难逾期件联席会议").first.click()
    states = page.locator("tr[data-decision]").evaluate_all(
        "rows => rows.map(r => r.dataset.state).sort()")
    assert states == ["done", "open", "overdue"]
    check_page(page)
    screenshot(page, "oversight-meeting")


SANCTIONS = {"党内严重警告": 10, "党内警告": 4, "政务警告": 3, "政务记过": 1, "诫勉谈话": 3,
             "书面检查": 4, "提醒谈话": 1, "批评教育": 1, "移送公安机关": 2}


def _by_sanction(page) -> dict[str, int]:
    rows = page.get_by_test_id("by-sanction").locator("tbody tr")
    return {r.locator("td").first.inner_text(): int(r.locator("td").last.inner_text())
            for r in rows.all()}


def test_accountability_names_are_for_the_discipline_commission_only(wb):
    page = wb.page("inspector")
    page.goto("/oversight/accountability/")
    assert _by_sanction(page) == SANCTIONS  # Linfen's 29 (domain.md §2)
    names = page.get_by_test_id("official-name").all_inner_texts()
    assert len(names) >= 20 and all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in names)
    check_page(page)
    screenshot(page, "oversight-accountability-inspector")

    page = wb.page("analyst")
    page.goto("/oversight/accountability/")
    assert _by_sanction(page) == SANCTIONS
    expect(page.get_by_test_id("names-withheld")).to_be_visible()
    body = page.locator("body").inner_text()
    assert not [n for n in names if n in body]
    check_page(page)
    screenshot(page, "oversight-accountability")
    page.locator("tr[data-record] td:first-child a").first.click()
    body = page.locator("body").inner_text()
    assert "保密" in body and not [n for n in names if n in body]


def test_the_commission_records_accountability_and_the_case_never_names_the_official(wb):
    number = wb.new_case("企业举报审批人员故意拖延办理。", dispatch_to="990000-JW")
    page = wb.page("inspector")
    page.goto(f"/oversight/accountability/new/?case={number}")
    expect(page.locator("#id_cases")).to_have_value(number)
    page.locator("#id_official_name").fill("上官云飞")
    page.locator("#id_official_unit").select_option(LEAD_UNIT)
    page.locator("#id_sanction").select_option(label="诫勉谈话")
    page.locator("#id_decided_by").fill("示范市纪委监委")
    page.locator("#id_decided_on").fill((TODAY + timedelta(days=2)).isoformat())
    page.get_by_test_id("save").click()
    expect(page.locator("#id_decided_on_error")).to_contain_text("不能是将来")
    check_page(page)
    page.locator("#id_decided_on").fill(TODAY.isoformat())
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("official-name")).to_have_text("上官云飞")
    screenshot(page, "oversight-record")
    for login in ("dispatcher", "supervisor", "analyst"):
        page = wb.page(login)
        open_case(page, number)
        assert history(page)[-1] == "accountability"
        body = page.locator("body").inner_text()
        assert "诫勉谈话" in body and "上官云飞" not in body and "上官" not in body


def test_an_inspection_problem_becomes_a_case(wb):
    page = wb.page("supervisor")
    page.goto("/oversight/inspections/")
    check_page(page)
    screenshot(page, "oversight-inspections")
    page.get_by_role("link", name="登记监督检查").click()
    page.locator("#id_held_on").fill(TODAY.isoformat())
    page.locator("#id_team").fill("浏览器测试暗访组（2人）")
    page.locator("#id_units").select_option(["990102-HALL", "990102-W01"])
    page.locator("#id_undercover").check()
    page.locator("#id_summary").fill("以群众身份暗访河阳区政务服务中心。")
    page.locator("#id_problems-0-type").select_option("responsibility")
    page.locator("#id_problems-0-unit").select_option("990103-W01")  # not visited
    page.locator("#id_problems-0-category").select_option("SPFW-03")
    page.locator("#id_problems-0-description").fill("窗口未一次性告知所需材料。")
    page.get_by_test_id("save").click()
    expect(page.locator("#id_problems-0-unit_error")).to_contain_text("所检查的单位")
    check_page(page)
    screenshot(page, "oversight-inspection-form")
    page.locator("#id_problems-0-unit").select_option("990102-W01")
    page.get_by_test_id("save").click()
    expect(page.locator(".messages li.success")).to_be_visible()
    assert (_figure(page, "found"), _figure(page, "rectified")) == (1, 0)
    number = page.locator("tr[data-problem]").get_attribute("data-case")

    # The dispatcher finds it in the dispatch queue like any case.
    page = wb.page("dispatcher")
    page.goto("/cases/dispatch/")
    expect(page.locator(f"tr[data-case='{number}']")).to_be_visible()
    open_case(page, number)
    assert history(page) == ["create", "inspection_finding"]
    expect(page.get_by_test_id("case-oversight")).to_contain_text("发现于监督检查")


def test_the_demo_inspection_counts_found_and_rectified(wb):
    page = wb.page("supervisor")
    page.goto("/oversight/inspections/")
    row = page.locator("tr[data-inspection]").filter(has_text="市营商环境监督组（3人）").last
    row.locator("td:first-child a").click()
    assert (_figure(page, "found"), _figure(page, "rectified")) == (2, 2)
    check_page(page)
    screenshot(page, "oversight-inspection")
