"""Overdue sweep campaigns: the snapshot, what counts as cleared, the burn-down per day
(recomputed from stored times), scope, closing, and who may do what."""

from __future__ import annotations

from datetime import date

import pytest

from qinqing.cases import services as case_services
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState
from qinqing.cases.models import CaseEvent
from qinqing.cases.timeline import broken_chains
from qinqing.oversight import queries, services
from qinqing.oversight.models import Campaign, CampaignCase

from .conftest import LEAD, at

T = at(2024, 9, 2, 10, 0)  # a Monday; the cases are made then
T0 = at(2024, 9, 10, 9, 30)  # the campaign starts: every stage of A, B, C is long overdue


@pytest.fixture
def world(make_case, user):
    """A: dispatched (sign and resolve overdue), B: handling (resolve overdue), C: received
    (dispatch overdue), D: closed, E: suspended while handling, G: dispatched just before
    T0 (not overdue yet)."""
    cases = {
        "A": make_case("dispatched", now=T),
        "B": make_case("handling", now=T),
        "C": make_case("received", now=T),
        "D": make_case("closed", now=T),
        "E": make_case("handling", now=T),
    }
    case_services.perform(cases["E"].number, "request_suspension", user("handler"),
                          {"reason": "等待企业补充材料"}, now=at(2024, 9, 2, 15, 0))
    case_services.perform(cases["E"].number, "approve_suspension", user("dispatcher"), {},
                          now=at(2024, 9, 2, 15, 30))
    cases["G"] = make_case("dispatched", now=at(2024, 9, 10, 9, 0))
    return cases


def start(user, **data):
    return services.start_campaign(user("supervisor"), {"name": "九月逾期件专项清零", **data},
                                   now=T0)


def members(campaign) -> set[str]:
    return set(CampaignCase.objects.filter(campaign=campaign)
               .values_list("case__number", flat=True))


def test_the_snapshot_takes_every_case_overdue_at_the_start(world, user):
    campaign = start(user)
    assert members(campaign) == {world[k].number for k in "ABC"}
    assert campaign.snapshot_count == 3
    by_case = {m.case_id: m for m in CampaignCase.objects.filter(campaign=campaign)
               .prefetch_related("clocks")}
    a, b, c = (by_case[world[k].pk] for k in "ABC")
    assert sorted(cl.stage for cl in a.clocks.all()) == ["resolve", "sign"]
    assert [cl.stage for cl in b.clocks.all()] == ["resolve"]
    assert [cl.stage for cl in c.clocks.all()] == ["dispatch"]
    assert a.unit.code == b.unit.code == LEAD  # the lead unit answers for sign and resolve
    assert c.unit.code == "990000"  # the hotline answers for dispatch
    # Each case entering the campaign has one event, state unchanged; the others none.
    entered = CaseEvent.objects.filter(action="campaign_entered")
    assert set(entered.values_list("case__number", flat=True)) == members(campaign)
    event = entered.get(case=world["B"])
    assert (event.from_state, event.to_state, event.reason) == ("handling", "handling",
                                                               "九月逾期件专项清零")
    assert event.data["campaign"] == campaign.pk
    assert [s["stage"] for s in event.data["stages"]] == ["resolve"]
    assert event.at == T0
    # Written in bulk, still one hash chain per case, as `qinqing verify-ledger` checks.
    assert list(broken_chains()) == []
    assert event.seq == CaseEvent.objects.filter(case=world["B"]).count()


