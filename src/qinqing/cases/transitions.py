"""The transition table: every way a case may change (domain.md §4), and nothing else.

Each row says from which states a move may be made, by which roles, what it requires,
where it leads and which stage clocks it stops and starts. `services.perform()` reads
this table before doing anything; no other code assigns `Case.state`.

Scope: hotline roles act on cases whose hotline (owner unit) is within their unit's
subtree; unit roles act on cases whose lead unit is within their unit's subtree.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from qinqing.cases.errors import Forbidden, NotAllowedInState
from qinqing.cases.models.case import Case, Kind, State
from qinqing.cases.models.clocks import Stage
from qinqing.org.models import Role

HOTLINE_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.CALLBACK_AGENT,
                           Role.SUPERVISOR})
UNIT_ROLES = frozenset({Role.HANDLER, Role.UNIT_LEADER})

R, D, H, RT, RP, RV, C = (State.RECEIVED, State.DISPATCHED, State.HANDLING, State.RETURNED,
                          State.REPLIED, State.REVIEWED, State.CLOSED)
INTAKE = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER})
DISPATCH = frozenset({Role.DISPATCHER})
UNIT = UNIT_ROLES
# Who reviews a unit's reply (domain.md §4/§5: "the unit head approves the reply"): the
# unit leader of the lead unit (unit roles are scoped by the lead unit). The hotline's
# dispatcher keeps the power it had before the review stage existed, to accept or send
# back a reply on the unit's behalf (a unit with no leader account, a leader away): the
# stage stays the unit's and its lateness is still charged to the lead unit. A handler
# never approves their own unit's reply.
REVIEWERS = frozenset({Role.UNIT_LEADER}) | DISPATCH


@dataclass(frozen=True)
class Move:
    name: str
    sources: frozenset[str]
    target: str | None  # None: the case stays in its state
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    stops: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    summary: str = ""


def _m(name, sources, target, roles, requires=(), stops=(), starts=(), summary=""):
    return Move(name, frozenset(sources), target, frozenset(roles), tuple(requires),
                tuple(stops), tuple(starts), summary)


TABLE: dict[str, Move] = {m.name: m for m in [
    _m("edit", {R, RT}, None, INTAKE, ("fields",),
       summary="correct kind, category, urgency, region, title or content before routing"),
    _m("answer", {R}, C, INTAKE, ("answer",), stops=(Stage.DISPATCH,),
       summary="answer a consultation directly and close it (直接答复)"),
    _m("not_accept", {R}, C, INTAKE, ("reason", "told"), stops=(Stage.DISPATCH,),
       summary="another legal procedure applies: record why and what the caller was told"),
    _m("reject", {R, RT}, C, DISPATCH, ("reason",), stops=(Stage.DISPATCH,),
       summary="reject as invalid, with the reason"),
    _m("merge", {R, RT}, C, INTAKE, ("into",), stops=(Stage.DISPATCH,),
       summary="merge a repeated request into an earlier open case; callers move along (并单)"),
    _m("dispatch", {R}, D, DISPATCH, ("lead_unit",), stops=(Stage.DISPATCH,),
       starts=(Stage.SIGN, Stage.RESOLVE),
       summary="route to a lead unit and co-units; a reason is needed to depart from the catalogue"),
    _m("sign", {D}, H, UNIT, stops=(Stage.SIGN,), summary="the lead unit signs for the case"),
    _m("return", {D}, RT, UNIT, ("reason",), stops=(Stage.SIGN, Stage.RESOLVE),
       starts=(Stage.DISPATCH,),
       summary="the lead unit objects: not ours; the dispatcher decides (派单异议)"),
    _m("redispatch", {RT}, D, DISPATCH, ("lead_unit", "reason"), stops=(Stage.DISPATCH,),
       starts=(Stage.SIGN, Stage.RESOLVE),
       summary="decide an objection: route elsewhere, or uphold (the unit may not return again)"),
    _m("request_extension", {H}, None, UNIT, ("reason", "limit"),
       summary="ask for more time; capped by the policy"),
    _m("approve_extension", {H}, None, DISPATCH,
       summary="approve the pending extension: the resolve deadline moves"),
    _m("deny_extension", {H}, None, DISPATCH, ("reason",), summary="refuse the pending extension"),
    _m("request_suspension", {H}, None, UNIT, ("reason",),
       summary="ask to stop the clock (e.g. waiting for the enterprise); capped by the policy"),
    _m("approve_suspension", {H}, None, DISPATCH,
       summary="approve the pending suspension: the resolve clock stops"),
    _m("deny_suspension", {H}, None, DISPATCH, ("reason",),
       summary="refuse the pending suspension"),
    _m("resume", {H}, None, DISPATCH | UNIT,
       summary="end a suspension: the deadline moves by the office time suspended"),
    # The reply goes to the lead unit's head first (the unit's time: the review stage);
    # the callback clock starts only when the approved reply leaves the unit.
    _m("reply", {H}, RP, UNIT, ("answer",), stops=(Stage.RESOLVE,), starts=(Stage.REVIEW,),
       summary="reply with the result and evidence, for the unit head's review"),
    _m("review", {RP}, RV, REVIEWERS, stops=(Stage.REVIEW,), starts=(Stage.CALLBACK,),
       summary="the unit head approves the reply: it leaves the unit for callback"),
    _m("send_back", {RP}, H, REVIEWERS, ("reason",),
       stops=(Stage.REVIEW,), starts=(Stage.RESOLVE,),
       summary="the reply is not good enough: back to handling with a fresh resolve limit"),
    _m("callback", {RV}, C, {Role.CALLBACK_AGENT}, ("satisfaction",), stops=(Stage.CALLBACK,),
       summary="call the person back; satisfied or basically satisfied closes the case"),
    _m("close_unrated", {RV}, C, {Role.CALLBACK_AGENT}, ("reason",), stops=(Stage.CALLBACK,),
       summary="nobody to call back (anonymous, or unreachable after attempts): close unrated"),
    _m("reopen", {RV}, H, {Role.CALLBACK_AGENT}, ("reason",), stops=(Stage.CALLBACK,),
       starts=(Stage.RESOLVE,),
       summary="the person is dissatisfied: back to handling, counted as a reopening"),
]}


def check_move(move: Move, case: Case, actor) -> None:
    """Raise Forbidden (role or unit) or NotAllowedInState unless `actor` may make `move`."""
    if not actor.is_active or actor.role not in move.roles:
        raise Forbidden(_("Your role may not do this: %(move)s.") % {"move": move.name})
    scope_unit = case.owner_unit if actor.role in HOTLINE_ROLES else case.lead_unit
    if scope_unit is None or actor.unit is None or not scope_unit.is_within(actor.unit):
        raise Forbidden(_("This case is not in your unit's charge."))
    if case.state not in move.sources:
        raise NotAllowedInState(
            _("A case that is %(state)s cannot be %(move)s.") % {
                "state": State(case.state).label, "move": move.name})


def _pending_type(case: Case) -> str | None:
    if case.state != H:
        return None  # requests exist only while handling
    from qinqing.cases.models import ChangeRequest

    return (ChangeRequest.objects.filter(case=case, decided_at__isnull=True)
            .values_list("type", flat=True).first())


def _offered(name: str, case: Case, pending: str | None) -> bool:
    """Conditions besides state, role and scope that the services check (suspension,
    a pending request, an upheld assignment), so that pages and the API offer only the
    moves that can succeed now. The services still check them: this only hides."""
    if name == "resume":
        return case.is_suspended
    if name == "answer":
        return case.kind == Kind.CONSULTATION
    if name in ("reply", "request_suspension"):
        return not case.is_suspended and (name == "reply" or pending is None)
    if name == "request_extension":
        return pending is None
    if name in ("approve_extension", "deny_extension"):
        return pending == "extension"
    if name in ("approve_suspension", "deny_suspension"):
        return pending == "suspension"
    if name == "return":
        return not case.return_locked
    return True


def available_moves(case: Case, actor) -> list[str]:
    """The moves `actor` may make on `case` now (for pages and the API)."""
    allowed = []
    for move in TABLE.values():
        try:
            check_move(move, case, actor)
        except (Forbidden, NotAllowedInState):
            continue
        allowed.append(move.name)
    pending = _pending_type(case) if allowed else None
    return [name for name in allowed if _offered(name, case, pending)]


# ------------------------------------------------------------- the same rules in SQL

def _offered_q(name: str):
    """`_offered` as a database condition on Case (kept next to it: the two must say the
    same; tests/cases/test_homes.py checks them against each other over every state)."""
    from django.db.models import Exists, OuterRef, Q

    from qinqing.cases.models import ChangeRequest

    def pending(type_=None):
        requests = ChangeRequest.objects.filter(case_id=OuterRef("pk"), decided_at__isnull=True)
        return Exists(requests.filter(type=type_) if type_ else requests)

    if name == "resume":
        return Q(is_suspended=True)
    if name == "answer":
        return Q(kind=Kind.CONSULTATION)
    if name == "reply":
        return Q(is_suspended=False)
    if name == "request_suspension":
        return Q(is_suspended=False) & ~pending()
    if name == "request_extension":
        return ~pending()
    if name in ("approve_extension", "deny_extension"):
        return pending("extension")
    if name in ("approve_suspension", "deny_suspension"):
        return pending("suspension")
    if name == "return":
        return Q(return_locked=False)
    return Q()


def movable_q(actor):
    """The cases `actor` may move now, as one condition on Case: `available_moves(case,
    actor)` is not empty exactly for the cases it matches (role, unit scope, state and
    the conditions of `_offered`). The home page lists these."""
    from django.db.models import Q

    if not actor.is_active or actor.unit_id is None:
        return Q(pk__in=[])
    moves = [m for m in TABLE.values() if actor.role in m.roles]
    if not moves:
        return Q(pk__in=[])
    path = actor.unit.path
    scope = (Q(owner_unit__path__startswith=path) if actor.role in HOTLINE_ROLES
             else Q(lead_unit__path__startswith=path))
    any_move = Q(pk__in=[])
    for move in moves:
        any_move |= Q(state__in=sorted(move.sources)) & _offered_q(move.name)
    return scope & any_move
