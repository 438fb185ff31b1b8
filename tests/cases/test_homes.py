"""Each role's home lists exactly the cases that role can move now.

The expected set is derived from the transition table (`available_moves`, which reads
TABLE and the conditions the services check), over a case in every state and in the
conditions that change what is offered (a pending request, a suspension, a consultation,
an upheld objection), for every role that has moves, and for staff of another unit."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qinqing.cases import services
from qinqing.cases.transitions import TABLE, available_moves

from .conftest import OTHER

# Every role of the table, and people of the same roles outside the case's scope.
USERS = ["intake", "dispatcher", "handler", "leader", "callback", "handler2", "leader2",
         "intake_cty", "dispatcher_cty", "callback_cty"]


@pytest.fixture
def every_state(make_case, user):
    """A case in every state, plus the variations the table's conditions depend on."""
    cases = {state: make_case(state) for state in
             ("received", "dispatched", "handling", "returned", "replied", "reviewed", "closed")}
    cases["consultation"] = make_case("received", kind="consultation")
    cases["elsewhere"] = make_case("dispatched", lead=OTHER)
    handler, dispatcher = user("handler"), user("dispatcher")
    pending = make_case("handling")
    services.perform(pending.number, "request_extension", handler,
                     {"reason": "需现场核查", "limit": "2d"})
    cases["pending_extension"] = pending
    suspended = make_case("handling")
    services.perform(suspended.number, "request_suspension", handler, {"reason": "等企业材料"})
    services.perform(suspended.number, "approve_suspension", dispatcher)
    cases["suspended"] = suspended
    upheld = make_case("returned")
    services.perform(upheld.number, "redispatch", dispatcher,
                     {"lead_unit": upheld.lead_unit.code, "reason": "属于本单位职责"})
    cases["upheld"] = upheld
    reopened = make_case("reviewed")
    services.perform(reopened.number, "reopen", user("callback"), {"reason": "企业不满意"})
    cases["reopened"] = reopened
    from qinqing.cases.models import Case

    return {name: Case.objects.get(pk=c.pk) for name, c in cases.items()}


def _listed(username, user) -> set[str]:
    client = Client()
    client.force_login(user(username))
    page = client.get("/").content.decode()
    section = page.split('data-testid="all-work"')[1].split("</section>")[0]
    listed = set(re.findall(r'data-case="(QQ-[\d-]+)"', section))
    # The tiles' lists (late, due today, new) are parts of it, never more.
    assert set(re.findall(r'data-case="(QQ-[\d-]+)"', page)) <= listed
    return listed


@pytest.mark.parametrize("username", USERS)
def test_a_home_lists_exactly_what_its_user_can_move(every_state, user, username):
    actor = user(username)
    assert any(actor.role in move.roles for move in TABLE.values())
    expected = {c.number for c in every_state.values() if available_moves(c, actor)}
    assert _listed(username, user) == expected


def test_the_matrix_is_not_empty(every_state, user):
    """The test above compares against the table: check the table gives each role some
    work here, so that an empty home cannot pass by accident."""
    movers = {name: [u for u in USERS if available_moves(case, user(u))]
              for name, case in every_state.items()}
    assert movers["replied"] == ["dispatcher", "leader"]  # the unit head reviews
    assert movers["reviewed"] == ["callback"]
    assert movers["closed"] == []
    assert set(movers["pending_extension"]) == {"dispatcher", "handler", "leader"}
    assert movers["elsewhere"] == ["handler2", "leader2"]


def test_the_unit_head_sees_the_replies_waiting_for_review_with_their_deadline(
        make_case, user):
    case = make_case("replied")
    client = Client()
    client.force_login(user("leader"))
    page = client.get("/").content.decode()
    row = page.split('data-testid="all-work"')[1].split(f'data-case="{case.number}"')[1]
    row = row.split("</tr>")[0]
    assert "单位审核" in row and "<time" in row  # the review stage's deadline
    assert case.number not in _listed("handler", user)


def _marker(page: str, number: str) -> str:
    row = page.split(f'data-case="{number}"')[1].split("</tr>")[0]
    found = re.search(r'<p class="came-back" data-came-back="(\w+)">.*?</p>', row, re.S)
    return found.group(0) if found else ""


def test_the_dispatcher_sees_why_and_when_a_case_came_back(make_case, user):
    from django.utils import timezone

    from qinqing.cases.models import CaseEvent

    returned = make_case("returned")
    fresh = make_case("received")
    client = Client()
    client.force_login(user("dispatcher"))
    event = CaseEvent.objects.get(case=returned, action="return")
    for url in ("/", "/cases/dispatch/"):
        page = client.get(url).content.decode()
        marker = _marker(page, returned.number)
        assert 'data-came-back="returned"' in marker and "退回" in marker
        assert "不属于本单位职责" in marker  # the unit's reason
        assert f'datetime="{timezone.localtime(event.at).isoformat()}"' in marker  # when
        assert _marker(page, fresh.number) == ""
    page = client.get(f"/cases/{returned.number}/").content.decode()
    head = page.split('class="case-head"')[1].split("</header>")[0]
    assert 'data-came-back="returned"' in head and "不属于本单位职责" in head

    # Reopened after a dissatisfied callback: 重办, with the caller's reason, on the case
    # page and wherever the case is listed for the dispatcher (here: a pending request).
    reopened = make_case("reviewed")
    services.perform(reopened.number, "reopen", user("callback"), {"reason": "企业仍未拿到执照"})
    services.perform(reopened.number, "request_extension", user("handler"),
                     {"reason": "需重新核查", "limit": "2d"})
    page = client.get(f"/cases/{reopened.number}/").content.decode()
    head = page.split('class="case-head"')[1].split("</header>")[0]
    assert 'data-came-back="reopened"' in head and "重办" in head and "企业仍未拿到执照" in head
    marker = _marker(client.get("/").content.decode(), reopened.number)
    assert 'data-came-back="reopened"' in marker and "企业仍未拿到执照" in marker
    # Redispatched, the return is decided: no marker any more.
    services.perform(returned.number, "redispatch", user("dispatcher"),
                     {"lead_unit": OTHER, "reason": "改派"})
    page = client.get(f"/cases/{returned.number}/").content.decode()
    assert "data-came-back" not in page.split('class="case-head"')[1].split("</header>")[0]
