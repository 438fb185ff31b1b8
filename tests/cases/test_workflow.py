"""A case's life through the pipeline, and the rules along the way."""

from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

import pytest

from qinqing.cases import queries, services
from qinqing.cases.errors import InvalidInput, NotAllowedInState, NotFound
from qinqing.cases.models import (
    AssignmentRule, Case, Category, ChangeRequest, Kind, Outcome, Reporter, Stage, StageClock,
    State,
)
from qinqing.cases.timeline import broken_chains
from qinqing.org.models import Unit

from .conftest import LEAD, OTHER, at, case_data


def actions(case) -> list[str]:
    return list(case.events.order_by("seq").values_list("action", flat=True))


def open_stages(case) -> list[str]:
    return sorted(case.clocks.filter(done_at__isnull=True).values_list("stage", flat=True))


def test_full_life_to_a_resolved_close(user, demo_org):
    intake = services.create_case(user("intake"), case_data(), now=at(2026, 3, 2, 9, 30))
    number = intake.case.number
    steps = [("dispatch", "dispatcher", {"lead_unit": LEAD}, at(2026, 3, 2, 9, 45)),
             ("sign", "handler", {}, at(2026, 3, 2, 10, 0)),
             ("reply", "handler", {"answer": "执照已核发。"}, at(2026, 3, 3, 10, 0)),
             ("review", "leader", {}, at(2026, 3, 3, 11, 0)),
             ("callback", "callback", {"satisfaction": "satisfied"}, at(2026, 3, 3, 14, 0))]
    states = []
    for action, actor, payload, moment in steps:
        states.append(services.perform(number, action, user(actor), payload, now=moment).state)
    assert states == [State.DISPATCHED, State.HANDLING, State.REPLIED, State.REVIEWED,
                      State.CLOSED]
    case = Case.objects.get(number=number)
    assert (case.outcome, case.satisfaction, case.resolved) == (Outcome.RESOLVED, "satisfied",
                                                                True)
    assert case.closed_at == at(2026, 3, 3, 14, 0)
    assert case.answer == "执照已核发。"
    assert actions(case) == ["create", "dispatch", "sign", "reply", "review", "callback"]
    clocks = list(case.clocks.order_by("started_at", "pk").values_list("stage", "on_time"))
    assert clocks == [(Stage.DISPATCH, True), (Stage.SIGN, True), (Stage.RESOLVE, True),
                      (Stage.REVIEW, True), (Stage.CALLBACK, True)]
    assert open_stages(case) == []
    assert list(broken_chains()) == []
    # The person follows it with the query code.
    assert queries.public_status(number, intake.query_code) == case
    assert queries.public_status(number, "WRONGCODE") is None
    with pytest.raises(NotAllowedInState):
        services.perform(number, "callback", user("callback"), {"satisfaction": "satisfied"})


def test_return_and_redispatch_to_another_unit(make_case, user):
    case = make_case("dispatched")
    services.perform(case.number, "return", user("handler"), {"reason": "属于城东区管辖"})
    case.refresh_from_db()
    assert case.state == State.RETURNED
    assert open_stages(case) == [Stage.DISPATCH]
    with pytest.raises(InvalidInput) as no_reason:
        services.perform(case.number, "redispatch", user("dispatcher"), {"lead_unit": OTHER})
    assert "reason" in no_reason.value.fields
    services.perform(case.number, "redispatch", user("dispatcher"),
                     {"lead_unit": OTHER, "reason": "确属城东区"})
    case.refresh_from_db()
    assert (case.state, case.lead_unit.code, case.return_locked) == (
        State.DISPATCHED, OTHER, False)
    assert open_stages(case) == [Stage.RESOLVE, Stage.SIGN]
    with pytest.raises(NotFound):  # the first unit no longer holds it
        services.perform(case.number, "sign", user("handler"))
    services.perform(case.number, "sign", user("handler2"))
    assert Case.objects.get(pk=case.pk).state == State.HANDLING


