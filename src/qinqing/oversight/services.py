"""Every write of oversight: sweep campaigns, joint meetings, accountability, inspections.

One function per use case, one transaction each. Where a case is concerned, its row is
locked and one event is appended to its timeline in the same transaction
(`cases.timeline.append_event`); a case's state is never changed here. A problem found
by an inspection becomes a case only through `cases.services.create_case`.

Bad input raises `InvalidInput` with a message per field (the keys are the form's field
names; a row of a list is `decisions.0.text`, `problems.2.unit`) and changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing import limits
from qinqing.cases import confidential
from qinqing.cases import services as case_services
from qinqing.cases import timeline
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState, NotFound
from qinqing.cases.models import (
    HOTLINE_STAGES, UNIT_STAGES, Case, Category, Channel, Kind,
)
from qinqing.cases.queries import visible_cases
from qinqing.cases.queues import open_clocks
from qinqing.org.models import REGION_KINDS, Role, Unit, User
from qinqing.oversight import events
from qinqing.oversight.models import (
    AccountabilityRecord, Campaign, CampaignCase, Decision, Inspection, Meeting, Problem,
    ProblemType, SanctionType,
)

# Who may do what (by role only: a superuser's account has a role like everyone's).
CAMPAIGN_ROLES = frozenset({Role.SUPERVISOR})
MEETING_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER})
# Besides the conveners, the staff of a decision's unit (or above it) mark it done.
DECISION_UNIT_ROLES = frozenset({Role.HANDLER, Role.UNIT_LEADER})
ACCOUNTABILITY_ROLES = frozenset({Role.DISCIPLINE_INSPECTOR, Role.ADMINISTRATOR})
# Who sees an accountable official's name, position and the record's notes.
NAME_ROLES = frozenset({Role.DISCIPLINE_INSPECTOR, Role.ADMINISTRATOR})
INSPECTION_ROLES = case_services.FINDING_ROLES

MAX_CASES = 20
MAX_UNITS = 50
MAX_ROWS = 30
# The unit that must act on each stage (as on the supervision board): UNIT_STAGES and
# HOTLINE_STAGES of cases.models (the lead unit signs, resolves and reviews its reply;
# the hotline dispatches and calls back).


def _require(actor: User, roles, message: str) -> None:
    if not (actor.is_active and actor.role in roles):
        raise Forbidden(message)


def _invalid(errors: dict) -> InvalidInput:
    return InvalidInput(_("Some fields need correcting."), fields=errors)


def _text(data: dict, key: str, limit: int, errors: dict, *, required: bool = False,
          field: str | None = None) -> str:
    value = data.get(key)
    value = "" if value is None else str(value).strip()
    field = field or key
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("At most %(n)s characters.") % {"n": limit}
    return value


def _date(data: dict, key: str, errors: dict, *, today: date, field: str | None = None,
          not_after_today: bool = True, not_before: date | None = None) -> date | None:
    value = data.get(key)
    field = field or key
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str) and value.strip():
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            errors[field] = _("Enter a date as YYYY-MM-DD.")
            return None
    if not isinstance(value, date):
        errors[field] = _("This field is required.")
        return None
    if not_after_today and value > today:
        errors[field] = _("The date cannot be in the future.")
        return None
    if not_before is not None and value < not_before:
        errors[field] = _("The date cannot be before %(day)s.") % {"day": not_before.isoformat()}
        return None
    return value


def _today(now: datetime) -> date:
    return timezone.localtime(now).date()


def _unit(code, errors: dict, field: str, *, required: bool = False,
          kinds=None) -> Unit | None:
    code = str(code or "").strip()
    if not code:
        if required:
            errors[field] = _("Choose a unit.")
        return None
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        errors[field] = _("No unit has the code %(code)s.") % {"code": code[:32]}
    elif kinds and unit.kind not in kinds:
        errors[field] = _("A region must be the city, a county or a development zone.")
        return None
    return unit


def _units(codes, errors: dict, field: str) -> list[Unit]:
    if isinstance(codes, str):
        codes = [codes]
    codes = list(dict.fromkeys(str(c).strip() for c in (codes or []) if str(c).strip()))
    if not codes:
        errors[field] = _("Choose at least one unit.")
        return []
    if len(codes) > MAX_UNITS:
        errors[field] = _("At most %(n)s units.") % {"n": MAX_UNITS}
        return []
    units = {u.code: u for u in Unit.objects.filter(code__in=codes, is_active=True)}
    missing = [c for c in codes if c not in units]
    if missing:
        errors[field] = _("No unit has the code %(code)s.") % {"code": "、".join(missing)[:200]}
        return []
    return [units[c] for c in codes]


def parse_numbers(value) -> list[str]:
    """Case numbers typed one per line or separated by spaces, commas or 、."""
    if isinstance(value, (list, tuple)):
        value = " ".join(str(v) for v in value)
    parts = re.split(r"[\s,，、;；]+", str(value or "").upper())
    return list(dict.fromkeys(p for p in parts if p))


def _visible_case_ids(actor: User, value, errors: dict, field: str = "cases") -> list[int]:
    numbers = parse_numbers(value)
    if not numbers:
        errors[field] = _("Give at least one case number.")
        return []
    if len(numbers) > MAX_CASES:
        errors[field] = _("At most %(n)s cases.") % {"n": MAX_CASES}
        return []
    found = dict(visible_cases(actor).filter(number__in=numbers).values_list("number", "pk"))
    missing = [n for n in numbers if n not in found]
    if missing:
        # A case the actor may not see is reported like one that does not exist.
        errors[field] = _("No case %(numbers)s that you can see.") % {
            "numbers": "、".join(missing)[:200]}
        return []
    return [found[n] for n in numbers]


def _locked_cases(ids, chunk: int = 1000) -> list[Case]:
    """The cases' rows, locked in a fixed order (two services never deadlock on them), a
    chunk at a time (SQLite takes at most 32,766 parameters in one statement)."""
    ids = sorted(set(ids))
    locked: list[Case] = []
    for start in range(0, len(ids), chunk):
        locked.extend(Case.objects.select_for_update()
                      .filter(pk__in=ids[start:start + chunk]).order_by("pk"))
    return locked


def _once(model, actor: User, key: str, create):
    """Run `create(submission_key)` unless this form submission was saved already (a double
    click, a reload): then return what the first one saved."""
    key = (key or "").strip()
    if not key:
        return create(None)
    submission_key = f"{actor.pk}:{key}"[:80]
    found = model.objects.filter(submission_key=submission_key).first()
    if found is not None:
        return found
    try:
        return create(submission_key)
    except IntegrityError:
        found = model.objects.filter(submission_key=submission_key).first()
        if found is None:
            raise
        return found


# ------------------------------------------------------------------ sweep campaigns

def start_campaign(actor: User, data: dict, *, now: datetime | None = None,
                   key: str = "") -> Campaign:
    """Start an overdue sweep (专项清零): snapshot every case overdue now within the scope.

    Overdue: a stage clock that is open, not suspended and past its stored deadline
    (`due_at < now`), on a case the supervisor may see. The scope narrows it: the case's
    region, the unit that must act on the overdue stage (and the units below it), the
    case's kind. Each case entering the campaign gets a `campaign_entered` event. A scope
    with nothing overdue starts nothing. `now` is for tests and the demo, which build
    their history in order.
    """
    _require(actor, CAMPAIGN_ROLES, _("Your role may not start sweep campaigns."))
    errors: dict[str, str] = {}
    name = _text(data, "name", 120, errors, required=True)
    note = _text(data, "note", 2000, errors)
    region = _unit(data.get("region"), errors, "region", kinds=REGION_KINDS)
    unit = _unit(data.get("unit"), errors, "unit")
    kind = str(data.get("kind") or "")
    if kind and kind not in Kind.values:
        errors["kind"] = _("Choose one of: %(values)s.") % {"values": ", ".join(Kind.values)}
    if errors:
        raise _invalid(errors)
    now = now or timezone.now()

    def create(submission_key):
        with transaction.atomic():
            candidates = _overdue_clocks(actor, now, region, unit, kind)
            cases = _locked_cases(set(candidates.values_list("case_id", flat=True)))
            # Read again under the locks: a move made meanwhile may have stopped a clock.
            locked = {case.pk for case in cases}
            by_case: dict[int, list[_Overdue]] = {}
            for row in (_overdue_clocks(actor, now, region, unit, kind)
                        .order_by("case_id", "due_at")
                        .values_list("pk", "case_id", "stage", "due_at", "case__lead_unit_id",
                                     "case__owner_unit_id")):
                clock = _Overdue(*row)
                if clock.case_id in locked:
                    by_case.setdefault(clock.case_id, []).append(clock)
            if not by_case:
                raise InvalidInput(_("No case is overdue in this scope now: there is "
                                     "nothing to sweep."), code="nothing_overdue")
            campaign = Campaign.objects.create(
                name=name, note=note, region=region, unit=unit, kind=kind, started_at=now,
                started_by=actor, snapshot_count=len(by_case), submission_key=submission_key)
            members = CampaignCase.objects.bulk_create(
                CampaignCase(campaign=campaign, case_id=case_id, unit_id=found[0].acting_unit_id,
                             first_due_at=found[0].due_at)
                for case_id, found in by_case.items())
            through = CampaignCase.clocks.through
            through.objects.bulk_create(
                through(campaigncase_id=member.pk, stageclock_id=clock.pk)
                for member in members for clock in by_case[member.case_id])
            timeline.append_events(
                [(case, name, {"campaign": campaign.pk,
                               "stages": [{"stage": c.stage, "due": c.due_at.isoformat()}
                                          for c in by_case[case.pk]]})
                 for case in cases if case.pk in by_case],
                events.CAMPAIGN_ENTERED, actor, now=now)
            return campaign

    return _once(Campaign, actor, key, create)


def _overdue_clocks(actor: User, now: datetime, region: Unit | None, unit: Unit | None,
                    kind: str):
    cases = visible_cases(actor)
    if region is not None:
        cases = cases.filter(region__path__startswith=region.path)
    if kind:
        cases = cases.filter(kind=kind)
    clocks = open_clocks().filter(paused_at__isnull=True, due_at__lt=now,
                                  case__in=cases.values("pk"))
    if unit is not None:
        clocks = clocks.filter(
            Q(stage__in=UNIT_STAGES, case__lead_unit__path__startswith=unit.path)
            | Q(stage__in=HOTLINE_STAGES, case__owner_unit__path__startswith=unit.path))
    return clocks


@dataclass(frozen=True)
class _Overdue:
    pk: int
    case_id: int
    stage: str
    due_at: datetime
    lead_unit_id: int | None
    owner_unit_id: int

    @property
    def acting_unit_id(self) -> int | None:
        return self.lead_unit_id if self.stage in UNIT_STAGES else self.owner_unit_id


def close_campaign(campaign_id: int, actor: User, note: str = "", *,
                   now: datetime | None = None) -> Campaign:
    """End a campaign; the cases still unresolved then are counted and kept on record."""
    from qinqing.oversight.queries import campaign_remaining

    _require(actor, CAMPAIGN_ROLES, _("Your role may not close sweep campaigns."))
    errors: dict[str, str] = {}
    note = _text({"note": note}, "note", 2000, errors)
    if errors:
        raise _invalid(errors)
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None:
            raise NotFound(_("No such campaign."))
        if campaign.closed_at is not None:
            raise NotAllowedInState(_("This campaign is already closed."), code="closed")
        campaign.closed_at, campaign.closed_by, campaign.closing_note = now, actor, note
        campaign.remaining_at_close = campaign_remaining(campaign, now)
        campaign.save(update_fields=["closed_at", "closed_by", "closing_note",
                                     "remaining_at_close"])
    return campaign


# ------------------------------------------------------------------- joint meetings

def record_meeting(actor: User, data: dict, *, now: datetime | None = None,
                   key: str = "") -> Meeting:
    """Record a joint meeting (联席会议): its cases, attending units, minutes and decisions.

    Each decision names a unit responsible, which must be one of the attending units, and
    a deadline on or after the meeting. Every case gets a `joint_meeting` event.
    """
    _require(actor, MEETING_ROLES, _("Your role may not record joint meetings."))
    now = now or timezone.now()
    today = _today(now)
    errors: dict[str, str] = {}
    title = _text(data, "title", 120, errors, required=True)
    held_on = _date(data, "held_on", errors, today=today)
    minutes = _text(data, "minutes", 10000, errors, required=True)
    units = _units(data.get("units"), errors, "units")
    case_ids = _visible_case_ids(actor, data.get("cases"), errors)
    rows = data.get("decisions") or []
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        errors["decisions"] = _("At most %(n)s decisions.") % {"n": MAX_ROWS}
        rows = []
    decisions = [_decision_input(row, i, units, held_on, today, errors)
                 for i, row in enumerate(rows)]
    if errors:
        raise _invalid(errors)

    def create(submission_key):
        with transaction.atomic():
            cases = _locked_cases(case_ids)
            meeting = Meeting.objects.create(title=title, held_on=held_on, minutes=minutes,
                                             convened_by=actor, recorded_at=now,
                                             submission_key=submission_key)
            meeting.cases.set(cases)
            meeting.units.set(units)
            made = Decision.objects.bulk_create(
                Decision(meeting=meeting, created_by=actor, created_at=now, **d)
                for d in decisions)
            for case in cases:
                timeline.append_event(case, events.MEETING_HELD, actor, reason=title,
                                      now=now, data={
                                          "meeting": meeting.pk,
                                          "held_on": held_on.isoformat(),
                                          "units": [u.code for u in units],
                                          "decisions": [_decision_data(d) for d in made]})
            return meeting

    return _once(Meeting, actor, key, create)


def _decision_input(row, i: int, units: list[Unit], held_on, today, errors) -> dict:
    prefix = f"decisions.{i}."
    if not isinstance(row, dict):
        errors[f"{prefix}text"] = _("This field is required.")
        return {}
    text = _text(row, "text", 1000, errors, required=True, field=f"{prefix}text")
    owner = _unit(row.get("owner_unit"), errors, f"{prefix}owner_unit", required=True)
    if owner is not None and units and owner.pk not in {u.pk for u in units}:
        errors[f"{prefix}owner_unit"] = _("The unit responsible must be one of the "
                                          "attending units.")
    due_on = _date(row, "due_on", errors, today=today, field=f"{prefix}due_on",
                   not_after_today=False, not_before=held_on)
    return {"text": text, "owner_unit": owner, "due_on": due_on}


def _decision_data(decision: Decision) -> dict:
    return {"decision": decision.pk, "owner_unit": decision.owner_unit.code,
            "due_on": decision.due_on.isoformat()}


def add_decision(meeting_id: int, actor: User, data: dict, *,
                 now: datetime | None = None) -> Decision:
    """A decision taken after the meeting was recorded (or forgotten in the record)."""
    from qinqing.oversight.queries import visible_meetings

    _require(actor, MEETING_ROLES, _("Your role may not record joint meetings."))
    now = now or timezone.now()
    meeting = visible_meetings(actor).filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(_("No such meeting."))
    errors: dict[str, str] = {}
    values = _decision_input(data, 0, list(meeting.units.all()), meeting.held_on, _today(now),
                             errors)
    if errors:
        raise _invalid({k.removeprefix("decisions.0."): v for k, v in errors.items()})
    with transaction.atomic():
        cases = _locked_cases(meeting.cases.values_list("pk", flat=True))
        decision = Decision.objects.create(meeting=meeting, created_by=actor, created_at=now,
                                           **values)
        for case in cases:
            timeline.append_event(case, events.DECISION_ADDED, actor, reason=decision.text,
                                  now=now, data={"meeting": meeting.pk,
                                                 **_decision_data(decision)})
    return decision


def may_complete(decision: Decision, actor: User) -> bool:
    if not actor.is_active:
        return False
    if actor.role in MEETING_ROLES:
        return True
    return (actor.role in DECISION_UNIT_ROLES and actor.unit is not None
            and decision.owner_unit.is_within(actor.unit))


def complete_decision(decision_id: int, actor: User, note: str, *,
                      now: datetime | None = None) -> Decision:
    """Mark a decision done, saying how; on the timeline of each of the meeting's cases."""
    from qinqing.oversight.queries import visible_meetings

    now = now or timezone.now()
    errors: dict[str, str] = {}
    note = _text({"note": note}, "note", 2000, errors, required=True)
    with transaction.atomic():
        decision = (Decision.objects.select_for_update().select_related("owner_unit")
                    .filter(pk=decision_id, meeting__in=visible_meetings(actor)).first())
        if decision is None:
            raise NotFound(_("No such decision."))
        if not may_complete(decision, actor):
            raise Forbidden(_("Only the conveners and the unit responsible may mark this "
                              "decision done."))
        if decision.done_at is not None:
            raise NotAllowedInState(_("This decision is already done."), code="done")
        if errors:
            raise _invalid(errors)
        cases = _locked_cases(decision.meeting.cases.values_list("pk", flat=True))
        decision.done_at, decision.done_by, decision.done_note = now, actor, note
        decision.save(update_fields=["done_at", "done_by", "done_note"])
        on_time = _today(now) <= decision.due_on
        for case in cases:
            timeline.append_event(case, events.DECISION_DONE, actor, reason=note, now=now,
                                  data={"meeting": decision.meeting_id,
                                        **_decision_data(decision), "on_time": on_time})
    return decision


