"""Every write to a case: intake, the moves of the transition table, unmasking.

One function per use case, one transaction each, and a timeline event appended in the
same transaction (through qinqing.cases.timeline, which then sends the `case_changed`
hook: every consequence of a change in other apps happens there). Views and the API call
these; nothing else changes a case.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing import limits
from qinqing.cases import access, confidential, deadlines, rowwrite, timeline, uploads
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState, NotFound
from qinqing.cases.models import (
    ApiToken, Case, CaseNumberSequence, Category, ChangeRequest, Kind, Outcome,
    Reporter, Stage, State, UnmaskLog, Urgency,
)
from qinqing.cases.models.case import Channel, Satisfaction
from qinqing.cases.queries import propose_assignment
from qinqing.cases.transitions import TABLE, Move, check_move
from qinqing.cases.uploads import ALLOWED as ALLOWED_UPLOADS
from qinqing.org.models import REGION_KINDS, Role, Unit, User
from qinqing.refdata import refdata
from qinqing.text import strip_control
from qinqing.worktime.limits import LimitFormatError, parse_limit
from qinqing.worktime.queries import current_calendar

INTAKE_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER})
# A problem found by an inspection (监督检查 / 明察暗访) is registered by the supervisor or
# discipline inspector who found it, not by the hotline. They may register cases of the
# inspection channel only, and only when the caller says the case is such a finding
# (`inspection_finding=True`: qinqing.oversight.services does, in the transaction that
# records the inspection it comes from). The API and the intake form never pass it, so
# for them the rule is unchanged: only hotline roles register cases.
FINDING_ROLES = frozenset({Role.SUPERVISOR, Role.DISCIPLINE_INSPECTOR})
EDITABLE_FIELDS = ("kind", "category", "urgency", "region", "subject_unit", "title", "content",
                   "enterprise_name")


@dataclass(frozen=True)
class Intake:
    case: Case
    query_code: str
    created: bool


# --------------------------------------------------------------------------- intake

def create_case(actor: User | None, data: dict, *, idempotency_key: str = "",
                now: datetime | None = None, inspection_finding: bool = False) -> Intake:
    """Register a case. A retry with the same idempotency key returns the first case."""
    if actor is not None and not _may_register(actor, data, inspection_finding):
        raise Forbidden(_("Your role may not register cases."))
    fingerprint = _fingerprint(data)
    intake_key = f"{actor.pk if actor else 'public'}:{idempotency_key}" if idempotency_key else None
    # No look-up of the key first: a new case (nearly every call) cannot need it. A retry
    # fails the unique intake_key on INSERT and is answered from the first case below.
    try:
        fields = _clean_intake(actor, data)
    except InvalidInput:
        # As before the look-up was dropped: a retry is answered even if the master data
        # changed since, and a different body under a used key is refused as reused.
        existing = intake_key and _existing_intake(intake_key, fingerprint)
        if existing:
            return existing
        raise
    try:
        # All or nothing, and when the caller already has a transaction, within a
        # savepoint: an IntegrityError rolls back to it and the connection stays usable
        # for the look-up below (PostgreSQL refuses every statement in an aborted
        # transaction). _create says how, per database.
        return _create(actor, fields, intake_key, fingerprint, now or timezone.now())
    except IntegrityError:
        # A retry, or two concurrent requests with one key where the other one won.
        existing = intake_key and _existing_intake(intake_key, fingerprint)
        if existing:
            return existing
        raise


def _may_register(actor: User, data: dict, inspection_finding: bool) -> bool:
    if actor.has_role(*INTAKE_ROLES):
        return True
    return (inspection_finding and data.get("channel") == Channel.INSPECTION
            and actor.has_role(*FINDING_ROLES))


def _existing_intake(intake_key: str, fingerprint: str) -> Intake | None:
    case = Case.objects.filter(intake_key=intake_key).first()
    if case is None:
        return None
    if case.intake_fingerprint != fingerprint:
        raise InvalidInput(_("This Idempotency-Key was already used for a different case."),
                           code="idempotency_key_reused")
    return Intake(case, confidential.decrypt(case.query_code_enc), created=False)


def _fingerprint(data: dict) -> str:
    # Keyed: the request holds the reporter's details, and a plain hash would let anyone
    # with a database dump confirm a guess of who filed a case.
    return confidential.keyed_hash("intake:" + json.dumps(data, sort_keys=True, default=str))


def _create(actor, fields: dict, intake_key, fingerprint, now: datetime) -> Intake:
    reporter_input = fields.pop("reporter")
    code = confidential.new_query_code()
    case = Case(query_code_enc=confidential.encrypt(code), received_at=now, created_by=actor,
                intake_key=intake_key, intake_fingerprint=fingerprint, **fields)
    # The reporter of a report of misconduct is protected for good (qinqing.cases.access).
    reporter = Reporter(case=case, protected=case.kind == Kind.REPORT,
                        accused_unit=case.subject_unit if case.kind == Kind.REPORT else None,
                        **_encrypted_reporter(reporter_input)) if reporter_input else None
    clock = deadlines.new_clock(case, Stage.DISPATCH, deadlines.policy_for(case.kind, case.urgency),
                                current_calendar(), now)
    event_data = {"kind": case.kind, "channel": case.channel, "category": case.category.code,
                  "region": case.region.code, "anonymous": case.is_anonymous,
                  "clocks": {"started": [deadlines.describe(clock)]}}
    year = timezone.localtime(now).year
    rows = [row for row in (reporter, clock) if row is not None]
    if connection.vendor == "postgresql":
        # Two round trips: a new id, then one statement that takes the number and writes
        # the case, its reporter, its clock and its first event (see _insert_numbered).
        case.pk = rowwrite.next_id(Case)
        for row in rows:
            row.case = case  # again: the foreign key was copied when the case had no id
        case.query_code_hash = confidential.query_code_hash(case.pk, code)
        event = timeline.new_event(case, "create", actor, now, "", State.RECEIVED,
                                   data=event_data)
        # The consequences of a new case (its facts, …) come back from the timeline's
        # hook as rows, written in the same statement.
        consequences = timeline.intake_rows(case, event, [clock])
        case.number = _insert_numbered(year, case, [*rows, event, *consequences])
    else:
        # SQLite runs in this process: a statement costs no round trip, and its
        # transaction holds the whole database's write lock from BEGIN anyway.
        with transaction.atomic():
            case.number = _next_number(year)
            case.save(force_insert=True)
            case.query_code_hash = confidential.query_code_hash(case.pk, code)
            Case.objects.filter(pk=case.pk).update(query_code_hash=case.query_code_hash)
            for row in rows:
                row.case = case
                row.save(force_insert=True)
            event = timeline.new_event(case, "create", actor, now, "", State.RECEIVED,
                                       data=event_data)
            event.save()
            for row in timeline.intake_rows(case, event, [clock]):
                row.save(force_insert=True)
    return Intake(case, code, created=True)


def _insert_numbered(year: int, case: Case, dependents: list) -> str:
    """PostgreSQL: take the year's next number and write the case with it, and its
    dependent rows, in one statement; returns the number.

    The number comes from an UPDATE of the year's sequence row, which locks that row until
    the transaction ends; every intake needs that lock, so it is taken by the statement
    that also commits: outside a caller's transaction the statement is its own
    transaction (and needs no BEGIN or COMMIT round trip); inside one it runs within a
    savepoint. Gap-free: a statement that fails takes no number."""
    sequence = (f"UPDATE {CaseNumberSequence._meta.db_table} SET last = last + 1 "
                f"WHERE year = %s RETURNING last")
    # (lpad would cut a seventh digit off: the case of a year's millionth case.)
    number = rowwrite.Expression(
        "(SELECT 'QQ-' || %s || '-' || CASE WHEN last < 1000000 THEN lpad(last::text, 6, '0') "
        "ELSE last::text END FROM n)", [str(year)])
    for attempt in range(2):
        _ensure_sequence_row(year, known=attempt == 0)
        try:
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                return rowwrite.insert_together(
                    case, *dependents, before=[("n", sequence, [year])],
                    overrides={(case, "number"): number}, returning=(case, "number"))
        except IntegrityError as exc:
            # No sequence row (deleted since this process saw it: a database flushed in
            # tests) gives no number: create it and try again; anything else is real.
            diag = getattr(exc.__cause__, "diag", None)
            if attempt or getattr(diag, "column_name", None) != "number":
                raise
    raise AssertionError("unreachable")


# Years whose number-sequence row this process has seen committed (rows are never
# deleted in use), so that an intake does not write it again each time.
_years_with_sequence: set[int] = set()


def _ensure_sequence_row(year: int, *, known: bool = True) -> None:
    if known and year in _years_with_sequence:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {CaseNumberSequence._meta.db_table} (year, last) "
                       "VALUES (%s, 0) ON CONFLICT (year) DO NOTHING", [year])
    transaction.on_commit(lambda: _years_with_sequence.add(year))  # not if rolled back


def _format_number(year: int, last: int) -> str:
    return f"QQ-{year}-{last:06d}"


def _next_number(year: int) -> str:
    """The year's next case number (SQLite). One atomic statement, no read-then-write
    race; gap-free: a rolled-back intake rolls its increment back too."""
    table = CaseNumberSequence._meta.db_table
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last",
                           [year])
            row = cursor.fetchone()
        if row:
            return _format_number(year, row[0])
        try:
            with transaction.atomic():
                CaseNumberSequence.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # created meanwhile by a concurrent intake
    raise RuntimeError("could not allocate a case number")


def _clean_intake(actor: User | None, data: dict) -> dict:
    errors: dict[str, str] = {}
    kind = _choice(data, "kind", Kind, errors)
    channel = _choice(data, "channel", Channel, errors)
    urgency = _choice(data, "urgency", Urgency, errors, default=Urgency.NORMAL)
    category = _category(data.get("category"), errors)
    title = (data.get("title") or "").strip()
    content = (data.get("content") or "").strip()
    if not content:
        errors["content"] = _("Describe the matter.")
    elif len(content) > limits.content_chars():
        errors["content"] = limits.too_long(limits.content_chars())
    if len(title) > limits.TITLE:
        errors["title"] = limits.too_long(limits.TITLE)
    # Refused when too long, not cut: a cut name may name another enterprise.
    enterprise_name = (data.get("enterprise_name") or "").strip()
    if len(enterprise_name) > limits.ENTERPRISE:
        errors["enterprise_name"] = limits.too_long(limits.ENTERPRISE)
    subject_unit = _unit(data.get("subject_unit"), "subject_unit", errors)
    region = _unit(data.get("region"), "region", errors)
    if region is not None and region.kind not in REGION_KINDS:
        errors["region"] = _("A region must be the city, a county or a development zone.")
    owner = actor.unit if actor is not None else _top_unit()
    if owner is None:
        errors["owner"] = _("No organisation has been set up yet.")
    reporter, anonymous = _reporter_input(data, errors)
    if errors:
        raise InvalidInput(_("Some fields need correcting."), fields=errors)
    if region is None:
        region = _region_of(subject_unit) if subject_unit else _region_of(owner)
    return dict(kind=kind, channel=channel, urgency=urgency, category=category,
                title=title or content[:30], content=content, enterprise_name=enterprise_name,
                subject_unit=subject_unit, region=region, owner_unit=owner,
                is_anonymous=anonymous, reporter=reporter)


def _reporter_input(data: dict, errors: dict) -> tuple[dict, bool]:
    raw = data.get("reporter") or {}
    anonymous = bool(data.get("anonymous"))
    reporter = {k: (raw.get(k) or "").strip() for k in
                ("name", "phone", "id_number", "contact", "enterprise")}
    if anonymous:
        return {}, True
    phone = confidential.normalise_phone(reporter["phone"])
    if reporter["phone"] and not (7 <= len(phone) <= 15):
        errors["reporter.phone"] = _("Enter a phone number of 7 to 15 digits.")
    if reporter["id_number"] and not _valid_id_number(reporter["id_number"]):
        errors["reporter.id_number"] = _("Enter an 18-character resident ID number.")
    for key, limit in (("name", limits.PERSON_NAME), ("contact", limits.CONTACT),
                       ("enterprise", limits.ENTERPRISE)):
        if len(reporter[key]) > limit:
            errors[f"reporter.{key}"] = limits.too_long(limit)
    if not any(reporter.values()):
        return {}, True
    return reporter, False


def _valid_id_number(value: str) -> bool:
    value = value.strip().upper()
    if len(value) != 18 or not value[:17].isdigit() or value[17] not in "0123456789X":
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(value[:17], weights)) % 11]
    return value[17] == check


def _encrypted_reporter(reporter: dict) -> dict:
    return dict(
        name_enc=confidential.encrypt(reporter.get("name", "")),
        phone_enc=confidential.encrypt(confidential.normalise_phone(reporter.get("phone", ""))),
        id_number_enc=confidential.encrypt(reporter.get("id_number", "").upper()),
        contact_enc=confidential.encrypt(reporter.get("contact", "")),
        enterprise_enc=confidential.encrypt(reporter.get("enterprise", "")),
        phone_index=confidential.phone_index(reporter.get("phone", "")),
    )


def _choice(data, key, choices, errors, default=None):
    value = data.get(key) or default
    if not isinstance(value, str) or value not in _values(choices):
        errors[key] = _("Choose one of: %(values)s.") % {"values": ", ".join(choices.values)}
        return None
    return value


@cache
def _values(choices) -> frozenset:
    # (A choices class builds its `values` list anew on every access.)
    return frozenset(choices.values)


def _category(code, errors) -> Category | None:
    category = refdata.get(("category", code), lambda: (
        Category.objects.filter(code=code, is_active=True).first())) if code else None
    if category is None:
        errors["category"] = _("Choose a category from the catalogue.")
    return category


def _unit(code, key, errors) -> Unit | None:
    if not code:
        return None
    unit = refdata.get(("unit", code),
                       lambda: Unit.objects.filter(code=code, is_active=True).first())
    if unit is None:
        errors[key] = _("No unit has the code %(code)s.") % {"code": code}
    return unit


def _top_unit() -> Unit | None:
    """The hotline that owns a case filed without an account (the public)."""
    return refdata.get(("top unit",),
                       lambda: Unit.objects.filter(parent=None).order_by("pk").first())


def _region_of(unit: Unit) -> Unit:
    from qinqing.org.queries import region_of

    # Keyed by the unit's id: a unit that moves is saved, and that empties the cache.
    return refdata.get(("region", unit.pk), lambda: region_of(unit) or unit)


# ----------------------------------------------------------------------------- moves

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


def _text(payload, key, limit=limits.NOTE) -> str:
    value = str(payload.get(key) or "").strip()
    if len(value) > limit:
        raise InvalidInput(_("Some fields need correcting."), fields={key: limits.too_long(limit)})
    return value


def _edit(case, actor, payload, now):
    fields = payload.get("fields") or {}
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if not fields or unknown:
        raise InvalidInput(_("Some fields need correcting."), fields={"fields": _(
            "Give one or more of: %(names)s.") % {"names": ", ".join(EDITABLE_FIELDS)}})
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
    return {"changes": changes}, _text(payload, "reason")


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


def _answer(case, actor, payload, now):
    if case.kind != Kind.CONSULTATION:
        raise NotAllowedInState(_("Only a consultation can be answered directly."),
                                code="not_a_consultation")
    case.answer = _text(payload, "answer", limits.content_chars())
    case.outcome = Outcome.DIRECT_ANSWER
    # The text goes into the event too, so the ledger protects what the caller was told.
    return {"answer": case.answer}, ""


def _not_accept(case, actor, payload, now):
    case.outcome = Outcome.NOT_ACCEPTED
    case.answer = _text(payload, "told")
    return {"told": case.answer}, _text(payload, "reason")


def _reject(case, actor, payload, now):
    case.outcome = Outcome.REJECTED
    return {}, _text(payload, "reason")


def _merge(case, actor, payload, now):
    from qinqing.cases.queries import visible_cases

    number = str(payload.get("into")).strip()
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
            protected=protected,
            accused_unit_id=(reporter.accused_unit_id or case.subject_unit_id) if protected
            else None,
            **{f: getattr(reporter, f) for f in ("name_enc", "phone_enc", "id_number_enc",
                                                 "contact_enc", "enterprise_enc")})
    case.merged_into = target
    case.outcome = Outcome.MERGED
    timeline.append(target, "merged_in", actor, now, target.state, target.state, data={
        "from": case.number, "callers_added": len(callers),
        "callers_to_notify": Reporter.objects.filter(case=target).exclude(phone_index="").count()})
    return {"into": target.number, "callers_moved": len(callers)}, _text(payload, "reason")


def _dispatch(case, actor, payload, now):
    lead = _routing_unit(payload.get("lead_unit"), "lead_unit")
    co_units = [_routing_unit(code, "co_units") for code in payload.get("co_units") or []]
    co_units = [u for u in co_units if u.pk != lead.pk]
    access.check_routing(case, [lead, *co_units])
    proposal = propose_assignment(case.category, case.region)
    reason = _text(payload, "reason")
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


def _sign(case, actor, payload, now):
    return {}, ""


def _return(case, actor, payload, now):
    if case.return_locked:
        raise NotAllowedInState(_("The dispatcher has already decided this objection: the case "
                                  "stays with your unit."), code="return_locked")
    if case.channel == Channel.RATING:
        raise NotAllowedInState(_("A bad-rating rectification cannot be returned."),
                                code="return_not_allowed")
    return {"from_unit": case.lead_unit.code}, _text(payload, "reason")


def _request(case, actor, payload, now, type_):
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
    limit = ""
    if type_ == ChangeRequest.Type.EXTENSION:
        try:
            limit = str(parse_limit(str(payload.get("limit"))))
        except LimitFormatError as exc:
            raise InvalidInput(_("Some fields need correcting."), fields={"limit": str(exc)}) from None
    request = ChangeRequest.objects.create(case=case, type=type_, limit=limit,
                                           reason=_text(payload, "reason"), requested_by=actor,
                                           requested_at=now)
    return {"request": request.pk, "limit": limit} if limit else {"request": request.pk}, request.reason


def _pending(case, type_) -> ChangeRequest:
    request = ChangeRequest.objects.filter(case=case, type=type_, decided_at__isnull=True).first()
    if request is None:
        raise NotAllowedInState(_("No request is waiting for a decision."), code="no_request")
    return request


def _decide(case, actor, payload, now, type_, approve):
    request = _pending(case, type_)
    request.approved, request.decided_by, request.decided_at = approve, actor, now
    request.decision_reason = _text(payload, "reason")
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


def _resume(case, actor, payload, now):
    if not case.is_suspended:
        raise NotAllowedInState(_("The case is not suspended."), code="not_suspended")
    case.is_suspended = False
    clock = deadlines.open_clock(case, Stage.RESOLVE)
    data = {"clock": deadlines.resume(clock, now, current_calendar())} if clock and clock.paused_at else {}
    return data, _text(payload, "reason")


def _reply(case, actor, payload, now):
    if case.is_suspended:
        raise NotAllowedInState(_("Resume the case before replying."), code="suspended")
    case.answer = _text(payload, "answer", limits.content_chars())
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
    ids = payload.get("attachments") or []
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"attachments": _("Give a list of attachment ids.")})
    found = set(case.attachments.filter(pk__in=ids).values_list("pk", flat=True))
    if found != set(ids):
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"attachments": _("Unknown attachment for this case.")})
    return sorted(ids)


def _review(case, actor, payload, now):
    return {}, _text(payload, "reason")


def _send_back(case, actor, payload, now):
    return {}, _text(payload, "reason")


def _callback(case, actor, payload, now):
    satisfaction = payload.get("satisfaction")
    if satisfaction not in (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED):
        raise InvalidInput(_("Some fields need correcting."), fields={"satisfaction": _(
            "Choose satisfied, basically_satisfied or dissatisfied.")})
    case.satisfaction = satisfaction
    case.resolved = payload.get("resolved", True) is not False
    case.outcome = Outcome.RESOLVED
    return {"satisfaction": satisfaction, "resolved": case.resolved}, _text(payload, "note")


def _close_unrated(case, actor, payload, now):
    # Closed after handling, but no satisfaction was given: rates count rated callbacks only.
    case.outcome = Outcome.RESOLVED
    case.satisfaction = ""
    case.resolved = None
    return {"rated": False}, _text(payload, "reason")


def _reopen(case, actor, payload, now):
    case.satisfaction = Satisfaction.DISSATISFIED
    case.resolved = payload.get("resolved") is True
    case.reopen_count += 1
    case.answer = ""
    return {"satisfaction": Satisfaction.DISSATISFIED, "reopen_count": case.reopen_count}, _text(
        payload, "reason")


_HANDLERS = {
    "edit": _edit, "answer": _answer, "not_accept": _not_accept, "reject": _reject,
    "merge": _merge, "dispatch": _dispatch, "redispatch": _dispatch, "sign": _sign,
    "return": _return,
    "request_extension": lambda c, a, p, n: _request(c, a, p, n, ChangeRequest.Type.EXTENSION),
    "request_suspension": lambda c, a, p, n: _request(c, a, p, n, ChangeRequest.Type.SUSPENSION),
    "approve_extension": lambda c, a, p, n: _decide(c, a, p, n, ChangeRequest.Type.EXTENSION, True),
    "deny_extension": lambda c, a, p, n: _decide(c, a, p, n, ChangeRequest.Type.EXTENSION, False),
    "approve_suspension": lambda c, a, p, n: _decide(c, a, p, n, ChangeRequest.Type.SUSPENSION, True),
    "deny_suspension": lambda c, a, p, n: _decide(c, a, p, n, ChangeRequest.Type.SUSPENSION, False),
    "resume": _resume, "reply": _reply, "review": _review, "send_back": _send_back,
    "callback": _callback, "close_unrated": _close_unrated, "reopen": _reopen,
}
assert set(_HANDLERS) == set(TABLE), "every row of the table has exactly one handler"


# ----------------------------------------------------------------------- attachments

# What an attachment may be, judged by its content (cases/uploads.py).
ATTACHMENT_TYPES = ALLOWED_UPLOADS
ATTACHMENT_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.HANDLER, Role.UNIT_LEADER,
                              Role.CALLBACK_AGENT})


def add_attachment(case_number: str, actor: User, upload) -> "Attachment":
    """Store an uploaded file on a case (evidence for a reply, a photo from the caller)."""
    from django.core.files.base import ContentFile

    from qinqing.cases.models import Attachment
    from qinqing.cases.queries import visible_cases

    if actor.role not in ATTACHMENT_ROLES:
        raise Forbidden(_("Your role may not attach files."))
    if upload.size > settings.QINQING_MAX_ATTACHMENT_BYTES:
        raise InvalidInput(_("Some fields need correcting."), fields={"file": _(
            "A file may be at most %(mb)s MB.") % {"mb": settings.QINQING_MAX_ATTACHMENT_BYTES >> 20}})
    if upload.size == 0:
        raise InvalidInput(_("Some fields need correcting."), fields={"file": _("The file is empty.")})
    body = upload.read()
    # The content decides, not the declared type (a renamed script is not a PDF).
    content_type = uploads.sniff(body, upload.content_type or "", upload.name or "")
    if content_type is None:
        raise InvalidInput(_("Some fields need correcting."), fields={"file": _(
            "Accepted: PDF, JPEG or PNG images, text, Word (.docx) and Excel (.xlsx) files; "
            "this file's content is none of them.")})
    digest = hashlib.sha256(body).hexdigest()
    name = strip_control(upload.name or "").replace("/", "_").replace("\\", "_")[-200:] or "file"
    now = timezone.now()
    with transaction.atomic():
        case = visible_cases(actor).select_for_update().filter(number=case_number).first()
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": case_number})
        attachment = Attachment(case=case, name=name, content_type=content_type, size=len(body),
                                sha256=digest, uploaded_by=actor, uploaded_at=now)
        safe_name = f"file{ATTACHMENT_TYPES[content_type]}"
        attachment.file.save(safe_name, ContentFile(body), save=False)
        attachment.save()
        timeline.append(case, "attach", actor, now, case.state, case.state,
                        data={"attachment": attachment.pk, "name": name, "sha256": digest,
                              "size": len(body)})
    return attachment


def file_document(case: Case, name: str, body: bytes, content_type: str, *,
                  actor: User | None = None, now: datetime | None = None) -> "Attachment":
    """File a document the platform generated (a reminder letter, …) on a case.

    For other apps' services, inside their own transaction with the case row locked
    (they append the timeline event that says why, with `timeline.append_event`). Unlike
    `add_attachment` there is no upload to check and no role: the caller is the system."""
    from django.core.files.base import ContentFile

    from qinqing.cases.models import Attachment

    if content_type not in ATTACHMENT_TYPES:
        raise ValueError(f"unsupported document type {content_type!r}")
    digest = hashlib.sha256(body).hexdigest()
    attachment = Attachment(case=case, name=name[-200:], content_type=content_type,
                            size=len(body), sha256=digest, uploaded_by=actor,
                            uploaded_at=now or timezone.now())
    attachment.file.save(f"file{ATTACHMENT_TYPES[content_type]}", ContentFile(body), save=False)
    attachment.save()
    return attachment


# ---------------------------------------------------------------- confidential data

def unmask_reporters(case_number: str, actor: User, reason: str) -> list[dict]:
    """Decrypt a case's reporters for an allowed role, with a reason, logged."""
    from qinqing.cases.queries import visible_cases

    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"reason": _("Say why you need to see the reporter.")})
    with transaction.atomic():
        case = (visible_cases(actor).filter(number=case_number)
                .select_related("lead_unit", "subject_unit").first())
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": case_number})
        # Only the reporters this actor may reveal (qinqing.cases.access): a protected
        # reporter merged into a complaint stays hidden from the complaint's handlers.
        reporters = [r for r in case.reporters.order_by("pk")
                     if access.may_unmask_reporter(actor, case, r)]
        if not reporters:
            raise Forbidden(_("Your role may not see who filed this case."))
        now = timezone.now()
        UnmaskLog.objects.bulk_create(
            UnmaskLog(reporter=r, case=case, user=actor, reason=reason, at=now) for r in reporters)
        timeline.append(case, "unmask", actor, now, case.state, case.state, reason=reason,
                        data={"reporters": [r.pk for r in reporters]})
    return [{"id": r.pk, "name": confidential.decrypt(r.name_enc),
             "phone": confidential.decrypt(r.phone_enc),
             "id_number": confidential.decrypt(r.id_number_enc),
             "contact": confidential.decrypt(r.contact_enc),
             "enterprise": confidential.decrypt(r.enterprise_enc),
             "merged_from": r.merged_from_id and r.merged_from.number} for r in reporters]