def test_objection_upheld_locks_the_return(make_case, user):
    case = make_case("dispatched")
    services.perform(case.number, "return", user("handler"), {"reason": "不属于本单位"})
    services.perform(case.number, "redispatch", user("dispatcher"),
                     {"lead_unit": LEAD, "reason": "依据权责清单属于该单位"})
    case.refresh_from_db()
    assert (case.state, case.lead_unit.code, case.return_locked) == (
        State.DISPATCHED, LEAD, True)
    assert case.events.order_by("-seq").first().data["objection_upheld"] is True
    events = case.events.count()
    for actor in ("handler", "leader"):
        with pytest.raises(NotAllowedInState) as locked:
            services.perform(case.number, "return", user(actor), {"reason": "还是不属于"})
        assert locked.value.code == "return_locked"
    case.refresh_from_db()
    assert (case.state, case.events.count()) == (State.DISPATCHED, events)
    services.perform(case.number, "sign", user("handler"))
    assert Case.objects.get(pk=case.pk).state == State.HANDLING


def test_dissatisfied_callback_reopens(make_case, user):
    case = make_case("reviewed", now=at(2026, 3, 2, 9, 0))
    first_resolve = case.clocks.get(stage=Stage.RESOLVE)
    with pytest.raises(InvalidInput):  # reopening needs the caller's reason
        services.perform(case.number, "callback", user("callback"),
                         {"satisfaction": "dissatisfied"})
    moment = at(2026, 3, 3, 15, 0)
    services.perform(case.number, "callback", user("callback"),
                     {"satisfaction": "dissatisfied", "reason": "执照仍未拿到"}, now=moment)
    case.refresh_from_db()
    assert (case.state, case.reopen_count, case.satisfaction) == (
        State.HANDLING, 1, "dissatisfied")
    assert case.closed_at is None and case.outcome == ""
    assert actions(case)[-1] == "reopen"
    fresh = case.clocks.get(stage=Stage.RESOLVE, done_at__isnull=True)
    assert fresh.pk != first_resolve.pk and fresh.started_at == moment
    assert fresh.due_at == at(2026, 3, 6, 17, 30)  # 3 working days after Tue 3 March
    assert open_stages(case) == [Stage.RESOLVE]
    # Second round, and this time the caller is satisfied.
    services.perform(case.number, "reply", user("handler"), {"answer": "已补发执照"})
    services.perform(case.number, "review", user("dispatcher"))
    services.perform(case.number, "callback", user("callback"), {"satisfaction": "satisfied"})
    case.refresh_from_db()
    assert (case.state, case.outcome, case.reopen_count) == (State.CLOSED, Outcome.RESOLVED, 1)


def test_merge_keeps_the_callers(make_case, user):
    first = make_case("dispatched")
    repeat = make_case("received", reporter={"name": "李四", "phone": "139-0000-1111"})
    intake = user("intake")
    with pytest.raises(InvalidInput):
        services.perform(repeat.number, "merge", intake, {"into": repeat.number})
    with pytest.raises(InvalidInput):
        services.perform(repeat.number, "merge", intake, {"into": "QQ-2026-999999"})
    services.perform(repeat.number, "merge", intake, {"into": first.number})
    repeat.refresh_from_db()
    assert (repeat.state, repeat.outcome, repeat.merged_into_id) == (
        State.CLOSED, Outcome.MERGED, first.pk)
    copies = Reporter.objects.filter(case=first, merged_from=repeat)
    assert copies.count() == 1
    copy = copies.get()
    assert not copy.is_primary
    assert copy.phone_index == Reporter.objects.get(case=repeat).phone_index
    assert Reporter.objects.filter(case=repeat).count() == 1  # the original stays
    merged_in = first.events.order_by("-seq").first()
    assert (merged_in.action, merged_in.data["from"]) == ("merged_in", repeat.number)
    assert first.events.order_by("-seq").first().data["callers_added"] == 1
    shown = services.unmask_reporters(first.number, user("dispatcher"), "通知全部来电人")
    assert [(r["name"], r["phone"], r["merged_from"]) for r in shown] == [
        ("张三丰", "13812345678", None), ("李四", "13900001111", repeat.number)]
    assert first.number in {c.number for c in queries.cases_of_caller(user("dispatcher"),
                                                                     "13900001111")}
    assert list(broken_chains()) == []