def test_burn_down_counts_cleared_cases_per_day_from_stored_times(world, user):
    campaign = start(user)
    handler, dispatcher = user("handler"), user("dispatcher")
    case_services.perform(world["A"].number, "sign", handler, {}, now=at(2024, 9, 11, 10, 0))
    case_services.perform(world["B"].number, "reply", handler, {"answer": "已办结"},
                          now=at(2024, 9, 11, 11, 0))
    case_services.perform(world["C"].number, "dispatch", dispatcher,
                          {"lead_unit": LEAD, "reason": "属地管理"}, now=at(2024, 9, 12, 10, 0))
    case_services.perform(world["A"].number, "reply", handler, {"answer": "已办结"},
                          now=at(2024, 9, 13, 10, 0))

    progress = queries.campaign_progress(campaign, user("supervisor"),
                                         now=at(2024, 9, 13, 18, 0))
    assert [(d.day, d.remaining, d.cleared) for d in progress.days] == [
        (date(2024, 9, 10), 3, 0),
        (date(2024, 9, 11), 2, 1),  # A only signed: its resolve stage is still open
        (date(2024, 9, 12), 1, 1),
        (date(2024, 9, 13), 0, 1),
    ]
    assert (progress.total, progress.cleared, progress.remaining) == (3, 3, 0)
    assert progress.groups == []
    # Asked again a week later: the same days, then zeros: nothing is stored but times.
    later = queries.campaign_progress(campaign, user("supervisor"), now=at(2024, 9, 20, 9, 0))
    assert [(d.day, d.remaining) for d in later.days[:4]] == [
        (d.day, d.remaining) for d in progress.days]
    assert {d.remaining for d in later.days[4:]} == {0}


def test_remaining_cases_are_listed_by_the_unit_that_must_act(world, user):
    campaign = start(user)
    case_services.perform(world["B"].number, "reply", user("handler"), {"answer": "已办结"},
                          now=at(2024, 9, 11, 11, 0))
    progress = queries.campaign_progress(campaign, user("supervisor"),
                                         now=at(2024, 9, 11, 12, 0))
    assert progress.remaining == 2
    assert [(g.unit.code, [m.case.number for m in g.members]) for g in progress.groups] == [
        ("990000", [world["C"].number]), (LEAD, [world["A"].number])]
    assert queries.campaigns(user("supervisor"))[0].remaining == 2


def test_a_return_stops_the_overdue_stage_and_a_closed_case_is_cleared(world, user):
    campaign = start(user)
    case_services.perform(world["A"].number, "return", user("handler"),
                          {"reason": "不属于本单位职责"}, now=at(2024, 9, 11, 10, 0))
    case_services.perform(world["C"].number, "reject", user("dispatcher"),
                          {"reason": "无效诉求"}, now=at(2024, 9, 11, 11, 0))
    moments = queries.cleared_moments(campaign)
    by_case = dict(CampaignCase.objects.filter(campaign=campaign)
                   .values_list("case__number", "pk"))
    assert moments[by_case[world["A"].number]] == at(2024, 9, 11, 10, 0)
    assert moments[by_case[world["C"].number]] == at(2024, 9, 11, 11, 0)
    assert moments[by_case[world["B"].number]] is None
    assert queries.campaign_remaining(campaign) == 1


@pytest.mark.parametrize("scope,expected", [
    ({"unit": LEAD}, "AB"),
    ({"unit": "990000"}, "ABC"),  # the city and every unit below it
    ({"region": "990000"}, "ABC"),
    ({"kind": "complaint"}, "ABC"),
])
def test_scope_narrows_the_snapshot(world, user, scope, expected):
    campaign = start(user, **scope)
    assert members(campaign) == {world[k].number for k in expected}


@pytest.mark.parametrize("scope", [{"region": "990103"}, {"kind": "report"},
                                   {"unit": "990103-SCJG"}])
def test_a_scope_with_nothing_overdue_starts_nothing(world, user, scope):
    with pytest.raises(InvalidInput) as refused:
        start(user, **scope)
    assert refused.value.code == "nothing_overdue"
    assert not Campaign.objects.exists()
    assert not CaseEvent.objects.filter(action="campaign_entered").exists()


def test_a_supervisor_sweeps_only_what_they_may_see(world, user):
    campaign = services.start_campaign(user("supervisor_cty"), {"name": "河阳区清零"}, now=T0)
    assert members(campaign) == {world["A"].number, world["B"].number}  # C is the city's


@pytest.mark.parametrize("data,field", [
    ({"name": "  "}, "name"),
    ({"name": "x" * 121}, "name"),
    ({"name": "清零", "region": "990102-SCJG"}, "region"),  # a department is not a region
    ({"name": "清零", "unit": "NOPE"}, "unit"),
    ({"name": "清零", "kind": "gossip"}, "kind"),
])
def test_bad_input_changes_nothing(world, user, data, field):
    with pytest.raises(InvalidInput) as refused:
        services.start_campaign(user("supervisor"), data, now=T0)
    assert field in refused.value.fields
    assert not Campaign.objects.exists()
    assert not CaseEvent.objects.filter(action="campaign_entered").exists()