# -------------------------------------------------------------- accountability (问责)

def record_accountability(actor: User, data: dict, *, now: datetime | None = None,
                          key: str = "") -> AccountabilityRecord:
    """Record who was held accountable, how, for which cases.

    The name, position and notes are encrypted before they are stored and never written
    to a case's timeline: each case's `accountability` event carries the record's id,
    the sanction, the official's unit and the deciding body only.
    """
    _require(actor, ACCOUNTABILITY_ROLES, _("Your role may not record accountability."))
    now = now or timezone.now()
    errors: dict[str, str] = {}
    name = _text(data, "official_name", 60, errors, required=True)
    position = _text(data, "official_position", 60, errors)
    notes = _text(data, "notes", 2000, errors)
    unit = _unit(data.get("official_unit"), errors, "official_unit", required=True)
    sanction = _sanction(data.get("sanction"), errors)
    decided_by = _text(data, "decided_by", 100, errors, required=True)
    decided_on = _date(data, "decided_on", errors, today=_today(now))
    case_ids = _visible_case_ids(actor, data.get("cases"), errors)
    if errors:
        raise _invalid(errors)

    def create(submission_key):
        with transaction.atomic():
            cases = _locked_cases(case_ids)
            record = AccountabilityRecord.objects.create(
                name_enc=confidential.encrypt(name),
                position_enc=confidential.encrypt(position),
                notes_enc=confidential.encrypt(notes), official_unit=unit, sanction=sanction,
                decided_by=decided_by, decided_on=decided_on, recorded_by=actor,
                recorded_unit_id=actor.unit_id, recorded_at=now, submission_key=submission_key)
            record.cases.set(cases)
            for case in cases:
                timeline.append_event(
                    case, events.ACCOUNTABILITY, actor, now=now,
                    reason=f"{sanction.name}（{decided_by}）",
                    data={"record": record.pk, "sanction": sanction.code,
                          "official_unit": unit.code, "decided_on": decided_on.isoformat()})
            return record

    return _once(AccountabilityRecord, actor, key, create)


