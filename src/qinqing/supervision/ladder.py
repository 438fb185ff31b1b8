"""The escalation ladder's sweep, run by the periodic tick (qinqing.background.tick).

For each rung (warning notice → automatic reminder → reminder letter → listed
supervision) one set query finds the open, running stage clocks that have reached it and
have no step for it yet — an index range scan of the stored deadline on the partial
indexes of open clocks (`clock_open_warn`, `clock_open_due`) with an anti-join on the
steps' unique (clock, rung) index — at most QINQING_LADDER_BATCH per rung and tick,
oldest first. The sweep inserts one `EscalationStep` per clock and rung with one
INSERT … SELECT (the unique constraint makes a second one impossible) and, in the same
transaction, enqueues background jobs of QINQING_LADDER_JOB_SIZE steps each. The jobs do
the work
(services.apply_step); the sweep only finds it, so a tick stays short whatever the
backlog, and several workers share the jobs.

The scans stay bounded however large the backlog of late stages: a cursor per rung
(`LadderCursor`) remembers up to which moment everything was considered, so a tick reads
only the clocks that crossed the threshold since (its *fresh* range), plus a rolling
*audit* slice of older ones (see `find_due`).

Working days overdue (letters, automatic listing) are counted with the working calendar:
`overdue_cutoff` turns "N working days overdue at now" into the latest deadline that
qualifies, so the rung is one range on the stored deadline like the others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    CharField, DateTimeField, Exists, F, IntegerField, Max, OuterRef, QuerySet, Value, When,
)
from django.db.models import Case as SqlCase
from django.utils import timezone

from qinqing.cases.models import UNIT_STAGES, StageClock
from qinqing.supervision.models import (
    EscalationPolicy, EscalationStep, LadderCursor, Rung, StepStatus,
)
from qinqing.worktime.calendar import elapsed
from qinqing.worktime.limits import LimitUnit
from qinqing.worktime.queries import current_calendar

# A queued step whose job has not done it after this long is enqueued again (its job
# failed outside the step, or was lost); the step itself makes a repeat harmless.
REQUEUE_AFTER = timedelta(minutes=30)
# The fresh range re-reads this much before the cursor: a clock committed by a slow
# transaction with a threshold just before the last sweep is still found.
OVERLAP = timedelta(minutes=10)
# Clocks below the cursor re-checked per rung and tick (the rolling audit).
AUDIT_SPAN = 5_000
MAX_STEP_ATTEMPTS = 5


def unit_id_for(stage: str, lead_unit_id: int | None, owner_unit_id: int) -> int | None:
    """The unit that must act on a stage: the lead unit signs, resolves and reviews its
    reply, the hotline dispatches and calls back (cases.models.UNIT_STAGES)."""
    return lead_unit_id if stage in UNIT_STAGES else owner_unit_id


def working_days_overdue(due_at: datetime, now: datetime, calendar=None) -> int:
    calendar = calendar or current_calendar()
    return math.floor(elapsed(calendar, due_at, now, LimitUnit.WORKING_DAYS).amount)


def _late(rung: str):
    """Open, running clocks with no step for `rung` yet."""
    return (StageClock.objects.filter(done_at__isnull=True, paused_at__isnull=True)
            .exclude(Exists(EscalationStep.objects.filter(clock=OuterRef("pk"), rung=rung))))


_FIELDS = ("pk", "case_id", "stage", "due_at", "case__lead_unit_id", "case__owner_unit_id")


def threshold_field(rung: str) -> str:
    """The stored, indexed moment at which a clock reaches the rung: its warning time
    for the warning notice, its deadline for every later rung."""
    return "warn_at" if rung == Rung.WARNING else "due_at"


def overdue_cutoff(days: int, now: datetime, calendar=None) -> datetime:
    """The latest deadline that is at least `days` working days overdue at `now` (to the
    minute): a stage due at or before it has reached the rung. Found by bisection, since
    the working days overdue only grow as the deadline gets older; the answer lies
    between `days` and `days` + 40 natural days back (the longest holiday run is 9 days)."""
    calendar = calendar or current_calendar()
    lo, hi = now - timedelta(days=days + 40), now - timedelta(days=days)
    if working_days_overdue(hi, now, calendar) >= days:
        return hi
    while hi - lo > timedelta(minutes=1):
        mid = lo + (hi - lo) / 2
        if working_days_overdue(mid, now, calendar) >= days:
            lo = mid
        else:
            hi = mid
    return lo


@dataclass
class _Ranges:
    """The two bounded ranges one sweep of a rung reads (see find_due)."""

    fresh: QuerySet  # clocks due between the cursor (less OVERLAP) and the upper bound
    audit: QuerySet | None  # older clocks: one slice of the rolling re-check
    audit_end: datetime | None
    audit_wraps: bool  # the slice reaches the cursor: the next one starts from the oldest
    order: str  # the column the ranges are read in order of


def _ranges(rung: str, upper: datetime, now: datetime,
            cursor: LadderCursor | None) -> _Ranges:
    field = threshold_field(rung)
    due = _late(rung).filter(**{f"{field}__lte": upper})
    if rung == Rung.WARNING:
        due = due.filter(due_at__gt=now)  # an overdue stage gets the reminder instead
    lower = cursor.swept_to - OVERLAP if cursor and cursor.swept_to else None
    if lower is None:
        # The first sweep: everything up to upper. Warnings are then read in deadline
        # order from now on: the stages in warning are the ones due soonest, whereas in
        # warning-time order every overdue stage (warned long ago) would be read first.
        return _Ranges(due, None, None, True, "due_at" if rung == Rung.WARNING else field)
    after = cursor.audit_after
    span = StageClock.objects.filter(done_at__isnull=True, **{f"{field}__lte": lower})
    if after:
        span = span.filter(**{f"{field}__gt": after})
    # The AUDIT_SPAN-th open clock after the audit position bounds this tick's slice.
    bound = list(span.order_by(field).values_list(field, flat=True)[AUDIT_SPAN:AUDIT_SPAN + 1])
    end = bound[0] if bound else lower
    audit = due.filter(**{f"{field}__lte": end})
    if after:
        audit = audit.filter(**{f"{field}__gt": after})
    return _Ranges(due.filter(**{f"{field}__gt": lower}), audit, end, not bound, field)


def find_due(rung: str, upper: datetime, now: datetime, limit: int,
             cursor: LadderCursor | None = None) -> list[tuple]:
    """Clocks that reached `rung` (threshold <= upper) and have no step for it, oldest
    first, at most `limit` (what a sweep would take, without taking it).

    Two index range scans, each bounded: the *fresh* range, from the cursor's last
    position (less OVERLAP) to `upper`, where new work appears; and an *audit* slice of
    at most AUDIT_SPAN older clocks, which rolls over the whole range below the cursor
    in turn, for clocks whose threshold moved back into it (a recomputed provisional
    deadline, a suspension ended) or that a crashed tick left. Without a cursor (the
    first tick), the fresh range is everything up to `upper`."""
    ranges = _ranges(rung, upper, now, cursor)
    rows = list(ranges.fresh.order_by(ranges.order).values_list(*_FIELDS)[:limit])
    if ranges.audit is not None and len(rows) < limit:
        seen = {row[0] for row in rows}
        rows += [row for row in ranges.audit.order_by(ranges.order).values_list(*_FIELDS)
                 [:limit - len(rows)] if row[0] not in seen]
    return rows


def due_warnings(now: datetime, limit: int, cursor=None) -> list[tuple]:
    return find_due(Rung.WARNING, now, now, limit, cursor)


def due_reminders(now: datetime, limit: int, cursor=None) -> list[tuple]:
    return find_due(Rung.REMINDER, now, now, limit, cursor)


def due_after_working_days(rung: str, days: int, now: datetime, limit: int,
                           cursor=None) -> list[tuple]:
    return find_due(rung, overdue_cutoff(days, now), now, limit, cursor)


def _insert_steps(rung: str, clocks: QuerySet, order: str, limit: int, now: datetime,
                  status: str) -> list[int]:
    """INSERT … SELECT: one statement writes a step for each of the first `limit` clocks
    of the range (oldest first), in the database, without a round trip per row; a clock
    that got its step meanwhile is skipped (ON CONFLICT on the unique clock and rung).
    Returns the new steps' ids."""
    field = threshold_field(rung)
    unit = SqlCase(When(stage__in=list(UNIT_STAGES), then=F("case__lead_unit_id")),
                   default=F("case__owner_unit_id"))
    done = now if status == StepStatus.DONE else None
    rows = (clocks.annotate(
        q_rung=Value(rung, output_field=CharField()), q_unit=unit,
        q_status=Value(status, output_field=CharField()),
        q_now=Value(now, output_field=DateTimeField()),
        q_zero=Value(0, output_field=IntegerField()),
        q_blank=Value("", output_field=CharField()),
        q_done=Value(done, output_field=DateTimeField()),
        q_reached=F(field),
    ).order_by(order).values_list("pk", "case_id", "q_rung", "q_unit", "q_status", "due_at",
                                  "q_now", "q_zero", "q_blank", "q_done", "q_reached")[:limit])
    sql, params = rows.query.sql_with_params()
    table = EscalationStep._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (clock_id, case_id, rung, unit_id, status, due_at, "
            f"created_at, attempts, last_error, done_at, reached_at) {sql} "
            f"ON CONFLICT (clock_id, rung) DO NOTHING RETURNING id", params)
        return sorted(row[0] for row in cursor.fetchall())


