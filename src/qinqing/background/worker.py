"""`qinqing worker`: django-tasks-db's worker loop, plus a heartbeat and the periodic tick.

The loop claims jobs exactly as django-tasks-db's `db_worker` does (SKIP LOCKED, one row
per transaction; its `Worker.run_task` runs them and records the outcome). Between two
jobs, at most once a second, it tries to claim the tick of the current period
(`services.claim_tick`); the one worker that wins runs it inline. A daemon thread keeps
the worker's heartbeat, which is how other workers' ticks tell a dead worker from a busy
one (`services.recover_orphaned_jobs`).
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.utils import OperationalError
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from qinqing.background import services
from qinqing.background.tick import run_tick

log = logging.getLogger("qinqing.worker")


class QinqingWorker(Worker):
    def __init__(self, *, worker_id: str, interval: float = 1.0, tick: bool = True,
                 queue_names=("default",), backend_name: str = "default",
                 max_tasks: int | None = None):
        super().__init__(queue_names=list(queue_names), interval=interval, batch=False,
                         backend_name=backend_name, startup_delay=False, max_tasks=max_tasks,
                         worker_id=worker_id, excluded_queue_names=[])
        self.tick_enabled = tick
        self._next_tick_check = 0.0
        self._stop_beating = threading.Event()

    # ----------------------------------------------------------------- one job
    def claim_next(self) -> DBTaskResult | None:
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        try:
            with exclusive_transaction(tasks.db):
                job = tasks.get_locked()
                if job is not None:
                    job.claim(self.worker_id)
                return job
        except OperationalError as exc:
            if is_locked_database_exception(exc):
                return None  # SQLite busy: try again on the next turn
            raise

    def run_pending(self, limit: int | None = None) -> int:
        """Run READY jobs until none is left (or `limit`); return how many ran."""
        ran = 0
        while limit is None or ran < limit:
            job = self.claim_next()
            if job is None:
                break
            self.run_task(job)
            ran += 1
        return ran

    # ----------------------------------------------------------------- the tick
    def maybe_tick(self, force_check: bool = False) -> dict | None:
        """Run the tick if this worker wins the current period. Checked at most once a
        second (one cheap UPDATE), unless force_check."""
        if not self.tick_enabled:
            return None
        if not force_check and time.monotonic() < self._next_tick_check:
            return None
        self._next_tick_check = time.monotonic() + 1.0
        now = timezone.now()
        if not services.claim_tick(self.worker_id, now):
            return None
        report = run_tick(now)
        log.info("tick %s by %s: %s", now.isoformat(timespec="seconds"), self.worker_id, report)
        return report

    def run_once(self) -> dict:
        """One turn without sleeping or threads (tests, `--once`): the tick if due, then
        every job that is ready."""
        report = self.maybe_tick(force_check=True)
        return {"tick": report, "jobs": self.run_pending()}

    # ----------------------------------------------------------------- heartbeat
    def _beat_forever(self) -> None:
        every = settings.QINQING_WORKER_LEASE / 4
        try:
            while not self._stop_beating.wait(every):
                try:
                    services.beat(self.worker_id)
                except Exception:  # noqa: BLE001 - a lost beat is retried next time
                    log.exception("heartbeat failed")
                    connection.close()
        finally:
            connection.close()

    # ----------------------------------------------------------------- the loop
    def run(self) -> None:
        log.info("worker %s started (tick every %ss, lease %ss)", self.worker_id,
                 settings.QINQING_TICK_SECONDS, settings.QINQING_WORKER_LEASE)
        services.register_worker(self.worker_id)
        beater = threading.Thread(target=self._beat_forever, name="heartbeat", daemon=True)
        beater.start()
        try:
            while self.running:
                close_old_connections()
                try:
                    self.maybe_tick()
                except Exception:  # noqa: BLE001 - the worker outlives a failed tick
                    log.exception("tick failed")
                job = self.claim_next()
                if job is not None:
                    self.run_task(job)
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                close_old_connections()
                if self.running and job is None:
                    time.sleep(self.interval)
        finally:
            self._stop_beating.set()
            try:
                services.unregister_worker(self.worker_id)
            except Exception:  # noqa: BLE001 - leaving anyway; the lease covers it
                pass
