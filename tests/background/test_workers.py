"""Several `qinqing worker` processes on one PostgreSQL database: every job done once,
none lost, one tick per period, and a worker killed with SIGKILL mid-batch loses nothing
(its job runs again and its effect happens once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="worker processes share a PostgreSQL database (SKIP LOCKED); "
                              "SQLite runs one writer at a time"),
    # The workers are other processes: the data must be committed. serialized_rollback
    # puts back the rows the migrations seeded (categories, policies) after the flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CASES = 1000


def _worker_env(tmp_path) -> dict[str, str]:
    from django.conf import settings

    url = os.environ["DATABASE_URL"]
    name = connection.settings_dict["NAME"]  # the test database pytest-django made
    return {**os.environ, "DATABASE_URL": urlunsplit(urlsplit(url)._replace(path="/" + name)),
            "QINQING_DATA_DIR": str(tmp_path), "QINQING_TICK_SECONDS": "1",
            "QINQING_WORKER_LEASE": "4", "QINQING_LADDER_JOB_SIZE": "1",
            "QINQING_LADDER_BATCH": "5000", "QINQING_SMS_BACKEND": "console",
            "DJANGO_SETTINGS_MODULE": "qinqing.settings",
            # The same keys as this process, or the workers could not read what it wrote.
            "SECRET_KEY": settings.SECRET_KEY,
            "QINQING_FIELD_KEYS": ",".join(settings.QINQING_FIELD_KEYS),
            "QINQING_INDEX_KEY": settings.QINQING_INDEX_KEY}


def _start(worker_id, env, tmp_path):
    log = open(tmp_path / f"{worker_id}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "qinqing.cli", "worker", "--worker-id",
                             worker_id, "--interval", "0.2"], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def _jobs():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path__endswith="process_steps")


def _wait(condition, seconds, what, procs=()):
    deadline = time.monotonic() + seconds
    while not condition():
        for proc in procs:
            assert proc.poll() is None, f"a worker exited ({proc.returncode}) while {what}"
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.1)


def test_two_workers_do_1000_jobs_once_and_survive_a_kill(tmp_path):
    from django.utils import timezone

    from qinqing.cases import services as case_services
    from qinqing.cases.models import CaseEvent
    from qinqing.notifications.models import Notification
    from qinqing.demo.city import build_demo_organisation
    from qinqing.org.models import User
    from qinqing.supervision.models import EscalationPolicy, EscalationStep

    build_demo_organisation()
    policy = EscalationPolicy.current()
    policy.notify_warning, policy.send_sms, policy.letter_after_days = False, False, None
    policy.save()
    intake = User.objects.select_related("unit").get(username="intake")
    yesterday = timezone.now() - timedelta(days=3)
    # Received three days ago and never dispatched: 1,000 overdue dispatch stages, each
    # due for one automatic reminder (QINQING_LADDER_JOB_SIZE=1: one job each).
    numbers = [case_services.create_case(intake, {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01",
        "content": f"批量测试诉求 {i}"}, now=yesterday).case.number for i in range(CASES)]
    members = intake.unit.members.filter(is_active=True).count()

    env = _worker_env(tmp_path)
    procs = {wid: _start(wid, env, tmp_path) for wid in ("A", "B")}
    try:
        _wait(lambda: _jobs().filter(status="SUCCESSFUL").count() >= 150, 120,
              "waiting for the first jobs", procs.values())
        # Catch A in the middle of a job: stop it, look for its RUNNING row, kill it.
        orphan = None
        for _attempt in range(300):
            os.kill(procs["A"].pid, signal.SIGSTOP)
            running = [j for j in _jobs().filter(status="RUNNING")
                       .values_list("id", "worker_ids") if j[1] and j[1][-1] == "A"]
            if running:
                orphan = running[0][0]
                break
            os.kill(procs["A"].pid, signal.SIGCONT)
            time.sleep(0.01)
        assert orphan is not None, "never caught worker A inside a job"
        os.kill(procs["A"].pid, signal.SIGKILL)
        procs["A"].wait(10)
        del procs["A"]
        procs["A2"] = _start("A2", env, tmp_path)
        _wait(lambda: (not _jobs().exclude(status="SUCCESSFUL").exists()
                       and EscalationStep.objects.filter(status="done").count() == CASES),
              180, "waiting for every job", procs.values())
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()

    logs = {p.name: p.read_text() for p in tmp_path.glob("*.log")}
    assert not any("Traceback" in text for text in logs.values()), json.dumps(logs)[:3000]
    jobs = list(_jobs().values_list("id", "status", "worker_ids"))
    assert len(jobs) == CASES  # one per step: none lost, none enqueued twice
    assert {status for _, status, _ in jobs} == {"SUCCESSFUL"}
    runs = {job_id: workers for job_id, _, workers in jobs}
    # The killed job ran again elsewhere; every other job ran exactly once.
    assert runs[orphan][0] == "A" and len(runs[orphan]) == 2, runs[orphan]
    assert all(len(w) == 1 for job_id, w in runs.items() if job_id != orphan)
    by_worker = Counter(w[-1] for w in runs.values())
    assert by_worker["B"] > 0 and by_worker["A"] + by_worker["A2"] > 0, by_worker
    # Effects exactly once: one reminder event per case, one notice per person and case.
    reminders = Counter(CaseEvent.objects.filter(action="remind")
                        .values_list("case__number", flat=True))
    assert set(reminders) == set(numbers) and set(reminders.values()) == {1}
    notices = Counter(Notification.objects.filter(kind="reminder")
                      .values_list("recipient_id", "case_id"))
    assert len(notices) == CASES * members and set(notices.values()) == {1}


def test_one_tick_per_period_however_many_workers_try():
    from django.utils import timezone

    from qinqing.background import services

    now = timezone.now()
    services.claim_tick("setup", now - timedelta(hours=1), period=60)  # the row exists
    start = threading.Barrier(8)
    won = []

    def contender(i):
        try:
            start.wait()
            if services.claim_tick(f"w{i}", now, period=60):
                won.append(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=contender, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1
    # The next period is someone's again, once.
    later = services.next_period(now, 60) + timedelta(seconds=1)
    assert services.claim_tick("x", later, period=60) is True
    assert services.claim_tick("y", later, period=60) is False
