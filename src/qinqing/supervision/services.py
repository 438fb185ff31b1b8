"""Writes of supervision: reminders (催办) to the units behind late stages, the steps of
the escalation ladder (warning notice, automatic reminder, reminder letter, listing), and
listed supervision (挂牌督办).

Each ladder step is done by `apply_step` in one transaction (a letter's PDF is rendered
before it, so the transaction stays short) that locks the step row and
then the case row, appends the step's one timeline event, notifies the unit in the app
(event key `ladder:<step>`, unique per person) and queues its SMS (event key
`ladder:<step>:sms`, unique), and marks the step done. A step found no longer queued is
left alone, so a job that runs twice (its worker died, a slow worker's lease ran out)
changes nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qinqing.cases import services as case_services
from qinqing.cases import numbering, timeline
from qinqing.cases.errors import Forbidden, InvalidInput, NotAllowedInState, NotFound
from qinqing.cases.models import Case, Stage, StageClock, State
from qinqing.cases.queries import visible_cases
from qinqing.notifications import services as notify
from qinqing.notifications.models import Kind
from qinqing.org.models import Role, Unit, User
from qinqing.text import control_message, has_control
from qinqing.supervision.models import (
    DutyPhone, EscalationPolicy, EscalationStep, Listing,
    ReminderLetter, Rung, StepStatus,
)
from qinqing.worktime.calendar import compute_deadline
from qinqing.worktime.limits import parse_limit
from qinqing.worktime.queries import current_calendar

log = logging.getLogger(__name__)

REMINDER_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER})
MAX_BATCH = 200


def send_reminders(numbers: list[str], actor: User, note: str = "",
                   now: datetime | None = None) -> list[str]:
    """Remind the units of the chosen cases about their late stages (bulk 催办).

    Only cases the actor may see and that have a stage in warning or overdue are
    reminded; each gets one `remind` event on its timeline naming the stages and their
    deadlines. Returns the numbers reminded. All or nothing: one transaction.
    """
    if not (actor.is_superuser or actor.role in REMINDER_ROLES):
        raise Forbidden(_("Your role may not send reminders."))
    numbers = sorted({str(n).strip().upper() for n in numbers if str(n).strip()})
    note = (note or "").strip()
    if not numbers:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"cases": _("Choose at least one case.")})
    if len(numbers) > MAX_BATCH:
        raise InvalidInput(_("Some fields need correcting."), fields={
            "cases": _("At most %(n)s cases at once.") % {"n": MAX_BATCH}})
    if len(note) > 500:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"note": _("At most %(n)s characters.") % {"n": 500}})
    if has_control(note):  # this page posts without a Django form (qinqing/text.py)
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"note": control_message(_("Note"))})
    now = now or timezone.now()
    reminded = []
    with transaction.atomic():
        cases = (visible_cases(actor).select_for_update(of=("self",))
                 .filter(number__in=numbers).order_by("pk"))
        late = {}
        for clock in (StageClock.objects.filter(case__in=cases, done_at__isnull=True,
                                                paused_at__isnull=True, warn_at__lte=now)
                      .order_by("due_at")):
            late.setdefault(clock.case_id, []).append(clock)
        for case in cases:
            clocks = late.get(case.pk)
            if not clocks:
                continue
            timeline.append_event(case, "remind", actor, now=now, reason=note, data={
                "stages": [{"stage": c.stage, "due": c.due_at.isoformat(),
                            "overdue": c.due_at < now} for c in clocks]})
            reminded.append(case.number)
    return reminded


# ------------------------------------------------------------- the ladder's steps

def apply_step(step_id: int, now: datetime | None = None) -> str:
    """Do one queued ladder step at `now`. Returns "done", "skipped" (nothing to say: the
    stage was done, suspended or extended meanwhile; or merged into another step of its
    case), "retry" / "failed", or "already" when it was no longer queued. Never raises for
    a step that fails: the failure is recorded and the step retried by a later tick.

    Steps are per stage clock (the sweep is set-based), but a unit hears once per case
    and rung: the other queued (or waiting-to-retry) steps of the same case and rung are
    done with this one — one notice, one reminder, one letter listing every late stage —
    and marked done as merged into it. The case row is locked before any step row, so
    two jobs holding steps of the same case queue on the case instead of deadlocking.

    A reminder letter's PDF takes a while to render (WeasyPrint), and on SQLite a
    transaction holds the one write lock: rendered inside it, every other write of the
    platform waited, and a page gave up with "database is locked". So the letter is
    rendered first, outside any transaction, under the number it will most likely get
    (`_render_ahead`); the step's transaction then only takes the number, checks the
    rendering still matches, and files it. If another letter took that number meanwhile,
    or the case changed, the transaction rolls back (the number with it: no gap) and the
    letter is rendered again; after a few such races it is rendered inside, as before."""
    from qinqing.supervision import ladder

    now = now or timezone.now()
    try:
        for attempt in range(RENDER_AHEAD_ATTEMPTS + 1):
            inline = attempt == RENDER_AHEAD_ATTEMPTS
            ahead = None if inline else _render_ahead(step_id, now)
            try:
                return _apply_step(step_id, now, ahead, inline)
            except _StaleLetter:
                log.info("letter of step %s rendered again (number or case changed)", step_id)
        raise AssertionError("unreachable: the last attempt renders inline")
    except Exception as exc:  # noqa: BLE001 - recorded and retried, never a crash
        log.exception("escalation step %s failed", step_id)
        error = (str(exc) or exc.__class__.__name__).splitlines()[0][:500]
        return _record_step_failure(step_id, error, now, ladder.MAX_STEP_ATTEMPTS)


def _apply_step(step_id: int, now: datetime, ahead: "_Rendered | None", inline: bool) -> str:
    # A letter's PDF is written to storage in this transaction (file_document): deleted
    # again if the transaction fails.
    with (case_services.files_removed_on_failure(), transaction.atomic(),
          translation.override(settings.LANGUAGE_CODE)):
        case_id = (EscalationStep.objects.filter(pk=step_id)
                   .values_list("case_id", flat=True).first())
        if case_id is None:
            return "already"
        case = Case.objects.select_for_update(of=("self",)).select_related(
            "category", "region").get(pk=case_id)
        step = (EscalationStep.objects.select_for_update(of=("self",))
                .select_related("unit").filter(pk=step_id).first())
        if step is None or step.status != StepStatus.QUEUED:
            return "already"
        others = list(_same_case_and_rung(step).select_for_update(of=("self",)))
        live, late = _live_and_late([step, *others], now)
        for gone in [s for s in [step, *others] if s not in live]:
            # The unit finished (or the stage was suspended or extended) before the job
            # ran: nothing to say. Deleted, so a later deadline can still reach it.
            gone.delete()
        if not live:
            return "skipped"
        lead, merged = live[0], live[1:]
        policy = EscalationPolicy.current()
        if lead.rung == Rung.LETTER:
            event = _letter(lead, case, late, lead.unit, policy, now, ahead=ahead, inline=inline)
        else:
            event = _STEP_HANDLERS[lead.rung](lead, case, late, lead.unit, policy, now)
        if event is None:
            for gone in live:
                gone.delete()
            return "skipped"
        lead.status, lead.done_at, lead.event = StepStatus.DONE, now, event
        lead.attempts += 1
        lead.save(update_fields=["status", "done_at", "event", "attempts"])
        if merged:
            EscalationStep.objects.filter(pk__in=[m.pk for m in merged]).update(
                status=StepStatus.DONE, done_at=now, merged_into=lead, retry_at=None)
    return "done" if lead.pk == step_id else "skipped"


def _same_case_and_rung(step: EscalationStep):
    """The other steps the unit hears about together with `step`."""
    return (EscalationStep.objects
            .filter(case_id=step.case_id, rung=step.rung, unit_id=step.unit_id,
                    status__in=(StepStatus.QUEUED, StepStatus.RETRY))
            .exclude(pk=step.pk).order_by("pk"))


def _live_and_late(steps: list, now: datetime) -> tuple[list, list[StageClock]]:
    """The steps whose stage is still late at `now`, and their clocks, due first."""
    clocks = {c.pk: c for c in StageClock.objects.filter(pk__in=[s.clock_id for s in steps])}
    live = [s for s in steps if _still_late(clocks[s.clock_id], now)]
    late = sorted((clocks[s.clock_id] for s in live), key=lambda c: (c.due_at, c.pk))
    return live, late


def _still_late(clock: StageClock, now: datetime) -> bool:
    return clock.done_at is None and clock.paused_at is None and clock.warn_at <= now


# Renderings ahead of the transaction before the letter is rendered inside it.
RENDER_AHEAD_ATTEMPTS = 2


class _StaleLetter(Exception):
    """The letter rendered ahead does not match what the transaction found."""


@dataclass(frozen=True)
class _Rendered:
    key: tuple
    pdf: bytes


def _letter_stages(clocks: list[StageClock], now: datetime) -> list[dict]:
    from qinqing.supervision.ladder import working_days_overdue

    calendar = current_calendar()
    return [{"stage": c.stage, "due": c.due_at.isoformat(), "started": c.started_at.isoformat(),
             "days_overdue": working_days_overdue(c.due_at, now, calendar)} for c in clocks]


def _letter_key(number, policy, case, stages, unit, issued_at) -> tuple:
    """Everything the letter prints (supervision/letter.html): equal keys, equal letters."""
    return (number, policy.letter_title, policy.issuing_unit, policy.signatory, policy.contact,
            case.number, case.title, case.category_id, case.category.name, case.region_id,
            case.region.short_name, case.region.name,
            tuple(tuple(sorted(row.items())) for row in stages), unit.pk, unit.name, issued_at)


def _render_ahead(step_id: int, now: datetime) -> "_Rendered | None":
    """Outside any transaction: the PDF of a queued letter step (with the other late
    stages of its case), under the year's next number as it stands now. None when the
    step is not a letter to send."""
    from qinqing.supervision import letters

    step = (EscalationStep.objects.select_related("unit")
            .filter(pk=step_id, status=StepStatus.QUEUED, rung=Rung.LETTER).first())
    if step is None or step.unit is None:
        return None
    live, late = _live_and_late([step, *_same_case_and_rung(step)], now)
    if not live:
        return None
    case = Case.objects.select_related("category", "region").get(pk=step.case_id)
    policy = EscalationPolicy.current()
    year = timezone.localtime(now).year
    last = numbering.last_value(numbering.LETTER, year)
    number = letters.letter_number(policy.letter_prefix, year, last + 1)
    stages = _letter_stages(late, now)
    with translation.override(settings.LANGUAGE_CODE):
        pdf = letters.render_letter(number=number, policy=policy, case=case, stages=stages,
                                    unit=step.unit, days_overdue=stages[0]["days_overdue"],
                                    issued_at=now)
    return _Rendered(_letter_key(number, policy, case, stages, step.unit, now), pdf)


def _record_step_failure(step_id: int, error: str, now: datetime, max_attempts: int) -> str:
    step = EscalationStep.objects.filter(pk=step_id, status=StepStatus.QUEUED).first()
    if step is None:
        return "already"
    attempts = step.attempts + 1
    final = attempts >= max_attempts
    EscalationStep.objects.filter(pk=step_id, status=StepStatus.QUEUED).update(
        attempts=attempts, last_error=error,
        status=StepStatus.FAILED if final else StepStatus.RETRY,
        retry_at=None if final else now + timedelta(minutes=2 ** attempts))
    return "failed" if final else "retry"


def _stage_label(stage: str) -> str:
    return str(Stage(stage).label)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _tell_unit(step_key: str, unit: Unit | None, case: Case, kind: str, title: str,
               sms: str, policy: EscalationPolicy, now: datetime) -> None:
    """In-app notices to the unit's active members and, if the policy says so and the unit
    has a duty phone, one SMS: each at most once for this step (their event keys)."""
    if unit is None:
        return
    notify.notify_unit(unit, title, kind=kind, case=case, event_key=step_key, now=now)
    if not policy.send_sms:
        return
    duty = DutyPhone.objects.filter(unit=unit, is_active=True).first()
    if duty is not None and duty.phone:
        notify.queue_sms(duty.phone, f"【亲清】{sms}", f"{step_key}:sms", now=now)


def _stage_list(clocks) -> str:
    """The stages' names and deadlines in one phrase: 签收（截止 2026-03-02 14:00）、办理（…）."""
    return _(", ").join(_("%(stage)s (due %(due)s)") % {
        "stage": _stage_label(c.stage), "due": _local(c.due_at)} for c in clocks)