@pytest.mark.parametrize("username", ["dispatcher", "inspector", "handler", "analyst",
                                      "admin", "intake", "callback", "leader"])
def test_only_supervisors_start_and_close_campaigns(world, user, username):
    with pytest.raises(Forbidden):
        services.start_campaign(user(username), {"name": "清零"}, now=T0)
    campaign = start(user)
    with pytest.raises(Forbidden):
        services.close_campaign(campaign.pk, user(username), "", now=at(2024, 9, 12, 9, 0))
    assert Campaign.objects.get().closed_at is None


def test_closing_keeps_what_was_left_and_ends_the_burn_down(world, user):
    campaign = start(user)
    handler = user("handler")
    case_services.perform(world["B"].number, "reply", handler, {"answer": "已办结"},
                          now=at(2024, 9, 11, 11, 0))
    closed = services.close_campaign(campaign.pk, user("supervisor"), "剩余件转挂牌督办",
                                     now=at(2024, 9, 12, 17, 0))
    assert (closed.remaining_at_close, closed.closing_note) == (2, "剩余件转挂牌督办")
    with pytest.raises(NotAllowedInState):
        services.close_campaign(campaign.pk, user("supervisor"), "", now=at(2024, 9, 13, 9, 0))
    # A case cleared after the close does not change the campaign's record.
    case_services.perform(world["A"].number, "sign", handler, {}, now=at(2024, 9, 13, 10, 0))
    case_services.perform(world["A"].number, "reply", handler, {"answer": "已办结"},
                          now=at(2024, 9, 13, 11, 0))
    progress = queries.campaign_progress(Campaign.objects.get(), user("supervisor"),
                                         now=at(2024, 9, 20, 9, 0))
    assert [(d.day, d.remaining) for d in progress.days] == [
        (date(2024, 9, 10), 3), (date(2024, 9, 11), 2), (date(2024, 9, 12), 2)]
    assert progress.remaining == 2


def test_a_double_submitted_form_starts_one_campaign(world, user):
    first = services.start_campaign(user("supervisor"), {"name": "清零"}, now=T0, key="k1")
    again = services.start_campaign(user("supervisor"), {"name": "清零"}, now=T0, key="k1")
    assert first.pk == again.pk and Campaign.objects.count() == 1
    assert CaseEvent.objects.filter(action="campaign_entered").count() == 3


def test_the_database_filter_and_the_burn_down_agree_on_every_day(world, user):
    campaign = start(user)
    handler = user("handler")
    case_services.perform(world["B"].number, "reply", handler, {"answer": "已办结"},
                          now=at(2024, 9, 11, 11, 0))
    case_services.perform(world["C"].number, "reject", user("dispatcher"),
                          {"reason": "无效诉求"}, now=at(2024, 9, 12, 11, 0))
    moments = queries.cleared_moments(campaign)
    for moment in (T0, at(2024, 9, 11, 10, 59), at(2024, 9, 11, 11, 0), at(2024, 9, 12, 12, 0),
                   at(2024, 9, 30, 0, 0)):
        by_times = sum(1 for m in moments.values() if m is None or m > moment)
        assert queries.campaign_remaining(campaign, moment) == by_times, moment


def test_the_page_lists_a_limited_number_but_counts_every_case(world, user, monkeypatch):
    campaign = start(user)
    monkeypatch.setattr(queries, "LIST_LIMIT", 1)
    progress = queries.campaign_progress(campaign, user("supervisor"), now=at(2024, 9, 11, 9, 0))
    assert progress.remaining == 3
    assert [(g.unit.code, g.count, len(g.members)) for g in progress.groups] == [
        (LEAD, 2, 0), ("990000", 1, 1)]  # every unit counted, the first case listed
    assert progress.groups[0].unlisted == 2
    # A viewer who sees fewer cases gets them counted apart.
    other = queries.campaign_progress(campaign, user("handler2"), now=at(2024, 9, 11, 9, 0))
    assert (other.remaining, other.hidden, other.groups) == (3, 3, [])
