"""Every workbench page passes axe-core (no serious or critical violation), every control
has a label, and the run leaves a full-page screenshot of each main page in
docs/screenshots/ (shown in the README), over the demo city's own data."""

from __future__ import annotations

import pytest

from tests.e2e.workbench import PHONE, check_page, expect, screenshot

pytestmark = pytest.mark.e2e


def _first_case(page, queue: str, section: int | None = None):
    """Open the first case of a queue page (of its n-th section when it has several)."""
    page.goto(queue)
    scope = page.locator("main")
    if section is not None:
        scope = scope.locator(":scope > section").nth(section)
    link = scope.locator("table.cases tr[data-case] td:first-child a").first
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_test_id("case-state")).to_be_visible()


def _reveal(page):
    _first_case(page, "/cases/callbacks/")
    page.goto(page.url + "reveal/")


# (name, login, where: a path or a function that gets there, screenshot?)
PAGES = [
    ("login", None, "/login/", False),
    ("home-intake", "intake", "/", True),
    ("home-dispatcher", "dispatcher", "/", True),
    ("home-handler", "handler", "/", True),
    ("home-callback", "callback", "/", True),
    ("home-supervisor", "supervisor", "/", True),
    ("intake-form", "intake", "/intake/new/", True),
    ("dispatch-queue", "dispatcher", "/cases/dispatch/", True),
    ("case-dispatcher", "dispatcher", lambda p: _first_case(p, "/cases/dispatch/"), False),
    ("case", "handler", lambda p: _first_case(p, "/cases/inbox/", section=1), True),
    ("case-leader", "leader", lambda p: _first_case(p, "/cases/inbox/", section=2), False),
    ("case-callback", "callback", lambda p: _first_case(p, "/cases/callbacks/"), False),
    ("reveal", "callback", _reveal, False),
    ("inbox", "handler", "/cases/inbox/", True),
    ("inbox-phone", "handler", "/cases/inbox/", True),
    ("callback-queue", "callback", "/cases/callbacks/", True),
    ("supervision", "supervisor", "/supervision/", True),
    ("search", "analyst", "/cases/?q=营业执照", True),
]


@pytest.mark.parametrize("name, login, where, shot", PAGES, ids=[p[0] for p in PAGES])
def test_page_is_accessible(wb, name, login, where, shot):
    if name.endswith("-phone"):
        page = wb.page(login, viewport=PHONE, is_mobile=True, has_touch=True)
    else:
        page = wb.page(login)
    if callable(where):
        where(page)
    else:
        answer = page.goto(where)
        assert answer.status == 200, f"{where}: {answer.status}"
    page.wait_for_load_state("load")
    if shot:
        screenshot(page, name)  # as a person first sees it: forms folded
    # Then with every move's form unfolded, so that each form is checked too.
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    check_page(page)
