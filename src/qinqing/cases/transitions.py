"""The transition table: every way a case may change (domain.md §4), and nothing else.

Each row is the whole declaration of a move: from which states it may be made, by which
roles, where it leads, which stage clocks it stops and starts, when it is offered, what it
takes (its payload model, the one schema of its input) and what it does (its handler).
`services.perform()` reads this table before doing anything; no other code assigns
`Case.state`. To add a move: add its row (and its words in events.MOVE_LABELS).

Scope: hotline roles act on cases whose hotline (owner unit) is within their unit's
subtree; unit roles act on cases whose lead unit is within their unit's subtree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.utils.translation import gettext as _

from qinqing.cases import schemas
from qinqing.cases.errors import Forbidden, NotAllowedInState
from qinqing.cases.models import ChangeRequest
from qinqing.cases.models.case import Case, Channel, Kind, State
from qinqing.cases.models.clocks import Stage
from qinqing.cases.services import handlers
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


# When a move is offered besides state, role and scope: conditions the handlers check
# (suspension, a pending request, an upheld assignment), so that pages and the API offer
# only the moves that can succeed now. Each is said twice, kept side by side: on a case
# (`offered(case, pending)`, pending: the type of the request waiting, if any) and as a
# database condition on Case (`offered_q()`, for the home page's lists);
# tests/cases/test_homes.py checks the two against each other over every state.

def _pending_q(type_=None):
    from django.db.models import Exists, OuterRef

    from qinqing.cases.models import ChangeRequest

    requests = ChangeRequest.objects.filter(case_id=OuterRef("pk"), decided_at__isnull=True)
    return Exists(requests.filter(type=type_) if type_ else requests)


def _q(**conditions):
    from django.db.models import Q

    return Q(**conditions)


@dataclass(frozen=True)
class Offered:
    on_case: Callable[[Case, str | None], bool]
    in_sql: Callable[[], object]


ALWAYS = Offered(lambda case, pending: True, lambda: _q())
SUSPENDED = Offered(lambda case, pending: case.is_suspended, lambda: _q(is_suspended=True))
CONSULTATION = Offered(lambda case, pending: case.kind == Kind.CONSULTATION,
                       lambda: _q(kind=Kind.CONSULTATION))
NOT_SUSPENDED = Offered(lambda case, pending: not case.is_suspended,
                        lambda: _q(is_suspended=False))
NOTHING_PENDING = Offered(lambda case, pending: pending is None, lambda: ~_pending_q())
NOT_SUSPENDED_NOTHING_PENDING = Offered(
    lambda case, pending: not case.is_suspended and pending is None,
    lambda: _q(is_suspended=False) & ~_pending_q())
EXTENSION_PENDING = Offered(lambda case, pending: pending == "extension",
                            lambda: _pending_q("extension"))
SUSPENSION_PENDING = Offered(lambda case, pending: pending == "suspension",
                             lambda: _pending_q("suspension"))
# A case may be returned unless the dispatcher already decided its objection, or it is
# a bad rating's rectification (handlers.return_ refuses both; this hides the button).
RETURNABLE = Offered(
    lambda case, pending: not case.return_locked and case.channel != Channel.RATING,
    lambda: _q(return_locked=False) & ~_q(channel=Channel.RATING))


@dataclass(frozen=True)
class Move:
    """One row: who may make the move from which states, where it leads, the clocks it
    stops and starts, what it takes (`payload`, a model of qinqing.cases.schemas: the
    API's body, the page's form and `services.perform` validate through it) and what it
    does (`handler`, in qinqing.cases.services.handlers)."""

    name: str
    sources: frozenset[str]
    target: str | None  # None: the case stays in its state
    roles: frozenset[str]
    payload: type[schemas.MoveIn]
    handler: Callable
    stops: tuple[str, ...] = ()
    starts: tuple[str, ...] = ()
    offered: Offered = ALWAYS
    summary: str = ""

    @property
    def requires(self) -> tuple[str, ...]:
        """The payload's required fields."""
        return tuple(name for name, field in self.payload.model_fields.items()
                     if field.is_required())


def _m(name, sources, target, roles, payload, handler, stops=(), starts=(), offered=ALWAYS,
       summary=""):
    return Move(name, frozenset(sources), target, frozenset(roles), payload, handler,
                tuple(stops), tuple(starts), offered, summary)


EXT, SUS = ChangeRequest.Type.EXTENSION, ChangeRequest.Type.SUSPENSION