def _sanction(code, errors: dict) -> SanctionType | None:
    code = str(code or "").strip()
    sanction = (SanctionType.objects.filter(code=code, is_active=True).first()
                if code else None)
    if sanction is None:
        errors["sanction"] = _("Choose a sanction from the list.")
    return sanction


# --------------------------------------------------------------------- inspections

def record_inspection(actor: User, data: dict, *, now: datetime | None = None,
                      key: str = "") -> Inspection:
    """Record an inspection and the problems it found; each problem becomes a case.

    A problem's case is registered through `cases.services.create_case` on the
    `inspection` channel, by the inspecting supervisor or discipline inspector (the one
    path where those roles may register a case), with the unit concerned as the unit
    complained about: a conduct problem as a report of misconduct, the others as
    complaints. From there it follows the same pipeline as any case.
    """
    _require(actor, INSPECTION_ROLES, _("Your role may not record inspections."))
    now = now or timezone.now()
    errors: dict[str, str] = {}
    held_on = _date(data, "held_on", errors, today=_today(now))
    team = _text(data, "team", 200, errors, required=True)
    summary = _text(data, "summary", limits.content_chars(), errors, required=True)
    units = _units(data.get("units"), errors, "units")
    rows = data.get("problems") or []
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        errors["problems"] = _("At most %(n)s problems.") % {"n": MAX_ROWS}
        rows = []
    problems = [_problem_input(row, f"problems.{i}.", units, errors)
                for i, row in enumerate(rows)]
    if errors:
        raise _invalid(errors)

    def create(submission_key):
        with transaction.atomic():
            inspection = Inspection.objects.create(
                held_on=held_on, team=team, undercover=bool(data.get("undercover")),
                summary=summary, recorded_by=actor, recorded_unit_id=actor.unit_id,
                recorded_at=now, submission_key=submission_key)
            inspection.units.set(units)
            for i, problem in enumerate(problems):
                _register_problem(inspection, actor, problem, now, f"problems.{i}.")
            return inspection

    return _once(Inspection, actor, key, create)


