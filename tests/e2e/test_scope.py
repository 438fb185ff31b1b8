"""A handler sees and acts on their own unit's cases only."""

from __future__ import annotations

import re

import pytest

from tests.e2e.workbench import LEAD_UNIT, expect, row_link

pytestmark = pytest.mark.e2e


def test_handler_refused_another_units_case(wb):
    number = wb.new_case("某餐饮店反映检查人员多次重复检查。", dispatch_to=LEAD_UNIT)


    own = wb.page("handler")  # 990102-SCJG: it is theirs
    own.goto("/cases/inbox/")
    expect(row_link(own, number)).to_be_visible()

    page = wb.page("handler2")  # 990103-SCJG: not theirs
    page.goto("/cases/inbox/")
    expect(page.get_by_test_id("who")).to_be_visible()
    expect(row_link(page, number)).to_have_count(0)

    answer = page.goto(f"/cases/{number}/")
    assert answer.status == 404
    expect(page.get_by_test_id("case-state")).to_have_count(0)
    expect(page.locator("details[data-action]")).to_have_count(0)
    expect(page.locator("form[action*='/act/']")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("某餐饮店")  # nothing of the case leaks

    # Posting the move anyway (a forged form) is refused the same way, and changes nothing.
    csrf = {c["name"]: c["value"] for c in page.context.cookies()}["csrftoken"]
    forged = page.request.post(f"/cases/{number}/act/sign/", form={"csrfmiddlewaretoken": csrf},
                               headers={"Referer": wb.url + "/"}, max_redirects=0)
    assert forged.status == 404
    own.goto(f"/cases/{number}/")
    expect(own.get_by_test_id("case-state")).to_have_class(re.compile(r"\bstate-dispatched\b"))