def _warning(step, case, clocks, unit, policy, now):
    first = clocks[0]
    event = timeline.append_event(case, "warning_notice", None, now=now, data={
        "stage": first.stage, "due": first.due_at.isoformat(), "unit": unit and unit.code,
        "step": step.pk,
        "stages": [{"stage": c.stage, "due": c.due_at.isoformat()} for c in clocks]})
    stages = _stage_list(clocks)
    _tell_unit(f"ladder:{step.pk}", unit, case, Kind.STAGE_WARNING,
               _("%(number)s: due soon: %(stages)s") % {
                   "number": case.number, "stages": stages},
               _("Case %(number)s is due soon: %(stages)s. Please act in time.") % {
                   "number": case.number, "stages": stages},
               policy, now)
    return event


def _reminder(step, case, clocks, unit, policy, now):
    # The same action as a supervisor's bulk reminder, marked automatic.
    event = timeline.append_event(case, "remind", None, now=now, data={
        "automatic": True, "unit": unit and unit.code, "step": step.pk,
        "stages": [{"stage": c.stage, "due": c.due_at.isoformat(), "overdue": True}
                   for c in clocks]})
    stages = _stage_list(clocks)
    _tell_unit(f"ladder:{step.pk}", unit, case, Kind.REMINDER,
               _("Reminder: %(number)s overdue: %(stages)s") % {
                   "number": case.number, "stages": stages},
               _("Reminder: case %(number)s is overdue: %(stages)s. Please handle it at "
                 "once.") % {"number": case.number, "stages": stages},
               policy, now)
    return event