def _latest_reached(ids: list[int]) -> datetime:
    return EscalationStep.objects.filter(pk__in=ids).aggregate(m=Max("reached_at"))["m"]


def _enqueue(ids: list[int]) -> None:
    """Queue the background jobs of these steps, QINQING_LADDER_JOB_SIZE steps a job."""
    from qinqing.supervision.tasks import process_steps

    size = settings.QINQING_LADDER_JOB_SIZE
    for start in range(0, len(ids), size):
        process_steps.enqueue(ids[start:start + size])


def _sweep_rung(rung: str, upper: datetime, now: datetime, limit: int,
                status: str = StepStatus.QUEUED, enqueue=_enqueue) -> int:
    """Create the rung's due steps and their jobs and move the rung's cursor, in one
    transaction: a step never exists without its job, nor a job without its steps, and a
    tick that dies leaves the cursor where it was. Returns how many steps it created."""
    cursor = LadderCursor.objects.filter(rung=rung).first()
    ranges = _ranges(rung, upper, now, cursor)
    with transaction.atomic():
        ids = _insert_steps(rung, ranges.fresh, ranges.order, limit, now, status)
        # A full batch stops at its last clock: the next tick goes on from there (the
        # first sweep of warnings, read in deadline order, starts over instead).
        full = len(ids) >= limit
        position = {"swept_to": upper if not full else (
                        _latest_reached(ids) if ranges.order == threshold_field(rung) else None),
                    "audit_after": cursor.audit_after if cursor else None}
        room = limit - len(ids)
        if ranges.audit is not None and room > 0:
            older = _insert_steps(rung, ranges.audit, ranges.order, room, now, status)
            if len(older) >= room:
                position["audit_after"] = _latest_reached(older)  # go on from here
            else:
                position["audit_after"] = None if ranges.audit_wraps else ranges.audit_end
            ids += older
        if status == StepStatus.QUEUED and ids:
            enqueue(ids)
        LadderCursor.objects.update_or_create(rung=rung, defaults=position)
    return len(ids)


