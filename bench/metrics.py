#!/usr/bin/env python
"""Figures benchmark: a full-city bulletin for a year and the dashboard's data, warm, at
1,000,000 cases (targets: under 1 s and under 300 ms).

Loads --n cases with bench/load_cases.py --history (COPY: every case with the clocks,
callbacks and figures' facts its state implies; see load_cases.py and _history.py),
then measures in this process, --runs times each after one warm-up run (median, min and
max reported), with the number of SQL statements:

  bulletin_year     everything a bulletin shows for the whole city and the calendar year
                    before the current one: qinqing.insights.bulletins.bulletin_figures()
                    (all figures, received by kind and by channel, routed by destination,
                    received, closed and closure rate by region)
  dashboard         the dashboard's data (the definition issue 6 asks to make): received
                    and closed by day for the last 30 days and by week for the last 26
                    weeks; received by kind, by channel and by region over the last 30 days;
                    overdue now by lead unit (cases of the last 2 years); the headline
                    figures of the last 30 days
  and each part of the dashboard on its own, plus EXPLAIN (ANALYZE, BUFFERS) of the
  bulletin's largest query.

Creates database qq_bench_metrics and drops it at the end; --keep keeps it and --reuse
uses a kept one (skipping the load) if it holds at least --n cases.

    .venv/bin/python bench/metrics.py
    .venv/bin/python bench/metrics.py --n 1000000 --keep     # then: --reuse
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

HELPDESK_REFERENCE = {"dashboard_s": 2.6, "reports_s": 6.7,
                      "source": "issue 6 / peer_helpdesk (100,000 tickets)"}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="cases to load (default 1000000)")
    ap.add_argument("--runs", type=int, default=7, help="timed runs each (default 7)")
    ap.add_argument("--db", default="qq_bench_metrics")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", action="store_true",
                    help="use an existing --db holding >= --n cases instead of loading")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def dashboard_parts(today: date) -> dict:
    """name -> a function computing one part of the dashboard's data."""
    from qinqing.insights.metrics import Scope, breakdowns, figures

    last30 = Scope(today - timedelta(days=29), today)
    last26w = Scope(today - timedelta(days=7 * 26 - 1), today)
    two_years = Scope(today - timedelta(days=730), today)
    headline = ["received", "direct_answers", "routed", "closed", "in_progress",
                "closure_rate", "on_time_rate_resolve", "satisfaction_rate", "overdue_now"]
    return {
        "by_day_30": lambda: breakdowns(["received", "closed"], last30, "day"),
        "by_week_26": lambda: breakdowns(["received", "closed"], last26w, "week"),
        "by_kind_30": lambda: breakdowns(["received"], last30, "kind"),
        "by_channel_30": lambda: breakdowns(["received"], last30, "channel"),
        "by_region_30": lambda: breakdowns(["received", "closed"], last30, "region"),
        "overdue_by_unit": lambda: breakdowns(["overdue_now"], two_years, "unit"),
        "headline_30": lambda: figures(last30, headline),
    }


def timed(fn, runs: int) -> dict:
    from django.db import connection

    fn()  # warm-up
    ms, statements = [], 0
    for _ in range(runs):
        with C.SQLLog(connection) as log:
            t0 = time.perf_counter()
            fn()
            ms.append((time.perf_counter() - t0) * 1000)
        statements = log.count
    return {"median_ms": round(statistics.median(ms), 1), "min_ms": round(min(ms), 1),
            "max_ms": round(max(ms), 1), "runs": runs, "statements": statements}


def explain_bulletin(scope) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the clock figures of the bulletin (its largest read)."""
    from django.db import connection
    from django.db.models import Count, Q, Sum

    from qinqing.insights.metrics.from_facts import PercentileDisc
    from qinqing.insights.models import Fact

    finished = Q(done_at__lt=scope.until)
    qs = (Fact.objects.filter(row=Fact.Row.CLOCK, received_on__gte=scope.start,
                              received_on__lte=scope.end)
          .values("stage").annotate(n=Count("pk", filter=finished),
                                    w=Sum("worked_seconds", filter=finished),
                                    p=PercentileDisc("worked_seconds", filter=finished))
          .order_by())
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(r[0] for r in cur.fetchall())


def main(argv=None):
    C.on_database(parse_args(argv), run)


def run(args, reuse):
    C.emit(C.machine_meta("qinqing-metrics", sys.argv[1:]))
    from django.utils import timezone

    from qinqing.cases.models import Case

    C.load_or_reuse(args, reuse, history=True)

    from qinqing.insights.bulletins import bulletin_figures
    from qinqing.insights.metrics import Scope

    today = timezone.localdate()
    year = today.year - 1
    scope = Scope(date(year, 1, 1), date(year, 12, 31))
    rows = []
    result = timed(lambda: bulletin_figures(scope), args.runs)
    rows.append(["bulletin_year", result["median_ms"], result["min_ms"], result["max_ms"],
                 result["statements"]])
    C.emit({"kind": "result", "section": "metrics", "name": "bulletin_year",
            "scope": f"{scope.start}..{scope.end}", "target_ms": 1000, **result})
    parts = dashboard_parts(today)
    result = timed(lambda: [part() for part in parts.values()], args.runs)
    rows.append(["dashboard", result["median_ms"], result["min_ms"], result["max_ms"],
                 result["statements"]])
    C.emit({"kind": "result", "section": "metrics", "name": "dashboard", "target_ms": 300,
            **result})
    for name, part in parts.items():
        result = timed(part, args.runs)
        rows.append([f"  {name}", result["median_ms"], result["min_ms"], result["max_ms"],
                     result["statements"]])
        C.emit({"kind": "result", "section": "metrics", "name": f"dashboard.{name}", **result})
    plan = explain_bulletin(scope)
    C.emit({"kind": "plan", "section": "metrics", "name": "bulletin_clocks", "plan": plan})
    C.print_table(f"Figures at {Case.objects.count():,} cases (warm, {args.runs} runs, ms)",
                  ["what", "median", "min", "max", "SQL"], rows)
    print(plan)
    print(f"\nhelpdesk at 100,000 tickets: dashboard {HELPDESK_REFERENCE['dashboard_s']} s, "
          f"reports {HELPDESK_REFERENCE['reports_s']} s")


if __name__ == "__main__":
    main()
