"""Recovery of jobs whose worker died (django-tasks-db leaves them RUNNING for ever),
and the tick's schedule, in process (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def job(db):
    """job(worker_ids, started_ago_s) -> a RUNNING job row of supervision's task."""
    from django_tasks_db.models import DBTaskResult

    from qinqing.supervision.tasks import process_steps

    def make(worker_ids, started_ago=600):
        result = process_steps.enqueue([])
        row = DBTaskResult.objects.get(id=result.id)
        row.status, row.worker_ids = "RUNNING", list(worker_ids)
        row.started_at = timezone.now() - timedelta(seconds=started_ago)
        row.save()
        return row

    return make


def test_a_dead_workers_job_is_put_back_and_a_live_ones_is_not(job, settings):
    from qinqing.background import services

    settings.QINQING_WORKER_LEASE = 60
    services.register_worker("alive")
    dead = job(["gone"])
    busy = job(["alive"])
    young = job(["gone"], started_ago=5)  # too young to be a dead worker's
    assert services.recover_orphaned_jobs() == {"requeued": 1, "failed": 0}
    for row in (dead, busy, young):
        row.refresh_from_db()
    assert (dead.status, dead.started_at) == ("READY", None)
    assert dead.worker_ids == ["gone"]  # the history stays; the next worker adds itself
    assert busy.status == "RUNNING" and young.status == "RUNNING"


def test_a_job_that_killed_its_workers_three_times_fails(job):
    from qinqing.background import services

    row = job(["w1", "w2", "w3"])
    assert services.recover_orphaned_jobs() == {"requeued": 0, "failed": 1}
    row.refresh_from_db()
    assert row.status == "FAILED" and "died 3 times" in row.traceback


def test_a_stale_heartbeat_counts_as_dead(job, settings):
    from qinqing.background import services
    from qinqing.background.models import WorkerBeat

    settings.QINQING_WORKER_LEASE = 60
    services.register_worker("stale")
    WorkerBeat.objects.filter(worker_id="stale").update(
        beat_at=timezone.now() - timedelta(seconds=61))
    row = job(["stale"])
    assert services.recover_orphaned_jobs()["requeued"] == 1
    row.refresh_from_db()
    assert row.status == "READY"


def test_the_requeued_job_runs_again_through_the_worker(job):
    from django_tasks_db.models import DBTaskResult

    from qinqing.background import services
    from qinqing.background.worker import QinqingWorker

    row = job(["gone"])
    services.recover_orphaned_jobs()
    assert QinqingWorker(worker_id="next", tick=False).run_pending() == 1
    row = DBTaskResult.objects.get(id=row.id)
    assert row.status == "SUCCESSFUL" and row.worker_ids == ["gone", "next"]


def test_the_tick_runs_once_per_aligned_period(db):
    from qinqing.background import services

    t = timezone.now().replace(second=10, microsecond=0)
    assert services.claim_tick("a", t, period=60) is True
    assert services.claim_tick("b", t + timedelta(seconds=30), period=60) is False
    assert services.claim_tick("b", t + timedelta(seconds=50), period=60) is True
    # A worker away for an hour runs one tick, not sixty.
    later = t + timedelta(hours=1)
    assert services.claim_tick("a", later, period=60) is True
    assert services.claim_tick("a", later + timedelta(seconds=1), period=60) is False


def test_a_failing_tick_step_is_reported_and_the_others_still_run(db, monkeypatch):
    from qinqing.background import tick

    def broken(now):
        raise RuntimeError("boom")

    monkeypatch.setattr("qinqing.supervision.ladder.sweep", broken)
    report = tick.run_tick(timezone.now())
    assert "boom" in report["ladder.sweep"]["result"]["error"]
    assert "error" not in report["services.deliver_due"]["result"]