def test_merge_into_a_closed_case_is_refused(make_case, user):
    closed = make_case("closed")
    case = make_case("received")
    with pytest.raises(InvalidInput) as refused:
        services.perform(case.number, "merge", user("intake"), {"into": closed.number})
    assert "into" in refused.value.fields
    assert Case.objects.get(pk=case.pk).state == State.RECEIVED
    assert not Reporter.objects.filter(case=closed, merged_from__isnull=False).exists()


def test_not_accept_records_what_the_caller_was_told(make_case, user):
    case = make_case("received")
    with pytest.raises(InvalidInput) as missing:
        services.perform(case.number, "not_accept", user("intake"), {"reason": "属于诉讼事项"})
    assert set(missing.value.fields) == {"told"}
    services.perform(case.number, "not_accept", user("intake"),
                     {"reason": "属于诉讼事项", "told": "已告知向人民法院起诉"})
    case.refresh_from_db()
    assert (case.state, case.outcome, case.answer) == (
        State.CLOSED, Outcome.NOT_ACCEPTED, "已告知向人民法院起诉")
    event = case.events.order_by("-seq").first()
    assert (event.action, event.reason, event.data["told"]) == (
        "not_accept", "属于诉讼事项", "已告知向人民法院起诉")


def test_direct_answer_only_for_consultations(make_case, user):
    complaint = make_case("received", kind=Kind.COMPLAINT)
    with pytest.raises(NotAllowedInState) as refused:
        services.perform(complaint.number, "answer", user("intake"), {"answer": "请等待"})
    assert refused.value.code == "not_a_consultation"
    complaint.refresh_from_db()
    assert (complaint.state, complaint.outcome, complaint.events.count()) == (
        State.RECEIVED, "", 1)
    question = make_case("received", kind=Kind.CONSULTATION)
    services.perform(question.number, "answer", user("intake"), {"answer": "可网上办理。"})
    question.refresh_from_db()
    assert (question.state, question.outcome, question.answer) == (
        State.CLOSED, Outcome.DIRECT_ANSWER, "可网上办理。")
    assert open_stages(question) == []


def test_extension_cap(make_case, user):
    case = make_case("handling")
    handler, dispatcher = user("handler"), user("dispatcher")
    for _ in range(2):  # the default policy allows two
        services.perform(case.number, "request_extension", handler,
                         {"reason": "需要现场核查", "limit": "2d"})
        with pytest.raises(NotAllowedInState) as pending:
            services.perform(case.number, "request_extension", handler,
                             {"reason": "再要一次", "limit": "2d"})
        assert pending.value.code == "request_pending"
        services.perform(case.number, "approve_extension", dispatcher)
    with pytest.raises(NotAllowedInState) as cap:
        services.perform(case.number, "request_extension", handler,
                         {"reason": "第三次", "limit": "2d"})
    assert cap.value.code == "cap_reached"
    case.refresh_from_db()
    assert case.extension_count == 2
    assert ChangeRequest.objects.filter(case=case).count() == 2
    other = make_case("handling")
    with pytest.raises(InvalidInput) as malformed:
        services.perform(other.number, "request_extension", handler,
                         {"reason": "x", "limit": "two days"})
    assert set(malformed.value.fields) == {"limit"}


def test_denied_extension_leaves_the_deadline(make_case, user):
    case = make_case("handling")
    due = case.clocks.get(stage=Stage.RESOLVE).due_at
    services.perform(case.number, "request_extension", user("handler"),
                     {"reason": "需要核查", "limit": "2d"})
    services.perform(case.number, "deny_extension", user("dispatcher"), {"reason": "时间够用"})
    case.refresh_from_db()
    assert case.extension_count == 0
    assert case.clocks.get(stage=Stage.RESOLVE).due_at == due
    assert ChangeRequest.objects.get(case=case).approved is False