def _letter(step, case, clocks, unit, policy, now, *, ahead=None, inline=True):
    from qinqing.supervision import letters

    if unit is None:
        return None
    stages = _letter_stages(clocks, now)
    first = clocks[0]  # due first: the most overdue
    days = stages[0]["days_overdue"]
    year = timezone.localtime(now).year
    seq = numbering.next_value(numbering.LETTER, year)  # gap-free, in this transaction
    number = letters.letter_number(policy.letter_prefix, year, seq)
    if ahead is not None and ahead.key == _letter_key(number, policy, case, stages, unit, now):
        pdf = ahead.pdf
    elif inline:
        pdf = letters.render_letter(number=number, policy=policy, case=case, stages=stages,
                                    unit=unit, days_overdue=days, issued_at=now)
    else:
        raise _StaleLetter
    attachment = case_services.file_document(
        case, f"{policy.letter_title}-{number}.pdf", pdf, "application/pdf", now=now)
    letter = ReminderLetter.objects.create(
        case=case, step=step, unit=unit, year=year, seq=seq, number=number,
        title=policy.letter_title, stage=first.stage, due_at=first.due_at,
        days_overdue=days, stages=stages, issued_at=now, attachment=attachment)
    event = timeline.append_event(case, "reminder_letter", None, now=now, data={
        "letter": letter.number, "title": letter.title, "attachment": attachment.pk,
        "unit": unit.code, "stage": first.stage, "due": first.due_at.isoformat(),
        "days_overdue": days, "step": step.pk,
        "stages": [{"stage": row["stage"], "due": row["due"], "overdue": True,
                    "days_overdue": row["days_overdue"]} for row in stages]})
    _tell_unit(f"ladder:{step.pk}", unit, case, Kind.LETTER,
               _("%(title)s %(letter)s about %(number)s") % {
                   "title": letter.title, "letter": number, "number": case.number},
               _("%(title)s %(letter)s: case %(number)s is %(days)s working days overdue. "
                 "See the letter on the case.") % {
                   "title": letter.title, "letter": number, "number": case.number,
                   "days": days},
               policy, now)
    return event


