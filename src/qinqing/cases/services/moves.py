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

from qinqing.cases import deadlines, timeline
from qinqing.cases.services.handlers import _HANDLERS
from qinqing.cases.transitions import TABLE, Move, check_move
from qinqing.cases.errors import InvalidInput, NotFound
from qinqing.cases.models import Case, State
from qinqing.cases.models.case import Satisfaction
from qinqing.org.models import User
from qinqing.worktime.queries import current_calendar


def perform(case_number: str, action: str, actor: User, payload: dict | None = None,
            *, now: datetime | None = None) -> Case:
    """Make one move of the transition table on a case, or change nothing and raise."""
    payload = payload or {}
    if action == "callback" and payload.get("satisfaction") == Satisfaction.DISSATISFIED:
        action = "reopen"  # a dissatisfied callback is the reopen row of the table
    move = TABLE.get(action)
    if move is None:
        raise NotFound(_("Unknown action %(action)s.") % {"action": action}, code="unknown_action")
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case_number, actor)
        check_move(move, case, actor)
        missing = [f for f in move.requires if f != "fields" and payload.get(f) in (None, "", [])]
        if missing:
            raise InvalidInput(_("Some fields need correcting."),
                               fields={f: _("This field is required.") for f in missing})
        from_state = case.state
        handler = _HANDLERS[move.name]
        data, reason = handler(case, actor, payload, now)
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


def _run_clocks(case: Case, move: Move, now: datetime) -> tuple[dict, list]:
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
