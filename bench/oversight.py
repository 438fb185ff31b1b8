#!/usr/bin/env python
"""Overdue sweep at scale: start a city-wide campaign over every overdue case, then read it.

Loads --n cases (default 200,000) with bench/load_cases.py (COPY, with --events so every
case has a timeline to append to; about 20 % open, their deadlines a fixed span after the
start, so many are overdue), then measures on PostgreSQL:

  start_campaign   oversight.services.start_campaign over the whole city, as the demo
                   supervisor: one snapshot row per overdue case, its overdue clocks, one
                   `campaign_entered` event per case — seconds and statements
  progress         oversight.queries.campaign_progress (figures, burn-down, the first 200
                   remaining cases by unit), ORM only, median of --runs
  campaign_page    GET /oversight/campaigns/<id>/ as the supervisor (session), median of
                   --runs, with its statement count
  campaigns_list   GET /oversight/campaigns/ as the supervisor
  close_campaign   oversight.services.close_campaign (counts what is left)

Creates database qq_bench_oversight and drops it at the end; --keep keeps it.

    .venv/bin/python bench/oversight.py
    .venv/bin/python bench/oversight.py --n 1000000 --runs 10
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="cases to load (default 200000)")
    ap.add_argument("--runs", type=int, default=10, help="timed runs per read (default 10)")
    ap.add_argument("--db", default="qq_bench_oversight")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    C.set_jsonl(args.jsonl)
    C._check_name(args.db)
    C.create_db(args.db)
    try:
        C.setup_django(args.db)
        run(args)
    finally:
        if not args.keep:
            C.drop_db(args.db)
        else:
            print(f"kept database {args.db}")


def _timed(fn, runs):
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


def run(args):
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from qinqing.cases.models import Case, CaseEvent, StageClock
    from qinqing.org.models import User
    from qinqing.oversight import queries, services

    C.emit(C.machine_meta("qinqing-oversight", sys.argv[1:]))
    demo = C.migrate_and_demo()
    from load_cases import load

    res = load(C.db_url(args.db), args.n, seed=11, events=True)
    C.emit({"kind": "result", "section": "load", "name": "copy_load", **res,
            "migrate_demo_s": demo["seconds"]})
    now = timezone.now()
    overdue = (StageClock.objects.filter(done_at__isnull=True, paused_at__isnull=True,
                                         due_at__lt=now).values("case").distinct().count())
    C.emit({"kind": "result", "section": "data", "name": "counts",
            "cases": Case.objects.count(), "overdue_cases": overdue,
            "events": CaseEvent.objects.count()})
    print(f"{args.n:,} cases loaded, {overdue:,} overdue", flush=True)

    supervisor = User.objects.select_related("unit").get(username="supervisor")
    with C.SQLLog(connection) as log:
        t0 = time.perf_counter()
        campaign = services.start_campaign(supervisor, {"name": "全市逾期件专项清零（基准）"})
        seconds = time.perf_counter() - t0
    C.emit({"kind": "result", "section": "write", "name": "start_campaign",
            "seconds": round(seconds, 2), "members": campaign.snapshot_count,
            "statements": log.count,
            "statements_per_member": round(log.count / max(campaign.snapshot_count, 1), 2)})
    print(f"start_campaign: {campaign.snapshot_count:,} cases in {seconds:.1f} s, "
          f"{log.count:,} statements", flush=True)

    ms = _timed(lambda: queries.campaign_progress(campaign, supervisor), args.runs)
    C.emit({"kind": "result", "section": "read", "name": "progress",
            **C.latency_summary(ms)})
    client = Client()
    client.force_login(supervisor)
    for name, url in (("campaign_page", f"/oversight/campaigns/{campaign.pk}/"),
                      ("campaigns_list", "/oversight/campaigns/")):
        with C.SQLLog(connection) as log:
            assert client.get(url).status_code == 200, url
        ms = _timed(lambda: client.get(url), args.runs)
        C.emit({"kind": "result", "section": "read", "name": name, "statements": log.count,
                **C.latency_summary(ms)})
        print(f"{name}: median {statistics.median(ms):.0f} ms, {log.count} statements",
              flush=True)

    t0 = time.perf_counter()
    closed = services.close_campaign(campaign.pk, supervisor, "基准结束")
    C.emit({"kind": "result", "section": "write", "name": "close_campaign",
            "seconds": round(time.perf_counter() - t0, 3),
            "remaining_at_close": closed.remaining_at_close})


if __name__ == "__main__":
    main()
