"""Joint meetings: recorded with cases, units, minutes and decisions; each decision tracked
to done by the conveners or its unit; overdue decisions found; every step on the
timeline of the meeting's cases."""

from __future__ import annotations

from datetime import date

import pytest

from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState, NotFound
from qinqing.cases.models import CaseEvent
from qinqing.oversight import queries, services
from qinqing.oversight.models import Decision, Meeting

from .conftest import LEAD, OTHER, at

HELD = date(2024, 9, 12)
NOW = at(2024, 9, 12, 16, 0)


@pytest.fixture
def two_cases(make_case):
    return make_case("handling", now=at(2024, 9, 2, 10, 0)), make_case(
        "dispatched", lead=OTHER, now=at(2024, 9, 3, 10, 0))


def meeting_data(two, **over):
    cases = two
    data = {"title": "企业用地审批疑难件联席会议", "held_on": HELD,
            "cases": " ".join(c.number for c in cases), "units": [LEAD, OTHER, "990000-D10"],
            "minutes": "会议听取了情况汇报，明确分工。",
            "decisions": [
                {"text": "河阳区市场监管局五日内完成现场核查。", "owner_unit": LEAD,
                 "due_on": date(2024, 9, 17)},
                {"text": "城东区市场监管局十日内答复企业。", "owner_unit": OTHER,
                 "due_on": date(2024, 9, 24)},
            ]}
    data.update(over)
    return data


def test_a_meeting_is_recorded_with_its_decisions_and_on_each_case(two_cases, user):
    meeting = services.record_meeting(user("supervisor"), meeting_data(two_cases), now=NOW)
    assert set(meeting.cases.values_list("number", flat=True)) == {c.number for c in two_cases}
    assert set(meeting.units.values_list("code", flat=True)) == {LEAD, OTHER, "990000-D10"}
    decisions = list(meeting.decisions.order_by("due_on"))
    assert [(d.owner_unit.code, d.due_on, d.done_at) for d in decisions] == [
        (LEAD, date(2024, 9, 17), None), (OTHER, date(2024, 9, 24), None)]
    for case in two_cases:
        event = CaseEvent.objects.get(case=case, action="joint_meeting")
        assert event.from_state == event.to_state == case.state
        assert event.reason == "企业用地审批疑难件联席会议"
        assert event.data["meeting"] == meeting.pk
        assert [d["owner_unit"] for d in event.data["decisions"]] == [LEAD, OTHER]


def test_decisions_are_tracked_to_done(two_cases, user):
    meeting = services.record_meeting(user("dispatcher"), meeting_data(two_cases), now=NOW)
    mine = meeting.decisions.get(owner_unit__code=LEAD)
    theirs = meeting.decisions.get(owner_unit__code=OTHER)
    # On 18 September the first is overdue, the second not yet.
    today = date(2024, 9, 18)
    assert [d.pk for d in queries.open_decisions(user("supervisor"), today=today,
                                                 overdue_only=True)] == [mine.pk]
    row = queries.meetings(user("supervisor"), today=today).get()
    assert (row.decision_count, row.done_count, row.overdue_count) == (2, 0, 1)

    # Another unit's handler may not mark it done; the owner unit's handler may.
    with pytest.raises(Forbidden):
        services.complete_decision(mine.pk, user("handler2"), "已完成",
                                   now=at(2024, 9, 18, 10, 0))
    done = services.complete_decision(mine.pk, user("handler"), "已完成现场核查并形成报告。",
                                      now=at(2024, 9, 18, 10, 0))
    assert (done.done_by.username, done.done_note) == ("handler", "已完成现场核查并形成报告。")
    with pytest.raises(NotAllowedInState):
        services.complete_decision(mine.pk, user("supervisor"), "再次", now=at(2024, 9, 18, 11, 0))
    # The other unit's leader marks theirs; the meeting is then all done.
    services.complete_decision(theirs.pk, user("leader2"), "已书面答复企业。",
                               now=at(2024, 9, 19, 9, 0))
    row = queries.meetings(user("supervisor"), today=date(2024, 9, 30)).get()
    assert (row.decision_count, row.done_count, row.overdue_count) == (2, 2, 0)
    assert queries.open_decisions(user("supervisor"), today=date(2024, 9, 30)) == []

    # Each completion is on the timeline of each of the meeting's cases, with "late" said.
    for case in two_cases:
        done_events = list(CaseEvent.objects.filter(case=case, action="meeting_decision_done")
                           .order_by("seq"))
        assert [(e.data["decision"], e.data["on_time"], e.actor.username) for e in done_events] \
            == [(mine.pk, False, "handler"), (theirs.pk, True, "leader2")]
        assert done_events[0].reason == "已完成现场核查并形成报告。"