def _listing(step, case, clocks, unit, policy, now):
    from qinqing.supervision.ladder import working_days_overdue

    if Listing.objects.filter(case=case, closed_at__isnull=True).exists():
        return None  # already listed by a supervisor
    calendar = current_calendar()
    late = _(", ").join(_("%(stage)s stage %(days)s working days overdue") % {
        "stage": _stage_label(c.stage), "days": working_days_overdue(c.due_at, now, calendar)}
        for c in clocks)
    _listing_row, event = _list(
        case, unit, None, now, listing_deadline(now, policy), automatic=True,
        reason=_("%(late)s: listed under the escalation policy.") % {"late": late},
        policy=policy, step_key=f"ladder:{step.pk}")
    return event


_STEP_HANDLERS = {Rung.WARNING: _warning, Rung.REMINDER: _reminder, Rung.LETTER: _letter,
                  Rung.LISTING: _listing}


# ------------------------------------------------------------- listed supervision

LISTING_ROLES = frozenset({Role.SUPERVISOR})


def listing_deadline(now: datetime, policy: EscalationPolicy) -> datetime:
    calendar = current_calendar()
    return compute_deadline(calendar, now, parse_limit(f"{policy.listing_days}d")).due


def responsible_unit(case: Case) -> Unit | None:
    """Who a listing is addressed to: the unit of the case's open stage (lead unit for
    sign and resolve, the hotline otherwise), or the lead unit."""
    from qinqing.supervision.ladder import unit_id_for

    clock = (StageClock.objects.filter(case=case, done_at__isnull=True)
             .order_by("due_at").values_list("stage", flat=True).first())
    unit_id = (unit_id_for(clock, case.lead_unit_id, case.owner_unit_id) if clock
               else case.lead_unit_id or case.owner_unit_id)
    return Unit.objects.filter(pk=unit_id).first() if unit_id else None


