#!/usr/bin/env python
"""The worker's tick over 1,000,000 cases and ~200,000 open stages (PostgreSQL).

What it does, in one command:

1. creates qq_bench_sweep, migrates, builds the demo city, bulk-loads --n cases with
   bench/load_cases.py (COPY; --open-share chosen so that about 200,000 stage clocks are
   open);
2. spreads the open clocks' deadlines evenly from --behind days ago to --ahead days
   ahead of now (each clock keeps its own span and warning share), so that at every
   minute some stages enter warning and some become overdue, and a backlog of late ones
   exists from the start; then VACUUM ANALYZE;
3. **first tick**: `run_tick(now)` as the worker runs it (recovery of dead workers' jobs,
   the ladder's sweep, SMS delivery, pruning) with the whole backlog due — the sweep takes
   at most QINQING_LADDER_BATCH (2,000) steps per rung and tick, queues them as jobs and
   leaves the rest to the next ticks;
4. marks the rest of the backlog as handled (one done step per late clock and rung, as a
   worker that had been running all along would have left it) and empties the job
   table, then **steady-state ticks**: --ticks ticks one minute apart, each finding the
   stages that crossed a threshold in that minute;
5. EXPLAIN (ANALYZE, BUFFERS) of every query the sweep runs on the stage clocks, one
   minute after the last steady tick (captured from a sweep that is rolled back);
6. runs the jobs of the steady ticks with a worker in this process (per-step cost).

Prints a table and JSON lines (--jsonl appends them to a file); drops the database at the
end unless --keep (then --reuse skips steps 1–2 next time). Timings are never asserted.

    .venv/bin/python bench/sweep.py                       # ~4 min on the 2-core machine
    .venv/bin/python bench/sweep.py --n 100000 --ticks 5  # a quick look
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="cases to load (default 1,000,000)")
    ap.add_argument("--open-share", type=float, default=0.178,
                    help="share of open cases (default 0.178: about 200,000 open clocks at 1M)")
    ap.add_argument("--behind", type=float, default=5.0,
                    help="oldest open deadline, days before now (default 5)")
    ap.add_argument("--ahead", type=float, default=5.0,
                    help="latest open deadline, days after now (default 5)")
    ap.add_argument("--ticks", type=int, default=10, help="steady-state ticks (default 10)")
    ap.add_argument("--db", default="qq_bench_sweep")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", action="store_true", help="reuse a kept database (skip the load)")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def spread_deadlines(now, behind: float, ahead: float) -> int:
    """Move each open clock (start, warning, deadline together) so that the deadlines lie
    evenly between now − behind and now + ahead days."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT setseed(0.42)")
        cur.execute("""
            UPDATE cases_stageclock c
               SET started_at = c.started_at + s.shift, warn_at = c.warn_at + s.shift,
                   due_at = c.due_at + s.shift
              FROM (SELECT id, (%s::timestamptz + (random() * %s - %s) * interval '1 day')
                               - due_at AS shift
                      FROM cases_stageclock WHERE done_at IS NULL) s
             WHERE c.id = s.id""", [now, behind + ahead, behind])
        moved = cur.rowcount
    connection.connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE cases_stageclock")
        cur.execute("VACUUM ANALYZE cases_case")
    return moved


def mark_backlog_handled(now) -> dict[str, int]:
    """One done step per clock and rung already due at `now`, each rung's cursor at
    `now`, and no queued jobs: the state a worker that had run all along would leave.
    (The sweep's own INSERT … SELECT, with status done and no jobs.)"""
    from django.db import connection, transaction

    from qinqing.supervision import ladder
    from qinqing.supervision.models import EscalationPolicy, EscalationStep, LadderCursor, Rung

    policy = EscalationPolicy.current()
    uppers = {Rung.WARNING: now, Rung.REMINDER: now}
    if policy.letter_after_days:
        uppers[Rung.LETTER] = ladder.overdue_cutoff(policy.letter_after_days, now)
    if policy.auto_list_after_days:
        uppers[Rung.LISTING] = ladder.overdue_cutoff(policy.auto_list_after_days, now)
    counts = {}
    with transaction.atomic():
        for rung, upper in uppers.items():
            counts[rung] = ladder._sweep_rung(rung, upper, now, 10**7, status="done")
            LadderCursor.objects.filter(rung=rung).update(swept_to=upper, audit_after=None)
        counts["queued_marked_done"] = EscalationStep.objects.filter(status="queued").update(
            status="done", done_at=now)
        with connection.cursor() as cur:
            cur.execute("DELETE FROM django_tasks_database_dbtaskresult")
    connection.connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE supervision_escalationstep")
    return counts


