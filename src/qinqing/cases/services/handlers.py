"""The handlers of the moves: what each row of the transition table does besides
the state and the clocks (qinqing.cases.services.moves.perform does those).

A handler takes (case, actor, payload, now) with the case locked, changes the case (not
saved: perform saves it once) and returns (event data, reason).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from qinqing.cases import access, deadlines, timeline
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState
from qinqing.cases.models import Case, ChangeRequest, Kind, Outcome, Reporter, Stage, State
from qinqing.cases.models.case import Channel, Satisfaction
from qinqing.cases.queries import propose_assignment
from qinqing.cases.services.intake import _clean_intake
from qinqing.org.models import Unit
from qinqing.worktime.queries import current_calendar


def edit(case, actor, payload, now):
    fields = payload.fields  # names of EDITABLE_FIELDS (schemas.EditIn)
    current = {"kind": case.kind, "channel": case.channel, "urgency": case.urgency,
               "category": case.category.code, "title": case.title, "content": case.content,
               "enterprise_name": case.enterprise_name, "anonymous": True,
               "region": case.region.code,
               "subject_unit": case.subject_unit.code if case.subject_unit else None}
    cleaned = _clean_intake(actor, {**current, **fields})
    changes = {}
    for name in fields:
        old, new = getattr(case, name), cleaned[name]
        if old != new:
            changes[name] = {"from": getattr(old, "code", old), "to": getattr(new, "code", new)}
            setattr(case, name, new)
    if {"kind", "subject_unit"} & set(changes) and _was_protected(case, changes):
        raise Forbidden(_("Only the discipline commission may change the kind or the accused "
                          "unit of a report of misconduct."), code="protected_reporter")
    if case.kind == Kind.REPORT:
        _protect_reporters(case)
    return {"changes": changes}, payload.reason


def _was_protected(case: Case, changes: dict) -> bool:
    """Whether the case was protected before this edit (a report, or holding a protected
    reporter): then its kind and accused unit are the discipline commission's to change."""
    if changes.get("kind", {}).get("from", case.kind) == Kind.REPORT:
        return True
    return Reporter.objects.filter(case=case, protected=True).exists()


def _protect_reporters(case: Case) -> None:
    """A case that is a report of misconduct: its own reporters are protected, against its
    accused unit (merged-in reporters keep the unit their own report named)."""
    Reporter.objects.filter(case=case, merged_from__isnull=True, protected=False).update(
        protected=True, accused_unit=case.subject_unit)


def answer(case, actor, payload, now):
    if case.kind != Kind.CONSULTATION:
        raise NotAllowedInState(_("Only a consultation can be answered directly."),
                                code="not_a_consultation")
    case.answer = payload.answer
    case.outcome = Outcome.DIRECT_ANSWER
    # The text goes into the event too, so the ledger protects what the caller was told.
    return {"answer": case.answer}, ""


def not_accept(case, actor, payload, now):
    case.outcome = Outcome.NOT_ACCEPTED
    case.answer = payload.told
    return {"told": case.answer}, payload.reason


def reject(case, actor, payload, now):
    case.outcome = Outcome.REJECTED
    return {}, payload.reason


def merge(case, actor, payload, now):
    from qinqing.cases.queries import visible_cases

    number = payload.into
    target = (visible_cases(actor).select_for_update().filter(number=number).first()
              if number != case.number else None)
    if target is None or target.state == State.CLOSED:
        raise InvalidInput(_("Some fields need correcting."), fields={"into": _(
            "Give the number of another open case you can see.")})
    access.check_merge(case, target)
    callers = list(Reporter.objects.filter(case=case))
    for reporter in callers:
        # The copy keeps the protection of a report's reporter (and whom they reported).
        protected = access.is_protected_reporter(case, reporter)
        Reporter.objects.create(
            case=target, is_primary=False, merged_from=case, phone_index=reporter.phone_index,
            protected=protected, sms_updates=reporter.sms_updates,  # follows the case
            accused_unit_id=(reporter.accused_unit_id or case.subject_unit_id) if protected
            else None,
            **{f: getattr(reporter, f) for f in ("name_enc", "phone_enc", "id_number_enc",
                                                 "contact_enc", "enterprise_enc")})
    case.merged_into = target
    case.outcome = Outcome.MERGED
    timeline.append(target, "merged_in", actor, now, target.state, target.state, data={
        "from": case.number, "callers_added": len(callers),
        "callers_to_notify": Reporter.objects.filter(case=target).exclude(phone_index="").count()})
    return {"into": target.number, "callers_moved": len(callers)}, payload.reason


def dispatch(case, actor, payload, now):
    lead = _routing_unit(payload.lead_unit, "lead_unit")
    co_units = [_routing_unit(code, "co_units") for code in payload.co_units]
    co_units = [u for u in co_units if u.pk != lead.pk]
    access.check_routing(case, [lead, *co_units])
    proposal = propose_assignment(case.category, case.region)
    reason = payload.reason
    departs = proposal is not None and proposal.lead_unit_id != lead.pk
    if departs and not reason:
        raise InvalidInput(_("Some fields need correcting."), fields={"reason": _(
            "The catalogue proposes %(unit)s; give a reason to route elsewhere.") % {
                "unit": proposal.lead_unit.name}})
    previous = case.lead_unit
    if case.state == State.RETURNED and previous is not None and previous.pk == lead.pk:
        case.return_locked = True  # objection rejected: the unit keeps the case
    elif case.state == State.RETURNED:
        case.return_locked = False
    case.lead_unit = lead  # saved once, by perform with the state; the new clocks read it here
    case.co_units.set(co_units)
    return {"lead_unit": lead.code, "co_units": [u.code for u in co_units],
            "proposed": proposal.lead_unit.code if proposal else None,
            "objection_upheld": case.return_locked}, reason


