"""The escalation ladder's sweep, run by the periodic tick (qinqing.background.tick).

For each rung (warning notice → automatic reminder → reminder letter → listed
supervision) one set query finds the open, running stage clocks that have reached it and
have no step for it yet — an index range scan of the stored deadline on the partial
indexes of open clocks (`clock_open_warn`, `clock_open_due`) with an anti-join on the
steps' unique (clock, rung) index — at most QINQING_LADDER_BATCH per rung and tick,
oldest first. The sweep inserts one `EscalationStep` per clock and rung (the unique
constraint makes a second insert impossible) and, in the same transaction, enqueues
background jobs of QINQING_LADDER_JOB_SIZE steps each. The jobs do the work
(services.apply_step); the sweep only finds it, so a tick stays short whatever the
backlog, and several workers share the jobs.

Working days overdue (letters, automatic listing) are counted with the working calendar:
a stage N working days overdue is at least N natural days overdue, so the query takes
clocks due before now − N days, oldest first, and the calendar decides for each; since
the count only grows with age, the first clock not yet due ends the batch.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from qinqing.cases.models import Stage, StageClock
from qinqing.supervision.models import EscalationPolicy, EscalationStep, Rung, StepStatus
from qinqing.worktime.calendar import elapsed
from qinqing.worktime.limits import LimitUnit
from qinqing.worktime.queries import current_calendar

# A queued step whose job has not done it after this long is enqueued again (its job
# failed outside the step, or was lost); the step itself makes a repeat harmless.
REQUEUE_AFTER = timedelta(minutes=30)
MAX_STEP_ATTEMPTS = 5


def unit_id_for(stage: str, lead_unit_id: int | None, owner_unit_id: int) -> int | None:
    """The unit that must act on a stage: the lead unit signs and resolves, the hotline
    dispatches and calls back (the rule of supervision.queries)."""
    return lead_unit_id if stage in (Stage.SIGN, Stage.RESOLVE) else owner_unit_id


def working_days_overdue(due_at: datetime, now: datetime, calendar=None) -> int:
    calendar = calendar or current_calendar()
    return math.floor(elapsed(calendar, due_at, now, LimitUnit.WORKING_DAYS).amount)


def _late(rung: str):
    """Open, running clocks with no step for `rung` yet."""
    return (StageClock.objects.filter(done_at__isnull=True, paused_at__isnull=True)
            .exclude(Exists(EscalationStep.objects.filter(clock=OuterRef("pk"), rung=rung))))


_FIELDS = ("pk", "case_id", "stage", "due_at", "case__lead_unit_id", "case__owner_unit_id")


def due_warnings(now: datetime, limit: int) -> list[tuple]:
    return list(_late(Rung.WARNING).filter(warn_at__lte=now, due_at__gt=now)
                .order_by("warn_at").values_list(*_FIELDS)[:limit])


def due_reminders(now: datetime, limit: int) -> list[tuple]:
    return list(_late(Rung.REMINDER).filter(due_at__lte=now)
                .order_by("due_at").values_list(*_FIELDS)[:limit])


def due_after_working_days(rung: str, days: int, now: datetime, limit: int) -> list[tuple]:
    rows = (_late(rung).filter(due_at__lte=now - timedelta(days=days))
            .order_by("due_at").values_list(*_FIELDS)[:limit])
    calendar = current_calendar()
    due = []
    for row in rows:
        if working_days_overdue(row[3], now, calendar) < days:
            break  # younger ones are not due either
        due.append(row)
    return due


def _create_steps(rung: str, rows: list[tuple], now: datetime) -> int:
    """Insert a step per row and enqueue jobs for the ones this call inserted, in one
    transaction: a step never exists without a job, nor a job without its steps."""
    if not rows:
        return 0
    from qinqing.supervision.tasks import process_steps

    size = settings.QINQING_LADDER_JOB_SIZE
    with transaction.atomic():
        EscalationStep.objects.bulk_create(
            [EscalationStep(clock_id=pk, case_id=case_id, rung=rung, due_at=due_at,
                            unit_id=unit_id_for(stage, lead, owner), created_at=now)
             for pk, case_id, stage, due_at, lead, owner in rows],
            batch_size=1000, ignore_conflicts=True)  # a concurrent tick may have won one
        # The rows this call inserted: its clocks, this rung, this tick's moment.
        ids = sorted(EscalationStep.objects.filter(
            rung=rung, created_at=now, clock_id__in=[row[0] for row in rows],
        ).values_list("pk", flat=True))
        for start in range(0, len(ids), size):
            process_steps.enqueue(ids[start:start + size])
    return len(ids)


def _requeue_left_over(now: datetime, limit: int) -> int:
    """Steps to retry after a failure, and queued steps whose job is overdue."""
    from qinqing.supervision.tasks import process_steps

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
        size = settings.QINQING_LADDER_JOB_SIZE
        for start in range(0, len(ids), size):
            process_steps.enqueue(ids[start:start + size])
    return len(ids)


def sweep(now: datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """Find every rung that is due at `now` and queue its steps. Returns counts."""
    now = now or timezone.now()
    limit = limit or settings.QINQING_LADDER_BATCH
    policy = EscalationPolicy.current()
    found = {}
    if policy.notify_warning:
        found["warning"] = _create_steps(Rung.WARNING, due_warnings(now, limit), now)
    if policy.remind_overdue:
        found["reminder"] = _create_steps(Rung.REMINDER, due_reminders(now, limit), now)
    if policy.letter_after_days:
        found["letter"] = _create_steps(Rung.LETTER, due_after_working_days(
            Rung.LETTER, policy.letter_after_days, now, limit), now)
    if policy.auto_list_after_days:
        found["listing"] = _create_steps(Rung.LISTING, due_after_working_days(
            Rung.LISTING, policy.auto_list_after_days, now, limit), now)
    found["requeued"] = _requeue_left_over(now, limit)
    return found
