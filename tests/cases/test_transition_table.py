"""Every row of the transition table × every state × every role (and out-of-scope staff).

For each (move, state) one case is driven to the state through services.perform; then,
for every actor, the attempt runs in a savepoint that is rolled back, so the actors do
not disturb each other. Expected outcome, from the table and the scope rule of
transitions.py's docstring (hotline roles: the case's hotline within their unit; unit
roles: the lead unit within their unit), after the visibility rule of queries.py:

  not visible                                      -> NotFound
  role not in move.roles, or out of scope          -> Forbidden
  state not in move.sources                        -> NotAllowedInState
  otherwise                                        -> the move happens
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from qinqing.cases import services
from qinqing.cases.errors import CaseError, Forbidden, NotAllowedInState, NotFound
from qinqing.cases.models import Case, CaseEvent, ChangeRequest, Reporter, StageClock, State
from qinqing.cases.models.ledger import GENESIS
from qinqing.cases.transitions import TABLE
from qinqing.org.models import Role, User

from .conftest import LEAD, OTHER

# One in-scope demo login per role: the case's hotline is the city, its lead unit 990102-SCJG.
ROLE_USERS = {
    Role.INTAKE_AGENT: "intake", Role.DISPATCHER: "dispatcher", Role.HANDLER: "handler",
    Role.UNIT_LEADER: "leader", Role.CALLBACK_AGENT: "callback", Role.SUPERVISOR: "supervisor",
    Role.DISCIPLINE_INSPECTOR: "inspector", Role.ANALYST: "analyst",
    Role.ADMINISTRATOR: "admin",
}
# Staff whose unit does not hold the case (or holds it only as co-unit), and an inactive one.
OUT_OF_SCOPE = ["handler2", "leader2", "handler_county", "intake_cty", "dispatcher_cty",
                "callback_cty", "dispatcher_off"]
ACTORS = [*ROLE_USERS.values(), *OUT_OF_SCOPE]

HOTLINE = {Role.INTAKE_AGENT, Role.DISPATCHER, Role.CALLBACK_AGENT, Role.SUPERVISOR}
UNIT = {Role.HANDLER, Role.UNIT_LEADER}

PAYLOADS = {
    "edit": {"fields": {"title": "更正后的标题"}, "reason": "记录有误"},
    "answer": {"answer": "已电话答复政策口径。"},
    "not_accept": {"reason": "属于行政复议事项", "told": "已告知通过行政复议途径解决"},
    "reject": {"reason": "无实际诉求"},
    "merge": {"into": None},  # filled with another open case's number
    "dispatch": {"lead_unit": LEAD, "co_units": [OTHER]},
    "sign": {},
    "return": {"reason": "不属于本单位职责"},
    "redispatch": {"lead_unit": LEAD, "co_units": [OTHER], "reason": "经核实属于该单位职责"},
    "request_extension": {"reason": "需要现场核查", "limit": "2d"},
    "approve_extension": {"reason": "同意"},
    "deny_extension": {"reason": "理由不充分"},
    "request_suspension": {"reason": "等待企业补充材料"},
    "approve_suspension": {"reason": "同意"},
    "deny_suspension": {"reason": "无需中止"},
    "resume": {"reason": "材料已补齐"},
    "reply": {"answer": "已为企业办结营业执照。"},
    "review": {"reason": "答复完整"},
    "send_back": {"reason": "答复未回应诉求"},
    "callback": {"satisfaction": "satisfied"},
    "close_unrated": {"reason": "匿名来电，无法回访"},
    "reopen": {"reason": "企业表示问题未解决"},
}

# What must already have happened (in state handling) for the move to be possible.
PREPARE = {
    "approve_extension": [("request_extension", "handler", {"reason": "需要核查", "limit": "2d"})],
    "deny_extension": [("request_extension", "handler", {"reason": "需要核查", "limit": "2d"})],
    "approve_suspension": [("request_suspension", "handler", {"reason": "等材料"})],
    "deny_suspension": [("request_suspension", "handler", {"reason": "等材料"})],
    "resume": [("request_suspension", "handler", {"reason": "等材料"}),
               ("approve_suspension", "dispatcher", {})],
}


def test_the_table_covers_every_state_and_role_it_names():
    states, roles = set(State.values), set(Role.values)
    for move in TABLE.values():
        assert move.sources and move.sources <= states, move.name
        assert move.target is None or move.target in states, move.name
        assert move.roles and move.roles <= roles, move.name
    assert set(PAYLOADS) == set(TABLE)
    assert not any(State.CLOSED in m.sources for m in TABLE.values()), "closed is final"


def visible(case: Case, co_units, user) -> bool:
    if not user.is_active:
        return False
    if user.is_superuser or user.unit.parent_id is None:
        return True
    units = [case.owner_unit, case.lead_unit, *co_units]
    return any(u is not None and u.is_within(user.unit) for u in units)


def expected_error(move, case: Case, co_units, user):
    if not visible(case, co_units, user):
        return NotFound
    if user.role not in move.roles:
        return Forbidden
    scope = case.owner_unit if user.role in HOTLINE else (
        case.lead_unit if user.role in UNIT else None)
    if scope is None or not scope.is_within(user.unit):
        return Forbidden
    if case.state not in move.sources:
        return NotAllowedInState
    return None


SNAPSHOT_MODELS = [Case, Case.co_units.through, CaseEvent, StageClock, ChangeRequest, Reporter]


def snapshot() -> dict:
    """Every row a move could touch, of all cases (a merge touches two). Raw SQL: cheap."""
    rows = {}
    with connection.cursor() as cursor:
        for model in SNAPSHOT_MODELS:
            table = model._meta.db_table
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            rows[table] = cursor.fetchall()
    return rows


def chain_is_valid(case_pk: int) -> bool:
    prev, seq = GENESIS, 1
    for event in CaseEvent.objects.filter(case_id=case_pk).order_by("seq"):
        if event.seq != seq or event.prev_hash != prev or event.compute_hash() != event.hash:
            return False
        prev, seq = event.hash, seq + 1
    return seq > 1


def open_clocks(case_pk: int) -> dict[str, list[int]]:
    result: dict[str, list[int]] = {}
    for pk, stage in (StageClock.objects.filter(case_id=case_pk, done_at__isnull=True)
                      .order_by("pk").values_list("pk", "stage")):
        result.setdefault(stage, []).append(pk)
    return result


class _Rollback(Exception):
    pass


def check_allowed(move, case_pk: int, user, payload: dict, merge_target_pk: int | None):
    problems = []
    before_case = Case.objects.get(pk=case_pk)
    before_events = CaseEvent.objects.filter(case_id=case_pk).count()
    before_clocks = StageClock.objects.filter(case_id=case_pk).count()
    before_open = open_clocks(case_pk)
    target_events = (CaseEvent.objects.filter(case_id=merge_target_pk).count()
                     if merge_target_pk else 0)
    for stage in move.stops:
        if stage not in before_open:
            problems.append(f"no open {stage} clock to stop in state {before_case.state}")
    now = timezone.now()
    try:
        result = services.perform(before_case.number, move.name, user, payload, now=now)
    except CaseError as exc:
        return [f"refused with {type(exc).__name__}({exc.code}): {exc.message}"]
    after = Case.objects.get(pk=case_pk)
    want = move.target or before_case.state
    if after.state != want or result.state != want:
        problems.append(f"state {after.state}, expected {want}")
    events = list(CaseEvent.objects.filter(case_id=case_pk).order_by("seq"))
    if len(events) != before_events + 1:
        problems.append(f"{len(events) - before_events} new events, expected 1")
    else:
        last = events[-1]
        if (last.action, last.from_state, last.to_state, last.actor_id, last.at) != (
                move.name, before_case.state, want, user.pk, now):
            problems.append(f"event {last.action} {last.from_state}->{last.to_state} "
                            f"by {last.actor_id}")
    if not chain_is_valid(case_pk):
        problems.append("hash chain broken")
    if merge_target_pk:
        merged = list(CaseEvent.objects.filter(case_id=merge_target_pk).order_by("seq"))
        if len(merged) != target_events + 1 or merged[-1].action != "merged_in":
            problems.append("no single merged_in event on the target")
        if not chain_is_valid(merge_target_pk):
            problems.append("target's hash chain broken")
    # Clocks: the stopped ones closed at `now`, the started ones opened at `now`.
    after_open = open_clocks(case_pk)
    for stage in move.stops:
        for pk in before_open.get(stage, []):
            clock = StageClock.objects.get(pk=pk)
            if clock.done_at != now or clock.on_time is None:
                problems.append(f"{stage} clock not stopped")
    for stage in move.starts:
        new = [pk for pk in after_open.get(stage, []) if pk not in before_open.get(stage, [])]
        if len(new) != 1 or StageClock.objects.get(pk=new[0]).started_at != now:
            problems.append(f"{stage} clock not started")
    untouched = {s: pks for s, pks in before_open.items() if s not in move.stops}
    for stage, pks in untouched.items():
        if not set(pks) <= set(after_open.get(stage, [])):
            problems.append(f"{stage} clock stopped though the move does not stop it")
    for stage, pks in after_open.items():
        if stage not in move.starts and stage not in before_open:
            problems.append(f"{stage} clock started though the move does not start it")
        if len(pks) > 1:
            problems.append(f"{len(pks)} open {stage} clocks")
    n_clocks = StageClock.objects.filter(case_id=case_pk).count()
    if n_clocks != before_clocks + len(move.starts):
        problems.append(f"{n_clocks - before_clocks} clocks added, expected {len(move.starts)}")
    if want == State.CLOSED and after.closed_at != now:
        problems.append("closed_at not set")
    return problems


def check_refused(move, number: str, user, payload: dict, error, before: dict) -> list[str]:
    try:
        services.perform(number, move.name, user, payload)
    except CaseError as exc:
        problems = [] if type(exc) is error else [
            f"raised {type(exc).__name__}({exc.code}), expected {error.__name__}"]
    else:
        return [f"allowed, expected {error.__name__}"]
    if snapshot() != before:
        problems.append("something changed although the move was refused")
    return problems


@pytest.mark.parametrize("state", State.values)
@pytest.mark.parametrize("move_name", list(TABLE))
def test_move_from_state_by_every_role(make_case, user, move_name, state):
    move = TABLE[move_name]
    case = make_case(state, kind="consultation", co_units=[OTHER])
    payload = dict(PAYLOADS[move_name])
    merge_target = None
    if move_name == "merge":
        merge_target = make_case("received", kind="consultation")
        payload["into"] = merge_target.number
    if state == State.HANDLING:
        for prep_move, prep_actor, prep_payload in PREPARE.get(move_name, []):
            services.perform(case.number, prep_move, user(prep_actor), prep_payload)
    case = Case.objects.select_related("owner_unit", "lead_unit").get(pk=case.pk)
    co_units = list(case.co_units.all())
    before = snapshot()
    failures = []
    outcomes = set()
    actors = {u.username: u for u in User.objects.select_related("unit").filter(
        username__in=ACTORS)}
    for username in ACTORS:
        actor = actors[username]
        error = expected_error(move, case, co_units, actor)
        outcomes.add(error)
        try:
            with transaction.atomic():  # each attempt is undone: the actors start alike
                if error is None:
                    problems = check_allowed(move, case.pk, actor, payload,
                                             merge_target.pk if merge_target else None)
                else:
                    problems = check_refused(move, case.number, actor, payload, error, before)
                failures += [f"{username} ({actor.role}): {p}" for p in problems]
                raise _Rollback
        except _Rollback:
            pass
    assert not failures, f"{move_name} from {state}:\n" + "\n".join(failures)
    # The walk really exercised the table: allowed somewhere iff the state is a source.
    assert (None in outcomes) == (state in move.sources)