def add_problem(inspection_id: int, actor: User, data: dict, *,
                now: datetime | None = None) -> Problem:
    """A problem of an inspection found or written up after the inspection was recorded."""
    from qinqing.oversight.queries import visible_inspections

    _require(actor, INSPECTION_ROLES, _("Your role may not record inspections."))
    now = now or timezone.now()
    inspection = visible_inspections(actor).filter(pk=inspection_id).first()
    if inspection is None:
        raise NotFound(_("No such inspection."))
    errors: dict[str, str] = {}
    problem = _problem_input(data, "", list(inspection.units.all()), errors)
    if errors:
        raise _invalid(errors)
    with transaction.atomic():
        return _register_problem(inspection, actor, problem, now, "")


def _problem_input(row, prefix: str, units: list[Unit], errors: dict) -> dict:
    if not isinstance(row, dict):
        errors[f"{prefix}description"] = _("This field is required.")
        return {}
    type_ = str(row.get("type") or "")
    if type_ not in ProblemType.values:
        errors[f"{prefix}type"] = _("Choose one of: %(values)s.") % {
            "values": ", ".join(str(label) for label in ProblemType.labels)}
    unit = _unit(row.get("unit"), errors, f"{prefix}unit", required=True)
    if unit is not None and units and not any(unit.is_within(v) for v in units):
        errors[f"{prefix}unit"] = _("The unit concerned must be one of the units visited "
                                    "(or below one).")
    code = str(row.get("category") or "").strip()
    if not code or not Category.objects.filter(code=code, is_active=True).exists():
        errors[f"{prefix}category"] = _("Choose a category from the catalogue.")
    description = _text(row, "description", 2000, errors, required=True,
                        field=f"{prefix}description")
    return {"type": type_, "unit": unit, "category": code, "description": description}