def explain_sweep(now) -> list[tuple[str, str]]:
    """The statements one sweep at `now` runs on the stage clocks, each with EXPLAIN
    (ANALYZE, BUFFERS). Captured from a real sweep inside a transaction that is rolled
    back, then explained (and so executed) in another rolled-back transaction: the plans
    see the same rows the sweep saw, and nothing is kept."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from qinqing.supervision import ladder

    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        ladder.sweep(now=now)
        transaction.set_rollback(True)
    # The reads that bound the audit slices (SELECT) and the step writes (INSERT … SELECT).
    selects = [q["sql"] for q in captured.captured_queries
               if q["sql"].startswith(("SELECT", "INSERT")) and "cases_stageclock" in q["sql"]]
    plans = []
    with transaction.atomic(), connection.cursor() as cur:
        for sql in selects:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plans.append((sql, "\n".join(row[0] for row in cur.fetchall())))
        transaction.set_rollback(True)
    return plans


def main(argv=None):
    args = parse_args(argv)
    C.set_jsonl(args.jsonl)
    if not args.reuse:
        C.create_db(args.db)
    C.setup_django(args.db)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from qinqing.background.tick import run_tick
    from qinqing.background.worker import QinqingWorker

    C.emit(C.machine_meta("sweep", sys.argv))
    rows = []
    now = timezone.now().replace(microsecond=0)
    if not args.reuse:
        demo = C.migrate_and_demo()
        from load_cases import load

        loaded = load(C.db_url(args.db), args.n, open_share=args.open_share, log=lambda *a: None)
        t0 = time.perf_counter()
        moved = spread_deadlines(now, args.behind, args.ahead)
        C.emit({"kind": "setup", "demo_s": demo["seconds"], "cases": args.n,
                "load_s": round(loaded.get("total_s", 0), 1), "open_clocks": moved,
                "spread_s": round(time.perf_counter() - t0, 1)})
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), count(*) FILTER (WHERE warn_at <= %s AND due_at > %s), "
                    "count(*) FILTER (WHERE due_at <= %s), min(due_at), max(due_at) "
                    "FROM cases_stageclock WHERE done_at IS NULL", [now, now, now])
        open_clocks, warning, overdue, first_due, last_due = cur.fetchone()
        cur.execute("SELECT count(*) FROM cases_case")
        cases = cur.fetchone()[0]
    C.emit({"kind": "data", "cases": cases, "open_clocks": open_clocks, "in_warning": warning,
            "overdue": overdue, "first_due": first_due, "last_due": last_due})

    # First tick: everything late is due at once.
    t0 = time.perf_counter()
    report = run_tick(now)
    first = time.perf_counter() - t0
    sweep = report["ladder.sweep"]
    rows.append(["first tick (backlog)", round(first * 1000), sweep["result"],
                 round(sweep["seconds"] * 1000)])
    C.emit({"kind": "tick", "which": "first", "ms": round(first * 1000, 1), "report": report,
            "batch": settings.QINQING_LADDER_BATCH})

    handled = mark_backlog_handled(now)
    C.emit({"kind": "backlog_marked", **handled})

    times, found = [], []
    moment = now
    for _ in range(args.ticks):
        moment = moment + timedelta(seconds=settings.QINQING_TICK_SECONDS)
        t0 = time.perf_counter()
        report = run_tick(moment)
        elapsed = time.perf_counter() - t0
        times.append(elapsed)
        found.append(report["ladder.sweep"]["result"])
        C.emit({"kind": "tick", "which": "steady", "ms": round(elapsed * 1000, 1),
                "report": report})
    totals = {k: sum(f.get(k, 0) for f in found) for k in found[0]}
    rows.append([f"steady tick, median of {args.ticks}", round(statistics.median(times) * 1000),
                 {k: round(v / args.ticks, 1) for k, v in totals.items()}, ""])
    rows.append([f"steady tick, slowest of {args.ticks}", round(max(times) * 1000), "", ""])

    next_moment = moment + timedelta(seconds=settings.QINQING_TICK_SECONDS)
    for sql, plan in explain_sweep(next_moment):
        C.emit({"kind": "explain", "sql": sql, "plan": plan})
        print(f"\n-- {sql}\n{plan}")

    # The jobs the steady ticks queued, run by a worker in this process.
    worker = QinqingWorker(worker_id="bench", tick=False)
    from qinqing.supervision.models import EscalationStep

    steps = EscalationStep.objects.filter(status="queued").count()
    import time_machine  # the jobs run at the moment of the last tick, not the real now

    with time_machine.travel(moment + timedelta(seconds=1), tick=True):
        t0 = time.perf_counter()
        jobs = worker.run_pending()
        spent = time.perf_counter() - t0
    from django.db.models import Count

    by_rung = dict(EscalationStep.objects.filter(done_at__gt=now)
                   .values_list("rung").annotate(n=Count("pk")).order_by())
    rows.append([f"jobs of the steady ticks ({jobs} jobs, {steps} steps)", round(spent * 1000),
                 by_rung, round(spent * 1000 / max(1, steps), 1)])
    C.emit({"kind": "jobs", "jobs": jobs, "steps": steps, "ms": round(spent * 1000, 1),
            "ms_per_step": round(spent * 1000 / max(1, steps), 2), "done_by_rung": by_rung})

    C.print_table(f"The tick over {cases:,} cases, {open_clocks:,} open stage clocks",
                  ["what", "ms", "found (steps per rung)", "sweep ms / ms per step"], rows)
    C.emit({"kind": "meta_after", "loadavg": [round(x, 2) for x in os.getloadavg()]})
    if not args.keep:
        C.drop_db(args.db)


if __name__ == "__main__":
    main()