def reclassify_report(case_number: str, actor: User, *, reason: str, kind: str | None = None,
                      subject_unit: str | None = None, clear_subject: bool = False) -> Case:
    """The discipline commission changes a protected case's kind or accused unit, with a
    reason, on the timeline. Its reporters stay protected whatever the new kind: the
    protection belongs to the reporter (qinqing.cases.access). A new accused unit may not
    be one that already holds the case."""
    from qinqing.cases.queries import visible_cases

    if not access.may_reclassify(actor):
        raise Forbidden(_("Only the discipline commission may change the kind or the accused "
                          "unit of a report of misconduct."), code="protected_reporter")
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("This field is required.")
    if kind is not None and kind not in _values(Kind):
        errors["kind"] = _("Choose one of: %(values)s.") % {"values": ", ".join(Kind.values)}
    unit = _unit(subject_unit, "subject_unit", errors) if subject_unit else None
    if kind is None and unit is None and not clear_subject:
        errors["kind"] = _("Give a new kind or accused unit.")
    if errors:
        raise InvalidInput(_("Some fields need correcting."), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        case = (visible_cases(actor).select_for_update(of=("self",))
                .select_related("lead_unit", "subject_unit").filter(number=case_number).first())
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": case_number})
        if not access.is_protected(case):
            raise NotAllowedInState(_("This case is not a report of misconduct."),
                                    code="not_protected")
        if case.state == State.CLOSED:
            raise NotAllowedInState(_("A closed case cannot be changed."), code="closed")
        changes = {}
        if kind is not None and kind != case.kind:
            changes["kind"] = {"from": case.kind, "to": kind}
            case.kind = kind
        if (unit is not None or clear_subject) and unit != case.subject_unit:
            changes["subject_unit"] = {"from": case.subject_unit and case.subject_unit.code,
                                       "to": unit and unit.code}
            case.subject_unit = unit
            if unit is not None:
                # The reporters of this report now protect against the corrected unit;
                # clearing it keeps the unit they named (a protection is never lost).
                Reporter.objects.filter(case=case, protected=True,
                                        merged_from__isnull=True).update(accused_unit=unit)
        if case.kind == Kind.REPORT:
            _protect_reporters(case)
        holders = [u for u in [case.lead_unit, *case.co_units.all()] if u is not None]
        access.check_routing(case, holders, "subject_unit")
        case.save()
        timeline.append(case, "reclassify", actor, now, case.state, case.state,
                        reason=reason, data={"changes": changes})
    return case


def rotate_keys(batch: int = 500) -> dict[str, int]:
    """Re-encrypt every encrypted column of every app with the newest key.

    The columns are found by field type (qinqing.crypto_fields.encrypted_columns), so
    a personal column declared as an EncryptedTextField is rotated without anyone
    remembering to add it here; afterwards the older keys can be dropped. Each batch
    is one transaction with its rows locked, so a concurrent edit is not overwritten
    with an older value. Returns rows rewritten per model label.
    """
    from qinqing.crypto_fields import encrypted_columns

    done: dict[str, int] = {}
    for model, fields in encrypted_columns():
        count, last_pk = 0, None
        while True:
            with transaction.atomic():
                rows = model._default_manager.select_for_update().order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                rows = list(rows.only("pk", *fields)[:batch])
                if not rows:
                    break
                for row in rows:
                    for name in fields:
                        setattr(row, name, confidential.rotate(getattr(row, name)))
                model._default_manager.bulk_update(rows, fields)
                count += len(rows)
                last_pk = rows[-1].pk
        done[model._meta.label] = count
    return done


# ------------------------------------------------------------- calendar recompute

def recompute_provisional_deadlines() -> int:
    """Recompute open provisional deadlines with the calendar now in force.

    Run when an administrator enters a year's holidays: the deadlines that assumed
    Monday–Friday get their real dates, each change on its case's timeline.
    """
    from qinqing.cases.models import StageClock

    calendar = current_calendar(verify=True)  # not this process's cached copy
    now = timezone.now()
    changed = 0
    clocks = (StageClock.objects.select_related("policy", "case")
              .filter(provisional=True, done_at__isnull=True).order_by("case_id", "pk"))
    for clock in clocks.iterator(chunk_size=500):
        before = (clock.due_at, clock.provisional)
        deadlines.schedule(clock, calendar)
        if (clock.due_at, clock.provisional) == before:
            continue
        with transaction.atomic():
            clock.save(update_fields=["due_at", "warn_at", "provisional", "calendar_version"])
            timeline.append(clock.case, "deadline_recomputed", None, now, clock.case.state,
                            clock.case.state, reason=_("Holiday data entered for the year"),
                            data={"clock": {**deadlines.describe(clock),
                                            "previous_due": deadlines._iso(before[0])}})
        changed += 1
    return changed


# ------------------------------------------------------------------------- tokens

def issue_token(user: User, *, days: int | None = None, now: datetime | None = None) -> str:
    """Create an API token for an integration account; only its hash is kept.

    It is valid for `days` (default QINQING_TOKEN_DAYS) from now.
    """
    now = now or timezone.now()
    days = settings.QINQING_TOKEN_DAYS if days is None else days
    if days < 1:
        raise InvalidInput(_("A token is valid for at least one day."))
    key = f"qq_{secrets.token_urlsafe(32)}"
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:8],
                            expires_at=now + timedelta(days=days))
    return key


def revoke_tokens(ids, actor: User | None = None, *, now: datetime | None = None) -> int:
    """Revoke API tokens by id; returns how many were active. Already revoked ones are
    left as they were (their first revocation stays on record).

    Each token is saved (not a bulk update) so its post_save signal empties the API's
    token cache at once in this process (api/main.py); other processes stop accepting
    it within QINQING_TOKEN_TTL seconds.
    """
    now = now or timezone.now()
    with transaction.atomic():
        tokens = list(ApiToken.objects.select_for_update()
                      .filter(pk__in=list(ids), is_active=True).order_by("pk"))
        for token in tokens:
            token.is_active, token.revoked_at, token.revoked_by = False, now, actor
            token.save(update_fields=["is_active", "revoked_at", "revoked_by"])
    return len(tokens)