def test_a_decision_added_later_is_on_the_timeline_too(two_cases, user):
    meeting = services.record_meeting(user("supervisor"), meeting_data(two_cases, decisions=[]),
                                      now=NOW)
    assert not meeting.decisions.exists()
    decision = services.add_decision(meeting.pk, user("supervisor"), {
        "text": "市自然资源局出具用地意见。", "owner_unit": "990000-D10",
        "due_on": date(2024, 9, 20)}, now=at(2024, 9, 13, 9, 0))
    assert CaseEvent.objects.filter(action="meeting_decision", data__decision=decision.pk).count() \
        == 2
    with pytest.raises(InvalidInput) as refused:
        services.add_decision(meeting.pk, user("supervisor"), {
            "text": "", "owner_unit": "990103-RS", "due_on": date(2024, 9, 1)},
            now=at(2024, 9, 13, 9, 0))
    assert set(refused.value.fields) == {"text", "owner_unit", "due_on"}
    assert Decision.objects.count() == 1


@pytest.mark.parametrize("change,field", [
    ({"title": ""}, "title"),
    ({"held_on": date(2099, 1, 1)}, "held_on"),  # not in the future
    ({"held_on": "12/09/2024"}, "held_on"),
    ({"minutes": ""}, "minutes"),
    ({"cases": ""}, "cases"),
    ({"cases": "QQ-2024-999999"}, "cases"),
    ({"units": []}, "units"),
    ({"units": ["NOPE"]}, "units"),
    ({"decisions": [{"text": "x", "owner_unit": "990121", "due_on": date(2024, 9, 20)}]},
     "decisions.0.owner_unit"),  # not an attending unit
    ({"decisions": [{"text": "x", "owner_unit": LEAD, "due_on": date(2024, 9, 1)}]},
     "decisions.0.due_on"),  # before the meeting
    ({"decisions": [{"text": "", "owner_unit": LEAD, "due_on": date(2024, 9, 20)}]},
     "decisions.0.text"),
])
def test_bad_input_changes_nothing(two_cases, user, change, field):
    with pytest.raises(InvalidInput) as refused:
        services.record_meeting(user("supervisor"), meeting_data(two_cases, **change), now=NOW)
    assert field in refused.value.fields
    assert not Meeting.objects.exists() and not Decision.objects.exists()
    assert not CaseEvent.objects.filter(action="joint_meeting").exists()


def test_a_case_the_convener_cannot_see_is_refused_like_an_unknown_one(make_case, user):
    other = make_case("dispatched", lead=OTHER)
    mine = make_case("dispatched")
    with pytest.raises(InvalidInput) as refused:
        services.record_meeting(user("supervisor_cty"), meeting_data([mine, other]), now=NOW)
    assert other.number in refused.value.fields["cases"]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("username", ["handler", "leader", "inspector", "analyst", "admin",
                                      "intake", "callback"])
def test_only_supervisors_and_dispatchers_record_meetings(two_cases, user, username):
    with pytest.raises(Forbidden):
        services.record_meeting(user(username), meeting_data(two_cases), now=NOW)
    assert not Meeting.objects.exists()


def test_unit_staff_see_their_meetings_only(two_cases, make_case, user):
    services.record_meeting(user("supervisor"), meeting_data(
        two_cases, units=[LEAD], cases=two_cases[0].number, decisions=[]), now=NOW)
    assert queries.visible_meetings(user("handler")).count() == 1
    assert queries.visible_meetings(user("handler2")).count() == 0
    assert queries.visible_meetings(user("intake")).count() == 0  # no oversight pages
    decision = services.add_decision(Meeting.objects.get().pk, user("supervisor"), {
        "text": "核查", "owner_unit": LEAD, "due_on": date(2024, 9, 20)}, now=NOW)
    with pytest.raises(NotFound):
        services.complete_decision(decision.pk, user("handler2"), "完成", now=NOW)
