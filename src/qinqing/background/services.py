"""Writes of the background machinery: the tick's schedule, heartbeats, orphaned jobs.

What django-tasks-db (0.13) guarantees, read from its source:

- **Claiming.** `db_worker` selects one READY row with `SELECT … FOR UPDATE SKIP LOCKED`
  (SQLite: an EXCLUSIVE transaction) and sets it RUNNING with its worker id in the same
  transaction. Two workers therefore never claim the same row.
- **Crashes.** Nothing else. A worker killed while a job runs leaves the row RUNNING for
  ever: no lease, no heartbeat, no retry (and no retry of FAILED jobs either).

What Qinqing adds (`qinqing worker`, qinqing/background/worker.py):

- **Heartbeats.** Each worker has a `WorkerBeat` row that a thread of the worker updates
  every quarter of `QINQING_WORKER_LEASE` seconds.
- **Recovery.** `recover_orphaned_jobs` (run by the tick) puts back to READY every
  RUNNING job whose worker's heartbeat is older than the lease (or gone), so another
  worker runs it again. A job whose workers died `QINQING_TASK_MAX_CRASHES` times is
  marked FAILED instead (a job that kills its worker must not take the pool down).
- So a job runs **at least once**; every Qinqing job is written to be idempotent (its
  effect is guarded by a unique constraint and done in one transaction with the record
  that it was done), which makes the *effect* happen exactly once. A worker that is alive
  but silent for longer than the lease (stopped with SIGSTOP, say) may see its job run
  again elsewhere meanwhile; idempotence covers that case too.
- **One tick per period.** `claim_tick` is a single conditional UPDATE of the schedule
  row (`… SET next_run = <next period> WHERE next_run <= now`): of all the workers that
  try in a period exactly one changes the row, and only that one runs the tick.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qinqing.background.models import Schedule, WorkerBeat

log = logging.getLogger(__name__)

TICK = "tick"


# ------------------------------------------------------------------------- the tick

def next_period(now: datetime, seconds: int) -> datetime:
    """The start of the period after the one `now` is in (periods aligned to the epoch),
    so ticks do not drift and a worker that was down does not run a burst of them."""
    epoch = int(now.timestamp())
    return datetime.fromtimestamp((epoch // seconds + 1) * seconds, tz=now.tzinfo)


def claim_tick(worker_id: str, now: datetime | None = None,
               period: int | None = None, name: str = TICK) -> bool:
    """True for exactly one caller per period: that caller runs the tick."""
    now = now or timezone.now()
    period = period or settings.QINQING_TICK_SECONDS
    for _attempt in range(2):
        changed = Schedule.objects.filter(name=name, next_run__lte=now).update(
            next_run=next_period(now, period), last_run=now, last_worker=worker_id[:64])
        if changed:
            return True
        if Schedule.objects.filter(name=name).exists():
            return False
        try:
            with transaction.atomic():
                Schedule.objects.create(name=name, next_run=now)
        except IntegrityError:
            pass  # another worker created it meanwhile; the UPDATE decides
    return False


# ----------------------------------------------------------------------- heartbeats

def register_worker(worker_id: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    WorkerBeat.objects.update_or_create(worker_id=worker_id, defaults={
        "host": socket.gethostname()[:200], "pid": os.getpid(),
        "started_at": now, "beat_at": now})


def beat(worker_id: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(beat_at=now):
        register_worker(worker_id, now)


def unregister_worker(worker_id: str) -> None:
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


# --------------------------------------------------------------- orphaned jobs

def recover_orphaned_jobs(now: datetime | None = None) -> dict[str, int]:
    """Put back the RUNNING jobs of dead workers (see the module docstring).

    Reads only RUNNING rows (a partial index, migration 0002) that started more than half
    a lease ago: a dead worker's job cannot be younger, since the worker was beating when
    it claimed it. Returns {"requeued", "failed"}."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    lease = timedelta(seconds=settings.QINQING_WORKER_LEASE)
    suspects = list(DBTaskResult.objects.filter(status="RUNNING",
                                                started_at__lte=now - lease / 2)
                    .values_list("id", "started_at", "worker_ids")[:1000])
    outcome = {"requeued": 0, "failed": 0}
    if not suspects:
        return outcome
    alive = set(WorkerBeat.objects.filter(beat_at__gt=now - lease)
                .values_list("worker_id", flat=True))
    for job_id, started_at, worker_ids in suspects:
        if worker_ids and worker_ids[-1] in alive:
            continue
        # Conditional on the row being as read: if its worker finished it meanwhile (it
        # was only slow), or another tick recovered it, nothing changes.
        row = DBTaskResult.objects.filter(id=job_id, status="RUNNING", started_at=started_at)
        if len(worker_ids) >= settings.QINQING_TASK_MAX_CRASHES:
            outcome["failed"] += row.update(
                status="FAILED", finished_at=now, exception_class_path="WorkerDied",
                traceback=f"the worker running this job died {len(worker_ids)} times: "
                          f"{', '.join(worker_ids)}")
        else:
            outcome["requeued"] += row.update(status="READY", started_at=None)
    if outcome["requeued"] or outcome["failed"]:
        log.warning("orphaned jobs of dead workers: %s", outcome)
    return outcome


def prune(now: datetime | None = None, batch: int = 5000) -> int:
    """Delete finished job records older than QINQING_TASK_RESULT_DAYS, and heartbeats of
    workers gone for a day. At most `batch` job records per call (a tick runs often)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    old = now - timedelta(days=settings.QINQING_TASK_RESULT_DAYS)
    ids = list(DBTaskResult.objects.filter(status__in=("SUCCESSFUL", "FAILED"),
                                           finished_at__lt=old)
               .order_by().values_list("id", flat=True)[:batch])
    deleted = DBTaskResult.objects.filter(id__in=ids).delete()[0] if ids else 0
    WorkerBeat.objects.filter(beat_at__lt=now - timedelta(days=1)).delete()
    return deleted