def _requeue_left_over(now: datetime, limit: int, enqueue=_enqueue) -> int:
    """Steps to retry after a failure, and queued steps whose job is overdue."""
    with transaction.atomic():
        retry = list(EscalationStep.objects.filter(status=StepStatus.RETRY, retry_at__lte=now)
                     .order_by("retry_at").values_list("pk", flat=True)[:limit])
        stale = list(EscalationStep.objects.filter(status=StepStatus.QUEUED,
                                                   created_at__lte=now - REQUEUE_AFTER)
                     .order_by("created_at").values_list("pk", flat=True)[:limit])
        if retry:
            EscalationStep.objects.filter(pk__in=retry).update(status=StepStatus.QUEUED,
                                                               retry_at=None)
        if stale:
            # created_at moves on, so a step is enqueued again once per REQUEUE_AFTER.
            EscalationStep.objects.filter(pk__in=stale).update(created_at=now)
        ids = sorted(retry + stale)
        if ids:
            enqueue(ids)
    return len(ids)


def sweep(now: datetime | None = None, limit: int | None = None, *,
          enqueue=None) -> dict[str, int]:
    """Find every rung that is due at `now` and queue its steps. Returns counts.

    `enqueue` takes each batch of new step ids in place of queueing a background job
    (`_enqueue`): the demo replays past sweeps and does their steps at once, at the
    sweep's moment, inside the sweep's transaction (supervision.demo.LadderReplay)."""
    now = now or timezone.now()
    enqueue = enqueue or _enqueue
    limit = limit or settings.QINQING_LADDER_BATCH
    policy = EscalationPolicy.current()
    found = {}
    if policy.notify_warning:
        found["warning"] = _sweep_rung(Rung.WARNING, now, now, limit, enqueue=enqueue)
    if policy.remind_overdue:
        found["reminder"] = _sweep_rung(Rung.REMINDER, now, now, limit, enqueue=enqueue)
    if policy.letter_after_days:
        found["letter"] = _sweep_rung(
            Rung.LETTER, overdue_cutoff(policy.letter_after_days, now), now, limit,
            enqueue=enqueue)
    if policy.auto_list_after_days:
        found["listing"] = _sweep_rung(
            Rung.LISTING, overdue_cutoff(policy.auto_list_after_days, now), now, limit,
            enqueue=enqueue)
    found["requeued"] = _requeue_left_over(now, limit, enqueue=enqueue)
    return found
