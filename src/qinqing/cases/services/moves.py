"""`perform`: make one move of the transition table on a case.

The table (qinqing.cases.transitions) says who may make a move, from which states, what
it stops and starts; the move's handler (qinqing.cases.services.handlers) does what is
particular to it. This module holds what every move shares: the lock, the check, the
clocks, the state and the event.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pydantic import ValidationError

# transitions as a module, read when called: its table names the handlers, which are in
# this package, so it may still be loading when this module is.
from qinqing.cases import deadlines, schemas, timeline, transitions
from qinqing.cases.errors import InvalidInput, NotFound
from qinqing.cases.models import Case, State
from qinqing.cases.models.case import Satisfaction
from qinqing.org.models import User
from qinqing.worktime.queries import current_calendar


def perform(case_number: str, action: str, actor: User,
            payload: schemas.MoveIn | dict | None = None, *, now: datetime | None = None) -> Case:
    """Make one move of the transition table on a case, or change nothing and raise.

    `payload` is what the move takes, its row's payload model (transitions.TABLE[action]
    .payload). The rule: input is validated once, through that model. The API and the
    case page validate what they receive at the edge and pass the model, which is taken
    as it is; other callers (imports, the demo, other apps' services) pass a dict (or
    nothing), which is validated here, and a refusal is an InvalidInput naming the
    fields, as the API answers. What the handlers check is the case (its state, the
    units, the policy's caps), never the shape or the length of the input again.
    """
    move = _move(action)
    payload = validate_payload(action, payload)
    if action == "callback" and payload.satisfaction == Satisfaction.DISSATISFIED:
        move = _move("reopen")  # a dissatisfied callback is the reopen row of the table
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case_number, actor)
        transitions.check_move(move, case, actor)
        from_state = case.state
        data, reason = move.handler(case, actor, payload, now)
        clocks, started = _run_clocks(case, move, now)
        if clocks:
            data["clocks"] = clocks
        if move.target is not None:
            case.state = move.target
            if case.state == State.CLOSED:
                case.closed_at = now
        case.save()
        # The move's event, and then its consequences: the timeline sends `case_changed`
        # (qinqing.cases.timeline) in this transaction, and the apps that receive it
        # rebuild the case's figures, close its listing, forget its hot-topic words.
        timeline.append(case, move.name, actor, now, from_state, case.state, reason=reason,
                        data=data, clocks=started)
    return case


def validate_payload(action: str, payload: schemas.MoveIn | dict | None) -> schemas.MoveIn:
    """The move's payload model from `payload`: a model instance of the move's own model
    as it is, a dict (or None) validated through it (InvalidInput when refused)."""
    model = _move(action).payload
    if type(payload) is model:
        return payload
    if isinstance(payload, schemas.MoveIn):
        raise TypeError(f"{action} takes {model.__name__}, not {type(payload).__name__}")
    try:
        return model.model_validate(payload or {})
    except ValidationError as exc:
        raise InvalidInput(_("Some fields need correcting."),
                           fields=schemas.field_errors(exc)) from None


def _move(action: str) -> transitions.Move:
    move = transitions.TABLE.get(action)
    if move is None:
        raise NotFound(_("Unknown action %(action)s.") % {"action": action}, code="unknown_action")
    return move


def _locked(number: str, actor: User) -> Case:
    from qinqing.cases.queries import visible_cases

    # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins below.
    case = (Case.objects.select_for_update(of=("self",))
            .select_related("lead_unit", "owner_unit", "category", "region", "subject_unit")
            .filter(number=number).first())
    if case is None or not visible_cases(actor).filter(pk=case.pk).exists():
        # Not visible and not existing look the same: a number is no way to probe.
        raise NotFound(_("No case %(number)s.") % {"number": number})
    return case


def _run_clocks(case: Case, move: transitions.Move, now: datetime) -> tuple[dict, list]:
    """Stop and start the move's clocks: what the event says of them, and the new ones."""
    stopped = deadlines.stop(case, move.stops, now, by=move.name)
    started = []
    if move.starts:
        policy = deadlines.policy_for(case.kind, case.urgency)
        calendar = current_calendar()
        started = [deadlines.start(case, stage, policy, calendar, now) for stage in move.starts]
    result = {}
    if stopped:
        result["stopped"] = stopped
    if started:
        result["started"] = [deadlines.describe(clock) for clock in started]
    return result, started
