"""Registering a case: `create_case`, the cleaning of what intake sends, and the
idempotent retry of a request already answered."""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.db import IntegrityError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing import limits
from qinqing.cases import confidential, deadlines, rowwrite, schemas, timeline
from qinqing.cases.errors import Forbidden, InvalidInput
from qinqing.cases.models import Case, Category, Kind, Reporter, Stage, State, Urgency
from qinqing.cases.models.case import Channel
from qinqing.cases.services.case_numbers import _insert_numbered, _next_number
from qinqing.org.models import REGION_KINDS, Role, Unit, User
from qinqing.refdata import refdata
from qinqing.worktime.queries import current_calendar


INTAKE_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER})
# A problem found by an inspection (监督检查 / 明察暗访) is registered by the supervisor or
# discipline inspector who found it, not by the hotline. They may register cases of the
# inspection channel only, and only when the caller says the case is such a finding
# (`inspection_finding=True`: qinqing.oversight.services does, in the transaction that
# records the inspection it comes from). The API and the intake form never pass it, so
# for them the rule is unchanged: only hotline roles register cases.
FINDING_ROLES = frozenset({Role.SUPERVISOR, Role.DISCIPLINE_INSPECTOR})
# What an edit may correct: declared with the edit's payload.
EDITABLE_FIELDS = schemas.EDITABLE_FIELDS


# Sent by `create_case` for a new case whose reporter left a phone, once the case's rows
# are written (its number known), inside the intake's transaction, with sender=Case and:
#   case        the case, saved, with its number;
#   reporter    its reporter, saved (`protected`, `sms_updates` as received);
#   phone       the reporter's phone, clear and normalised (it is in memory here anyway);
#   query_code  the query code in clear: it exists only now (the case keeps its hash, and
#               an encrypted copy for a retry's answer).
# Receivers may read and write the database; what they write commits or rolls back with
# the case. qinqing.notifications texts the reporter the number and the code.
#
# Why a signal of its own and not the timeline's `case_changed` (created=True): that one is
# sent before the case's rows exist (on PostgreSQL the whole intake is one statement,
# cases/rowwrite.py, and the number is taken inside it), so its receivers may not touch the
# database and do not know the number; it does not carry the query code; and the bulk
# import sends it for every replayed historic case, whose reporters must not be texted.
# Sent only when there is a phone to reach: the transaction this needs costs an intake
# round trips (BEGIN/COMMIT or a savepoint) that an intake without a phone does not pay.
# Not sent for a retry answered from the first case, nor when the caller says so
# (`notify_reporter=False`: the import of historic cases, the demo's generated ones).
case_received = Signal()


@dataclass(frozen=True)
class Intake:
    case: Case
    query_code: str
    created: bool


def create_case(actor: User | None, data: dict, *, idempotency_key: str = "",
                now: datetime | None = None, inspection_finding: bool = False,
                notify_reporter: bool = True) -> Intake:
    """Register a case. A retry with the same idempotency key returns the first case.

    A reporter who left a phone is reached through `case_received` (the number and the
    query code by SMS), and with `reporter.sms_updates` gets an SMS at each public step.
    `notify_reporter=False` does neither: for cases registered after the fact (an import
    of historic cases), whose reporters were never told of this platform."""
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
        return _create(actor, fields, intake_key, fingerprint, now or timezone.now(),
                       notify_reporter)
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


def _create(actor, fields: dict, intake_key, fingerprint, now: datetime,
            notify_reporter: bool = True) -> Intake:
    reporter_input = fields.pop("reporter")
    code = confidential.new_query_code()
    case = Case(query_code_enc=confidential.encrypt(code), received_at=now, created_by=actor,
                intake_key=intake_key, intake_fingerprint=fingerprint, **fields)
    # The reporter of a report of misconduct is protected for good (qinqing.cases.access).
    reporter = Reporter(case=case, protected=case.kind == Kind.REPORT,
                        accused_unit=case.subject_unit if case.kind == Kind.REPORT else None,
                        sms_updates=notify_reporter and reporter_input["sms_updates"],
                        **_encrypted_reporter(reporter_input)) if reporter_input else None
    phone = confidential.normalise_phone(reporter_input.get("phone", "")) if reporter else ""
    # The reporter is reached in the intake's transaction (see case_received).
    reach = bool(phone and notify_reporter and case_received.has_listeners(Case))
    clock = deadlines.new_clock(case, Stage.DISPATCH, deadlines.policy_for(case.kind, case.urgency),
                                current_calendar(), now)
    event_data = {"kind": case.kind, "channel": case.channel, "category": case.category.code,
                  "region": case.region.code, "anonymous": case.is_anonymous,
                  "clocks": {"started": [deadlines.describe(clock)]}}
    rows = [row for row in (reporter, clock) if row is not None]
    # SQLite writes in a transaction (or a savepoint) always: it runs in this process, a
    # statement costs no round trip, and its transaction holds the whole database's
    # write lock from BEGIN anyway. PostgreSQL only when the reporter is reached: the
    # intake is otherwise one statement, its own transaction outside a caller's (see
    # _insert_numbered), and with a receiver's writes it needs one around them.
    with (transaction.atomic() if reach or connection.vendor != "postgresql"
          else nullcontext()):
        _write(case, rows, actor, now, code, event_data, clock)
        if reach:
            case_received.send(sender=Case, case=case, reporter=reporter, phone=phone,
                               query_code=code)
    return Intake(case, code, created=True)


def _write(case: Case, rows: list, actor, now: datetime, code: str, event_data: dict,
           clock) -> None:
    """Write the new case, its rows, its first event and the hook's rows; number it.
    On SQLite, inside the caller's atomic block (_create's)."""
    year = timezone.localtime(now).year
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
    sms_updates = raw.get("sms_updates", False)
    if anonymous:
        return {}, True
    if not isinstance(sms_updates, bool):
        errors["reporter.sms_updates"] = _("Answer yes or no.")
    elif sms_updates and not reporter["phone"]:
        errors["reporter.sms_updates"] = _("Give a phone to receive an SMS at each step.")
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
    return {**reporter, "sms_updates": sms_updates is True}, False


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