def list_case(number: str, actor: User, *, deadline: date | None = None, reason: str = "",
              now: datetime | None = None) -> Listing:
    """A supervisor lists a case for supervision (挂牌督办) with its own deadline (a date:
    the end of that day's office hours; default: the policy's working days from now)."""
    if not actor.is_active or actor.role not in LISTING_ROLES:
        raise Forbidden(_("Your role may not list cases for supervision."))
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors = {}
    if len(reason) > 500:
        errors["reason"] = _("At most %(n)s characters.") % {"n": 500}
    elif has_control(reason):  # this page posts without a Django form (qinqing/text.py)
        errors["reason"] = control_message(_("Reason"))
    today = timezone.localtime(now).date()
    if deadline is not None and not today <= deadline <= today + timedelta(days=366):
        errors["deadline"] = _("Choose a date from today to a year from now.")
    if errors:
        raise InvalidInput(_("Some fields need correcting."), fields=errors)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        case = (visible_cases(actor).select_for_update(of=("self",))
                .filter(number=str(number).strip().upper()).first())
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": number})
        if case.state == State.CLOSED:
            raise NotAllowedInState(_("A closed case cannot be listed."), code="closed")
        if Listing.objects.filter(case=case, closed_at__isnull=True).exists():
            raise NotAllowedInState(_("The case is already listed for supervision."),
                                    code="already_listed")
        policy = EscalationPolicy.current()
        if deadline is None:
            due = listing_deadline(now, policy)
        else:
            end = current_calendar().office_hours.day_end
            due = timezone.make_aware(datetime.combine(deadline, end))
        listing, _event = _list(case, responsible_unit(case), actor, now, due,
                                automatic=False, reason=reason, policy=policy, step_key="")
        return listing


def _list(case, unit, actor, now, deadline, *, automatic, reason, policy, step_key):
    """Create the listing, its timeline event and its notices; returns both rows."""
    try:
        with transaction.atomic():  # the unique open listing decides a race
            listing = Listing.objects.create(case=case, unit=unit, listed_at=now,
                                             listed_by=actor, automatic=automatic,
                                             reason=reason, deadline=deadline)
    except IntegrityError:
        raise NotAllowedInState(_("The case is already listed for supervision."),
                                code="already_listed") from None
    event = timeline.append_event(case, "list_supervision", actor, now=now, reason=reason,
                                  data={"listing": listing.pk, "unit": unit and unit.code,
                                        "automatic": automatic,
                                        "deadline": deadline.isoformat()})
    key = step_key or f"listing:{listing.pk}"
    _tell_unit(key, unit, case, Kind.LISTED,
               _("%(number)s is listed for supervision until %(deadline)s") % {
                   "number": case.number, "deadline": _local(deadline)},
               _("Case %(number)s is listed for supervision (挂牌督办). Deadline: "
                 "%(deadline)s.") % {"number": case.number, "deadline": _local(deadline)},
               policy, now)
    return listing, event


def close_listing_when_case_closes(sender, case: Case, events, created: bool = False,
                                   **kwargs) -> None:
    """Receiver of the timeline's `case_changed` (connected in apps.py): the event that
    takes a case to `closed` is the moment to close its listing, in the same transaction.
    The case pipeline does not know about supervision."""
    if created:
        return
    for event in events:
        if event.to_state == State.CLOSED and event.from_state != State.CLOSED:
            if Listing.objects.filter(case_id=case.pk, closed_at__isnull=True).exists():
                close_listings(case, event.at, event.action)


def close_listings(case: Case, now: datetime, event_action: str = "") -> int:
    """Close the case's open listing (the case closed); one `unlist_supervision` event.
    Runs inside the transaction that closed the case (close_listing_when_case_closes)."""
    listing = Listing.objects.filter(case=case, closed_at__isnull=True).first()
    if listing is None:
        return 0
    Listing.objects.filter(pk=listing.pk, closed_at__isnull=True).update(closed_at=now)
    timeline.append_event(case, "unlist_supervision", None, now=now, data={
        "listing": listing.pk, "because": event_action or "closed"})
    return 1
