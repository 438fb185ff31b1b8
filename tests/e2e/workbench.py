"""What the browser tests do on the workbench pages, in the words of the pages.

Playwright is imported lazily, so that this module (and the folder) can be collected on a
machine without it; the fixtures then skip, or fail under CI.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

PASSWORD = "qinqing-demo"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

LEAD_UNIT = "990102-SCJG"    # handler, leader
OTHER_UNIT = "990103-SCJG"   # handler2


def expect(target):
    from playwright.sync_api import expect as _expect

    return _expect(target)


class Workbench:
    """Signed-in pages per demo login, each in its own browser context."""

    def __init__(self, browser, base_url: str, sessions: dict):
        self.browser = browser
        self.url = base_url
        self._sessions = sessions
        self._contexts = []
        self.csp_violations: list[str] = []

    def page(self, username: str | None, viewport: dict = DESKTOP, **options):
        """A new context's page, signed in as `username` (None: anonymous)."""
        state = None
        if username is not None and username not in self._sessions:
            self._sessions[username] = self._sign_in(username)
        if username is not None:
            state = self._sessions[username]
        options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai", **options}
        context = self.browser.new_context(
            base_url=self.url, viewport=viewport, storage_state=state, **options)
        context.set_default_timeout(15_000)
        self._watch(context)
        self._contexts.append(context)
        return context.new_page()

    def _watch(self, context) -> None:
        """Keep the console's Content-Security-Policy complaints (the conftest fails on any):
        a script, style or image the policy refuses is a page that silently half-works."""
        def on_console(message):
            if "Content Security Policy" in message.text:
                self.csp_violations.append(f"{message.page.url if message.page else '?'}: "
                                           f"{message.text}")
        context.on("console", on_console)

    def _sign_in(self, username: str) -> dict:
        context = self.browser.new_context(base_url=self.url, viewport=DESKTOP, locale="zh-CN")
        self._watch(context)
        try:
            page = context.new_page()
            page.goto("/login/")
            page.get_by_label(re.compile("用户名|Username")).fill(username)
            page.get_by_label(re.compile("密码|Password")).fill(PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(self.url + "/")
            expect(page.get_by_test_id("who")).to_be_visible()
            return context.storage_state()
        finally:
            context.close()

    def api(self, username: str, method: str, path: str, body: dict | None = None) -> dict:
        """Call /api/v1 with `username`'s web session (the API takes it, CSRF-checked):
        for preparing a case quickly; the steps under test go through the pages."""
        page = self.page(username)
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        answer = page.request.fetch(
            "/api/v1" + path, method=method, data=body,
            headers={"X-CSRFToken": cookies.get("csrftoken", ""), "Referer": self.url + "/"})
        text = answer.text()
        page.context.close()
        self._contexts.remove(page.context)
        assert answer.ok, f"{method} {path} as {username}: {answer.status} {text}"
        return json.loads(text)

    def new_case(self, content: str, *, dispatch_to: str | None = None,
                 until: str | None = None) -> str:
        """A complaint filed through the API as the intake agent, optionally routed to
        `dispatch_to` and carried forward to state `until`. Returns its number."""
        number = self.api("intake", "POST", "/cases", {
            "kind": "complaint", "channel": "hotline", "category": "SPFW-01",
            "region": "990102", "title": content[:20], "content": content,
            "reporter": {"name": "测试人", "phone": "13900001111"}})["number"]
        if dispatch_to:
            self.api("dispatcher", "POST", f"/cases/{number}/actions/dispatch",
                     {"lead_unit": dispatch_to, "reason": "浏览器测试：指定承办单位"})
        steps = {"handling": [("handler", "sign", {})],
                 "replied": [("handler", "sign", {}),
                             ("handler", "reply", {"answer": "已现场核查并办结。"})],
                 "reviewed": [("handler", "sign", {}),
                              ("handler", "reply", {"answer": "已现场核查并办结。"}),
                              ("leader", "review", {})]}
        for user, action, body in steps.get(until or "", []):
            self.api(user, "POST", f"/cases/{number}/actions/{action}", body)
        return number

    def close(self):
        for context in self._contexts:
            context.close()
        self._contexts.clear()


# ----------------------------------------------------------------------- intake form

def register_call(page, *, phone: str, name: str, kind: str, category: str, content: str,
                  region: str = "", enterprise: str = "", navigate: bool = True) -> str:
    """Fill the hotline intake form as an agent does during a call (the pickers take the
    first match on Enter) and save it. Returns the new case's number. With
    navigate=False the page is already on the form (reached through the menu)."""
    if navigate:
        page.goto("/intake/new/")
    # The pickers are set up by a deferred script: text typed before it ran opens no list
    # (seen once in CI on a loaded machine, the form reached through the menu).
    page.wait_for_load_state("load")
    page.locator("#id_phone").fill(phone)
    page.locator("#id_name").fill(name)
    for picker, text in (("#id_kind", kind), ("#id_category", category)):
        page.locator(picker).fill(text)
        expect(page.locator(picker)).to_have_attribute("aria-expanded", "true")
        page.locator(picker).press("Enter")
        expect(page.locator(picker)).to_have_attribute("aria-expanded", "false")
    page.locator("#id_content").fill(content)
    if enterprise:
        page.locator("#id_enterprise_name").fill(enterprise)
    if region:
        page.locator("#id_region").select_option(region)
    with page.expect_navigation():
        page.get_by_test_id("save").click()
    errors = page.locator("main .error").all_inner_texts()
    assert not errors, f"the intake form refused the case: {errors}"
    number = page.get_by_test_id("case-number").inner_text().strip()
    assert re.fullmatch(r"QQ-\d{4}-\d{6}", number), number
    return number


# -------------------------------------------------------------------------- case page

def open_case(page, number: str):
    answer = page.goto(f"/cases/{number}/")
    assert answer.status == 200, f"/cases/{number}/: {answer.status}"
    expect(page.get_by_test_id("case-number")).to_have_text(number)


def expect_state(page, state: str):
    """The state badge (its class carries the state's code; its text the label)."""
    expect(page.get_by_test_id("case-state")).to_have_class(re.compile(rf"\bstate-{state}\b"))


def history(page) -> list[str]:
    """The timeline's events, oldest first (the data-event codes)."""
    return page.locator("ol.timeline > li").evaluate_all(
        "items => items.map(li => li.dataset.event)")


def move(page, action: str, fields: dict | None = None, *, ok: bool = True):
    """Open the move's form on the case page, fill it, submit it.

    Fields are the form's own names without the move prefix; a value that is one of a
    radio group's values checks it, True/False tick a checkbox."""
    details = page.locator(f"details[data-action='{action}']")
    expect(details).to_have_count(1)
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    form = details.locator("form")
    for name, value in (fields or {}).items():
        control = form.locator(f"[name='{action}-{name}']")
        kind = control.first.get_attribute("type")
        if kind == "radio":
            form.locator(f"[name='{action}-{name}'][value='{value}']").check()
        elif kind == "checkbox":
            control.set_checked(bool(value))
        elif control.first.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    if ok:
        errors = page.locator("main .error").all_inner_texts()
        assert "/act/" not in page.url and not errors, f"{action} refused: {errors}"
        expect(page.locator(".messages li.success")).to_be_visible()


def row_link(page, number: str):
    """The link to `number` in a list of cases on this page."""
    return page.locator(f"tr[data-case='{number}'] a[href='/cases/{number}/']")


# Rules that must have been evaluated on every page (not just absent from the violations).
REQUIRED_RULES = {"color-contrast", "label", "button-name", "document-title", "html-has-lang"}
BLOCKING = {"serious", "critical"}


def check_page(page) -> None:
    """axe-core on the page as it is, plus our own look at every form control."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"resultTypes": ["violations"]})
    seen = {rule["id"] for kind in ("violations", "passes", "incomplete", "inapplicable")
            for rule in results.response.get(kind, [])}
    assert REQUIRED_RULES <= seen, f"axe did not evaluate {REQUIRED_RULES - seen}"
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"{page.url}:\n" + "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5]) for v in blocking)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea, button')].filter(el => {
            const name = (el.labels && [...el.labels].map(l => l.textContent).join('')) ||
                el.getAttribute('aria-label') || el.getAttribute('title') ||
                (el.getAttribute('aria-labelledby') || '').split(' ').map(
                    id => document.getElementById(id)?.textContent || '').join('') ||
                (el.tagName === 'BUTTON' ? el.textContent : '');
            return !name.trim();
        }).map(el => el.outerHTML.slice(0, 120))""")
    assert not unlabelled, f"{page.url}: controls without a label: {unlabelled}"


def screenshot(page, name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled",
                    caret="hide")
