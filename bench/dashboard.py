#!/usr/bin/env python
"""Dashboard benchmark: the data of the dashboard page, the lobby display and the unit
ranking exactly as the pages get them, at 1,000,000 cases (target for the dashboard's
data: under 300 ms warm).

Loads --n cases with bench/load_cases.py --history (as bench/metrics.py does), then
measures in this process, --runs times each after one warm-up run (median, min, max),
with the number of SQL statements:

  dashboard         insights.dashboard.dashboard_data() for the whole city, the last 30
                    days: headline figures, received/closed per day and per week, by kind,
                    by channel, by region (4 figures), overdue now by unit, hot topics
                    (warm: the hot topics are in the process cache, as within its TTL)
  dashboard_cold    the same with the hot topics counted afresh each run (cache emptied):
                    what one request in QINQING_HOT_TOPICS_TTL seconds pays
  hot_topics_cold   the hot topics alone, cache emptied each run (counts the stored words
                    of the newest 1,000 cases of the 30 days)
  segment_idle      the worker's tick step that stores the words of recent cases, when
                    every recent case has them already (what it costs every minute)

Before measuring, the tick step is run until every case of the last MAX_DAYS days has its
words stored (segment_backfill: cases and seconds), as a running worker keeps them.
  lobby             the lobby display's data (fewer headline figures)
  ranking_90        insights.ranking.unit_ranking() over the last 90 days, default weights

Creates database qq_bench_dashboard and drops it at the end; --keep keeps it and --reuse
uses a kept one (skipping the load) if it holds at least --n cases.

    .venv/bin/python bench/dashboard.py
    .venv/bin/python bench/dashboard.py --n 1000000 --keep     # then: --reuse
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
from metrics import timed  # noqa: E402


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="cases to load (default 1000000)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs each (default 7)")
    ap.add_argument("--db", default="qq_bench_dashboard")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", action="store_true",
                    help="use an existing --db holding >= --n cases instead of loading")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def main(argv=None):
    C.on_database(parse_args(argv), run)


def run(args, reuse):
    C.emit(C.machine_meta("qinqing-dashboard", sys.argv[1:]))
    from django.utils import timezone

    from qinqing.cases.models import Case

    C.load_or_reuse(args, reuse, history=True)

    from qinqing.insights import dashboard, hot_topics, ranking
    from qinqing.insights.dashboard_models import RankingPolicy
    from qinqing.insights.metrics import Scope

    today = timezone.localdate()
    last30 = Scope(today - timedelta(days=29), today)
    last90 = Scope(today - timedelta(days=89), today)
    policy = RankingPolicy()  # the defaults

    from qinqing.insights.models import CaseTerms

    started = time.perf_counter()
    segmented = hot_topics.segment_all(now=timezone.now())
    seconds = time.perf_counter() - started
    C.emit({"kind": "result", "section": "dashboard", "name": "segment_backfill",
            "cases": segmented, "seconds": round(seconds, 1),
            "cases_per_s": round(segmented / seconds, 1) if segmented else None,
            "stored": CaseTerms.objects.count()})

    def cold(fn):
        def run_cold():
            hot_topics._cache.clear()
            return fn()
        return run_cold

    parts = {
        "dashboard": lambda: dashboard.dashboard_data(last30),
        "dashboard_cold": cold(lambda: dashboard.dashboard_data(last30)),
        "hot_topics_cold": cold(lambda: hot_topics.hot_topics(until=today)),
        "lobby": lambda: dashboard.dashboard_data(last30, names=dashboard.LOBBY_HEADLINE),
        "ranking_90": lambda: ranking.unit_ranking(last90, policy),
        "segment_idle": lambda: hot_topics.segment_recent(now=timezone.now()),
    }
    rows = []
    for name, part in parts.items():
        result = timed(part, args.runs)
        rows.append([name, result["median_ms"], result["min_ms"], result["max_ms"],
                     result["statements"]])
        C.emit({"kind": "result", "section": "dashboard", "name": name,
                **({"target_ms": 300} if name == "dashboard" else {}), **result})
    found = hot_topics.hot_topics(until=today)
    C.emit({"kind": "result", "section": "dashboard", "name": "hot_topics_read",
            "cases": found.analysed, "capped": found.capped, "pending": found.pending,
            "terms": [t.text for t in found.terms[:10]]})
    C.print_table(f"Dashboard data at {Case.objects.count():,} cases ({args.runs} runs, ms)",
                  ["what", "median", "min", "max", "SQL"], rows)


if __name__ == "__main__":
    main()