def _register_problem(inspection: Inspection, actor: User, problem: dict, now: datetime,
                      prefix: str) -> Problem:
    kind = Kind.REPORT if problem["type"] == ProblemType.CONDUCT else Kind.COMPLAINT
    try:
        intake = case_services.create_case(actor, {
            "kind": kind, "channel": Channel.INSPECTION, "category": problem["category"],
            "subject_unit": problem["unit"].code, "content": problem["description"],
            "anonymous": True}, now=now, inspection_finding=True)
    except InvalidInput as exc:
        # The case's own checks, put back next to the problem's fields.
        names = {"subject_unit": "unit", "content": "description"}
        raise _invalid({f"{prefix}{names.get(k, k)}": v for k, v in exc.fields.items()}
                       or {f"{prefix}description": exc.message}) from None
    case = intake.case
    record = Problem.objects.create(inspection=inspection, type=problem["type"],
                                    unit=problem["unit"], description=problem["description"],
                                    case=case, recorded_by=actor, recorded_at=now)
    timeline.append_event(case, events.INSPECTION_FINDING, actor, now=now,
                          reason=inspection.team, data={
                              "inspection": inspection.pk, "problem": record.pk,
                              "type": record.type, "undercover": inspection.undercover,
                              "held_on": inspection.held_on.isoformat()})
    return record