TABLE: dict[str, Move] = {m.name: m for m in [
    _m("edit", {R, RT}, None, INTAKE, schemas.EditIn, handlers.edit,
       summary="correct kind, category, urgency, region, title or content before routing"),
    _m("answer", {R}, C, INTAKE, schemas.AnswerIn, handlers.answer, stops=(Stage.DISPATCH,),
       offered=CONSULTATION,
       summary="answer a consultation directly and close it (直接答复)"),
    _m("not_accept", {R}, C, INTAKE, schemas.NotAcceptIn, handlers.not_accept,
       stops=(Stage.DISPATCH,),
       summary="another legal procedure applies: record why and what the caller was told"),
    _m("reject", {R, RT}, C, DISPATCH, schemas.ReasonIn, handlers.reject,
       stops=(Stage.DISPATCH,), summary="reject as invalid, with the reason"),
    _m("merge", {R, RT}, C, INTAKE, schemas.MergeIn, handlers.merge, stops=(Stage.DISPATCH,),
       summary="merge a repeated request into an earlier open case; callers move along (并单)"),
    _m("dispatch", {R}, D, DISPATCH, schemas.DispatchIn, handlers.dispatch,
       stops=(Stage.DISPATCH,), starts=(Stage.SIGN, Stage.RESOLVE),
       summary="route to a lead unit and co-units; a reason is needed to depart from the catalogue"),
    _m("sign", {D}, H, UNIT, schemas.MoveIn, handlers.sign, stops=(Stage.SIGN,),
       summary="the lead unit signs for the case"),
    _m("return", {D}, RT, UNIT, schemas.ReasonIn, handlers.return_,
       stops=(Stage.SIGN, Stage.RESOLVE), starts=(Stage.DISPATCH,), offered=RETURNABLE,
       summary="the lead unit objects: not ours; the dispatcher decides (派单异议)"),
    _m("redispatch", {RT}, D, DISPATCH, schemas.RedispatchIn, handlers.dispatch,
       stops=(Stage.DISPATCH,), starts=(Stage.SIGN, Stage.RESOLVE),
       summary="decide an objection: route elsewhere, or uphold (the unit may not return again)"),
    _m("request_extension", {H}, None, UNIT, schemas.ExtensionIn,
       partial(handlers.request, type_=EXT), offered=NOTHING_PENDING,
       summary="ask for more time; capped by the policy"),
    _m("approve_extension", {H}, None, DISPATCH, schemas.NoteIn,
       partial(handlers.decide, type_=EXT, approve=True), offered=EXTENSION_PENDING,
       summary="approve the pending extension: the resolve deadline moves"),
    _m("deny_extension", {H}, None, DISPATCH, schemas.ReasonIn,
       partial(handlers.decide, type_=EXT, approve=False), offered=EXTENSION_PENDING,
       summary="refuse the pending extension"),
    _m("request_suspension", {H}, None, UNIT, schemas.ReasonIn,
       partial(handlers.request, type_=SUS), offered=NOT_SUSPENDED_NOTHING_PENDING,
       summary="ask to stop the clock (e.g. waiting for the enterprise); capped by the policy"),
    _m("approve_suspension", {H}, None, DISPATCH, schemas.NoteIn,
       partial(handlers.decide, type_=SUS, approve=True), offered=SUSPENSION_PENDING,
       summary="approve the pending suspension: the resolve clock stops"),
    _m("deny_suspension", {H}, None, DISPATCH, schemas.ReasonIn,
       partial(handlers.decide, type_=SUS, approve=False), offered=SUSPENSION_PENDING,
       summary="refuse the pending suspension"),
    _m("resume", {H}, None, DISPATCH | UNIT, schemas.NoteIn, handlers.resume,
       offered=SUSPENDED,
       summary="end a suspension: the deadline moves by the office time suspended"),
    # The reply goes to the lead unit's head first (the unit's time: the review stage);
    # the callback clock starts only when the approved reply leaves the unit.
    _m("reply", {H}, RP, UNIT, schemas.ReplyIn, handlers.reply, stops=(Stage.RESOLVE,),
       starts=(Stage.REVIEW,), offered=NOT_SUSPENDED,
       summary="reply with the result and evidence, for the unit head's review"),
    _m("review", {RP}, RV, REVIEWERS, schemas.NoteIn, handlers.review, stops=(Stage.REVIEW,),
       starts=(Stage.CALLBACK,),
       summary="the unit head approves the reply: it leaves the unit for callback"),
    _m("send_back", {RP}, H, REVIEWERS, schemas.ReasonIn, handlers.send_back,
       stops=(Stage.REVIEW,), starts=(Stage.RESOLVE,),
       summary="the reply is not good enough: back to handling with a fresh resolve limit"),
    # A dissatisfied callback is the reopen row: perform() takes it there.
    _m("callback", {RV}, C, {Role.CALLBACK_AGENT}, schemas.CallbackIn, handlers.callback,
       stops=(Stage.CALLBACK,),
       summary="call the person back; satisfied or basically satisfied closes the case"),
    _m("close_unrated", {RV}, C, {Role.CALLBACK_AGENT}, schemas.ReasonIn,
       handlers.close_unrated, stops=(Stage.CALLBACK,),
       summary="nobody to call back (anonymous, or unreachable after attempts): close unrated"),
    _m("reopen", {RV}, H, {Role.CALLBACK_AGENT}, schemas.ReopenIn, handlers.reopen,
       stops=(Stage.CALLBACK,), starts=(Stage.RESOLVE,),
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
    """The row's `offered` condition on this case. The services still check it: this
    only hides."""
    return TABLE[name].offered.on_case(case, pending)


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
    """`_offered` as a database condition on Case (the row's `offered.in_sql`)."""
    return TABLE[name].offered.in_sql()


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