def test_dispatch_departing_from_the_catalogue_needs_a_reason(make_case, user):
    AssignmentRule.objects.create(category=Category.objects.get(code="SPFW"),
                                  lead_unit=Unit.objects.get(code=LEAD))
    dispatcher = user("dispatcher")
    case = make_case("received")  # category SPFW-01: the parent's rule applies
    with pytest.raises(InvalidInput) as refused:
        services.perform(case.number, "dispatch", dispatcher, {"lead_unit": OTHER})
    assert set(refused.value.fields) == {"reason"}
    case.refresh_from_db()
    assert (case.state, case.lead_unit, case.events.count()) == (State.RECEIVED, None, 1)
    services.perform(case.number, "dispatch", dispatcher,
                     {"lead_unit": OTHER, "reason": "企业注册地在城东区"})
    event = Case.objects.get(pk=case.pk).events.order_by("-seq").first()
    assert (event.data["proposed"], event.data["lead_unit"], event.reason) == (
        LEAD, OTHER, "企业注册地在城东区")
    # Following the catalogue needs no reason.
    other = make_case("received")
    services.perform(other.number, "dispatch", dispatcher, {"lead_unit": LEAD})
    assert Case.objects.get(pk=other.pk).lead_unit.code == LEAD


def test_a_regional_rule_wins_over_the_any_region_rule(make_case, user):
    category = Category.objects.get(code="SPFW-01")
    AssignmentRule.objects.create(category=category, lead_unit=Unit.objects.get(code=LEAD))
    AssignmentRule.objects.create(category=category, region=Unit.objects.get(code="990103"),
                                  lead_unit=Unit.objects.get(code=OTHER))
    case = make_case("received", region="990103")
    with pytest.raises(InvalidInput):
        services.perform(case.number, "dispatch", user("dispatcher"), {"lead_unit": LEAD})
    services.perform(case.number, "dispatch", user("dispatcher"), {"lead_unit": OTHER})
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_idempotent_create(user, demo_org):
    intake = user("intake")
    first = services.create_case(intake, case_data(), idempotency_key="call-42")
    again = services.create_case(intake, case_data(), idempotency_key="call-42")
    assert first.created and not again.created
    assert (again.case.pk, again.query_code) == (first.case.pk, first.query_code)
    assert Case.objects.count() == 1
    with pytest.raises(InvalidInput) as reused:
        services.create_case(intake, case_data(content="另一件事"), idempotency_key="call-42")
    assert reused.value.code == "idempotency_key_reused"
    # A key is the caller's own: another agent's same key is another case.
    other = services.create_case(user("dispatcher"), case_data(), idempotency_key="call-42")
    assert other.created and other.case.pk != first.case.pk
    # No key: every call is a new case.
    services.create_case(intake, case_data())
    assert Case.objects.count() == 3


def test_case_numbers_are_sequential_per_year(user, demo_org):
    intake = user("intake")

    def new(moment):
        return services.create_case(intake, case_data(), now=moment).case.number

    assert [new(at(2026, 3, 2, 9, m)) for m in range(3)] == [
        "QQ-2026-000001", "QQ-2026-000002", "QQ-2026-000003"]
    # New Year in Shanghai, still 31 December in UTC.
    assert new(datetime(2026, 12, 31, 16, 30, tzinfo=dt_timezone.utc)) == "QQ-2027-000001"
    assert new(at(2026, 12, 31, 23, 59)) == "QQ-2026-000004"
    assert new(at(2027, 1, 4, 9, 0)) == "QQ-2027-000002"


def test_edit_before_routing(make_case, user):
    case = make_case("received")
    services.perform(case.number, "edit", user("intake"),
                     {"fields": {"category": "ZFJG-01", "urgency": "urgent"}, "reason": "归类有误"})
    case.refresh_from_db()
    assert (case.category.code, case.urgency) == ("ZFJG-01", "urgent")
    assert case.events.order_by("-seq").first().data["changes"]["category"] == {
        "from": "SPFW-01", "to": "ZFJG-01"}
    with pytest.raises(InvalidInput):
        services.perform(case.number, "edit", user("intake"), {"fields": {"state": "closed"}})
    with pytest.raises(InvalidInput):
        services.perform(case.number, "edit", user("intake"), {"fields": {"category": "NOPE"}})
    assert Case.objects.get(pk=case.pk).state == State.RECEIVED