def _routing_unit(code, key) -> Unit:
    unit = Unit.objects.filter(code=code, is_active=True).first() if code else None
    if unit is None:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={key: _("No unit has the code %(code)s.") % {"code": code}})
    return unit


def sign(case, actor, payload, now):
    return {}, ""


def return_(case, actor, payload, now):
    if case.return_locked:
        raise NotAllowedInState(_("The dispatcher has already decided this objection: the case "
                                  "stays with your unit."), code="return_locked")
    if case.channel == Channel.RATING:
        raise NotAllowedInState(_("A bad-rating rectification cannot be returned."),
                                code="return_not_allowed")
    return {"from_unit": case.lead_unit.code}, payload.reason


def request(case, actor, payload, now, *, type_):
    policy = deadlines.policy_for(case.kind, case.urgency)
    used, cap = ((case.extension_count, policy.max_extensions)
                 if type_ == ChangeRequest.Type.EXTENSION
                 else (case.suspension_count, policy.max_suspensions))
    if used >= cap:
        raise NotAllowedInState(_("The policy allows %(n)s of these per case; none is left.") % {
            "n": cap}, code="cap_reached")
    if ChangeRequest.objects.filter(case=case, decided_at__isnull=True).exists():
        raise NotAllowedInState(_("A request is already waiting for a decision."),
                                code="request_pending")
    if type_ == ChangeRequest.Type.SUSPENSION and case.is_suspended:
        raise NotAllowedInState(_("The case is already suspended."), code="already_suspended")
    # An extension's limit, checked by its payload (schemas.ExtensionIn).
    limit = payload.limit if type_ == ChangeRequest.Type.EXTENSION else ""
    request = ChangeRequest.objects.create(case=case, type=type_, limit=limit,
                                           reason=payload.reason, requested_by=actor,
                                           requested_at=now)
    return {"request": request.pk, "limit": limit} if limit else {"request": request.pk}, request.reason


def _pending(case, type_) -> ChangeRequest:
    request = ChangeRequest.objects.filter(case=case, type=type_, decided_at__isnull=True).first()
    if request is None:
        raise NotAllowedInState(_("No request is waiting for a decision."), code="no_request")
    return request


def decide(case, actor, payload, now, *, type_, approve):
    request = _pending(case, type_)
    request.approved, request.decided_by, request.decided_at = approve, actor, now
    request.decision_reason = payload.reason
    request.save()
    data = {"request": request.pk, "approved": approve}
    if approve:
        clock = deadlines.open_clock(case, Stage.RESOLVE)
        if type_ == ChangeRequest.Type.EXTENSION:
            case.extension_count += 1
            if clock:
                data["clock"] = deadlines.extend(clock, request.limit, current_calendar())
        else:
            case.suspension_count += 1
            case.is_suspended = True
            if clock:
                data["clock"] = deadlines.pause(clock, now)
    return data, request.decision_reason


def resume(case, actor, payload, now):
    if not case.is_suspended:
        raise NotAllowedInState(_("The case is not suspended."), code="not_suspended")
    case.is_suspended = False
    clock = deadlines.open_clock(case, Stage.RESOLVE)
    data = {"clock": deadlines.resume(clock, now, current_calendar())} if clock and clock.paused_at else {}
    return data, payload.reason


def reply(case, actor, payload, now):
    if case.is_suspended:
        raise NotAllowedInState(_("Resume the case before replying."), code="suspended")
    case.answer = payload.answer
    # A request still waiting when the unit replies has lost its object: it lapses, so it
    # cannot be approved later against a reopened case.
    lapsed = list(ChangeRequest.objects.filter(case=case, decided_at__isnull=True)
                  .values_list("pk", flat=True))
    ChangeRequest.objects.filter(pk__in=lapsed).update(
        approved=False, decided_at=now, decision_reason="lapsed: the unit replied")
    # Each reply's text is kept on its event: a reopened case's next reply replaces
    # case.answer, and the history must still show what the unit said the first time.
    data = {"answer": case.answer, "attachments": _attachments(case, payload)}
    if lapsed:
        data["lapsed_requests"] = lapsed
    return data, ""


def _attachments(case, payload) -> list[int]:
    ids = payload.attachments
    found = set(case.attachments.filter(pk__in=ids).values_list("pk", flat=True))
    if found != set(ids):
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"attachments": _("Unknown attachment for this case.")})
    return sorted(ids)


def review(case, actor, payload, now):
    return {}, payload.reason


def send_back(case, actor, payload, now):
    return {}, payload.reason


def callback(case, actor, payload, now):
    # Satisfied or basically satisfied: perform() takes a dissatisfied callback to reopen.
    satisfaction = payload.satisfaction
    case.satisfaction = satisfaction
    case.resolved = payload.resolved is not False
    case.outcome = Outcome.RESOLVED
    return {"satisfaction": satisfaction, "resolved": case.resolved}, payload.note


def close_unrated(case, actor, payload, now):
    # Closed after handling, but no satisfaction was given: rates count rated callbacks only.
    case.outcome = Outcome.RESOLVED
    case.satisfaction = ""
    case.resolved = None
    return {"rated": False}, payload.reason


def reopen(case, actor, payload, now):
    case.satisfaction = Satisfaction.DISSATISFIED
    case.resolved = payload.resolved is True
    case.reopen_count += 1
    case.answer = ""
    return {"satisfaction": Satisfaction.DISSATISFIED, "reopen_count": case.reopen_count}, (
        payload.reason)
