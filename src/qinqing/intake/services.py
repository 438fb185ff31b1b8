"""The one write of the intake page: register what the caller said, and answer it when
the agent answered a consultation during the call.

Everything goes through `qinqing.cases.services` (create_case, then the table's "answer"
move); this module only decides the order and what a failure of the second step means.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinqing.cases import services as case_services
from qinqing.cases.errors import CaseError
from qinqing.cases.models import Case, Outcome, State
from qinqing.org.models import User


@dataclass(frozen=True)
class Registered:
    case: Case
    query_code: str
    created: bool  # False: a repeated submit of the same form returned the first case
    answered: bool = False
    answer_error: str = ""  # the case is registered, but the answer could not be recorded


def register_call(actor: User, data: dict, *, answer: str = "", idempotency_key: str) -> Registered:
    """Register a case from the intake form; with `answer`, also answer it and close it.

    Two transactions on purpose: the case is committed first, so if the answer is refused
    (or the server fails between the two), nothing the caller said is lost, and the agent
    is told to answer it from the case page. Raises the service's errors for the case
    itself (InvalidInput with field errors); never for the answer.
    """
    intake = case_services.create_case(actor, data, idempotency_key=idempotency_key)
    case = intake.case
    if not answer:
        return Registered(case, intake.query_code, intake.created)
    if case.outcome == Outcome.DIRECT_ANSWER:
        # A repeated submit of a form whose answer was already recorded.
        return Registered(case, intake.query_code, intake.created, answered=True)
    try:
        case = case_services.perform(case.number, "answer", actor, {"answer": answer})
    except CaseError as exc:
        case = Case.objects.get(pk=case.pk)
        if case.state == State.CLOSED and case.outcome == Outcome.DIRECT_ANSWER:
            # Two submits of one form at once: the other one recorded the same answer.
            return Registered(case, intake.query_code, intake.created, answered=True)
        return Registered(case, intake.query_code, intake.created, answer_error=exc.message)
    return Registered(case, intake.query_code, intake.created, answered=True)