def test_suspension_blocks_the_reply_until_resumed(make_case, user):
    case = make_case("handling")
    handler, dispatcher = user("handler"), user("dispatcher")
    services.perform(case.number, "request_suspension", handler, {"reason": "等企业补材料"})
    services.perform(case.number, "approve_suspension", dispatcher)
    with pytest.raises(NotAllowedInState) as suspended:
        services.perform(case.number, "reply", handler, {"answer": "办结"})
    assert suspended.value.code == "suspended"
    with pytest.raises(NotAllowedInState) as cap:  # the policy allows one suspension
        services.perform(case.number, "request_suspension", handler, {"reason": "再等等"})
    assert cap.value.code == "cap_reached"
    services.perform(case.number, "resume", handler, {"reason": "材料已到"})
    with pytest.raises(NotAllowedInState) as not_suspended:
        services.perform(case.number, "resume", handler)
    assert not_suspended.value.code == "not_suspended"
    services.perform(case.number, "reply", handler, {"answer": "办结"})
    assert Case.objects.get(pk=case.pk).state == State.REPLIED


def test_send_back_gives_a_fresh_resolve_limit(make_case, user):
    case = make_case("replied")
    services.perform(case.number, "send_back", user("leader"), {"reason": "未附证明材料"})
    case.refresh_from_db()
    assert case.state == State.HANDLING
    assert open_stages(case) == [Stage.RESOLVE]
    assert StageClock.objects.filter(case=case, stage=Stage.RESOLVE).count() == 2
    # The send-back ends the unit's review; no callback clock ever started.
    review = StageClock.objects.get(case=case, stage=Stage.REVIEW)
    assert review.done_at is not None
    assert not StageClock.objects.filter(case=case, stage=Stage.CALLBACK).exists()


def test_the_unit_leader_of_the_lead_unit_reviews_the_reply(make_case, user):
    from qinqing.cases.errors import Forbidden, NotFound

    case = make_case("replied")
    assert open_stages(case) == [Stage.REVIEW]
    for other in ("handler", "leader2", "callback"):  # own handler, other unit's head, hotline
        with pytest.raises((Forbidden, NotFound)):  # (another unit does not see the case)
            services.perform(case.number, "review", user(other))
    services.perform(case.number, "review", user("leader"))
    case.refresh_from_db()
    assert case.state == State.REVIEWED and open_stages(case) == [Stage.CALLBACK]


def test_a_pending_request_lapses_when_the_unit_replies(make_case, user):
    case = make_case("handling")
    handler, dispatcher, callback = user("handler"), user("dispatcher"), user("callback")
    services.perform(case.number, "request_extension", handler, {"reason": "需要核查", "limit": "2d"})
    services.perform(case.number, "reply", handler, {"answer": "已办结"})
    request = ChangeRequest.objects.get(case=case)
    assert request.approved is False and request.decided_at is not None
    services.perform(case.number, "review", dispatcher)
    services.perform(case.number, "callback", callback,
                     {"satisfaction": "dissatisfied", "reason": "没解决"})
    with pytest.raises(NotAllowedInState) as stale:
        services.perform(case.number, "approve_extension", dispatcher)
    assert stale.value.code == "no_request"


def test_each_reply_text_stays_on_the_timeline_after_a_reopen(make_case, user):
    case = make_case("handling")
    handler, dispatcher, callback = user("handler"), user("dispatcher"), user("callback")
    services.perform(case.number, "reply", handler, {"answer": "第一次答复"})
    services.perform(case.number, "review", dispatcher)
    services.perform(case.number, "callback", callback,
                     {"satisfaction": "dissatisfied", "reason": "没解决"})
    services.perform(case.number, "reply", handler, {"answer": "第二次答复"})
    replies = [e.data["answer"] for e in case.events.filter(action="reply").order_by("seq")]
    assert replies == ["第一次答复", "第二次答复"]


def test_a_case_nobody_can_be_called_about_closes_unrated(make_case, user):
    case = make_case("reviewed")
    services.perform(case.number, "close_unrated", user("callback"), {"reason": "匿名，无法回访"})
    case.refresh_from_db()
    assert (case.state, case.outcome, case.satisfaction, case.resolved) == (
        State.CLOSED, "resolved", "", None)
