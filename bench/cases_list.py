#!/usr/bin/env python
"""List benchmark: a unit's newest 50 open cases with 1,000,000 cases in the database.

Loads --n cases (default 1,000,000) with bench/load_cases.py (COPY; about 20 % open, lead
units spread over the demo's 157 units; no timeline events, see load_cases.py), then
measures in this process with django.test.Client and a Bearer token, warm, --runs times
each (median reported):

  unit_open_handler        GET /api/v1/cases?unit=990102-SCJG&state=<every open state>&limit=50
                           as `handler` (a handler of 990102-SCJG): the target
  unit_open3_handler       the same with state=received&state=dispatched&state=handling
  unit_open_handler_page2  the next page (keyset cursor from the first)
  unit_open_dispatcher     the unit's open cases as `dispatcher` (sees the whole city)
  open_newest_dispatcher   GET /api/v1/cases?state=<open>&limit=25: the city's newest open
                           cases (like helpdesk's default open-ticket list, 25 rows)
  all_newest_dispatcher    GET /api/v1/cases?limit=50: everything, newest first
  handler_default          GET /api/v1/cases?limit=50 as handler (all the unit may see)

and the same target through the ORM alone (queries.case_page(queries.filtered_cases(...)),
no HTTP), plus EXPLAIN (ANALYZE, BUFFERS) of the page query. "Open" is every state but
closed (models.OPEN_STATES: received, dispatched, handling, returned, replied, reviewed).

Creates database qq_bench_list and drops it at the end; --keep keeps it and --reuse uses
a kept one (skipping the load) if it holds at least --n cases.

    .venv/bin/python bench/cases_list.py
    .venv/bin/python bench/cases_list.py --n 1000000 --keep     # then: --reuse
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

UNIT = "990102-SCJG"
HELPDESK_REFERENCE = {"one_queue_open_ms": 106, "open_list_ms": 560,
                      "source": "peer_helpdesk/README.md (100,000 tickets)"}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="cases to load (default 1000000)")
    ap.add_argument("--runs", type=int, default=30, help="timed runs per request (default 30)")
    ap.add_argument("--db", default="qq_bench_list")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", action="store_true",
                    help="use an existing --db holding >= --n cases instead of loading")
    ap.add_argument("--helpdesk-jsonl",
                    help="JSON lines of a helpdesk bench.py run to compare with")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def helpdesk_figures(path):
    import json

    out = dict(HELPDESK_REFERENCE)
    if not path:
        return out
    for line in Path(path).read_text().splitlines():
        if line.startswith("{"):
            rec = json.loads(line)
            if rec.get("name") == "ticket_list_data_one_queue_open":
                out["one_queue_open_ms"] = rec["median"]
                out["one_queue_open_queries"] = rec["queries"]
            elif rec.get("name") == "ticket_list_data_open_default":
                out["open_list_ms"] = rec["median"]
                out["open_list_queries"] = rec["queries"]
            elif rec.get("kind") == "meta":
                out["n"] = rec.get("n")
    out["source"] = path
    return out


def main(argv=None):
    C.on_database(parse_args(argv), run)


def run(args, reuse):
    from django.db import connection
    from django.test import Client

    from qinqing.cases import queries
    from qinqing.cases.models import Case
    from qinqing.cases.models.case import OPEN_STATES
    from qinqing.org.models import User

    meta = C.emit(C.machine_meta("qinqing-cases-list", sys.argv[1:]))
    res = C.load_or_reuse(args, reuse, seed=11)
    if res is not None:
        print(f"loaded {res['cases']:,} cases in {res['total_s']:.0f} s "
              f"(COPY {res['copy_cases_s']:.0f} s, indexes {res['indexes_s']:.0f} s, "
              f"foreign keys {res['foreign_keys_s']:.0f} s, ANALYZE {res['analyze_s']:.0f} s)",
              flush=True)

    handler = User.objects.select_related("unit").get(username="handler")
    clients = {"handler": Client(HTTP_AUTHORIZATION=f"Bearer {C.token_for('handler')}"),
               "dispatcher": Client(HTTP_AUTHORIZATION=f"Bearer {C.token_for('dispatcher')}")}
    stats = {
        "cases": Case.objects.count(),
        "open": Case.objects.exclude(state="closed").count(),
        "unit_cases": Case.objects.filter(lead_unit__code=UNIT).count(),
        "unit_open": Case.objects.filter(lead_unit__code=UNIT, state__in=OPEN_STATES).count(),
    }
    C.emit({"kind": "result", "section": "data", "name": "counts", **stats})

    open_q = [("state", s) for s in OPEN_STATES]
    open3 = [("state", s) for s in ("received", "dispatched", "handling")]
    target_url = "/api/v1/cases?" + urlencode([("unit", UNIT), *open_q, ("limit", 50)])
    first = clients["handler"].get(target_url).json()
    page2 = "/api/v1/cases?" + urlencode([("unit", UNIT), *open_q, ("limit", 50),
                                          ("cursor", first["next_cursor"] or "")])
    requests = [
        ("unit_open_handler", "handler", target_url),
        ("unit_open3_handler", "handler",
         "/api/v1/cases?" + urlencode([("unit", UNIT), *open3, ("limit", 50)])),
        ("unit_open_handler_page2", "handler", page2),
        ("unit_open_dispatcher", "dispatcher", target_url),
        ("open_newest_dispatcher", "dispatcher",
         "/api/v1/cases?" + urlencode([*open_q, ("limit", 25)])),
        ("all_newest_dispatcher", "dispatcher", "/api/v1/cases?limit=50"),
        ("handler_default", "handler", "/api/v1/cases?limit=50"),
    ]
    results = {}
    for name, who, url in requests:
        client = clients[who]
        with C.SQLLog(connection) as log:
            t0 = time.perf_counter()
            resp = client.get(url)
            first_ms = (time.perf_counter() - t0) * 1000
        if resp.status_code != 200:
            C.emit({"kind": "error", "name": name, "status": resp.status_code,
                    "body": resp.content[:300].decode(errors="replace")})
            continue
        items = resp.json()["items"]
        for _ in range(3):
            client.get(url)
        ts = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            client.get(url)
            ts.append((time.perf_counter() - t0) * 1000)
        results[name] = C.emit({
            "kind": "result", "section": "list", "name": name, "user": who, "url": url[:160],
            "unit": "ms", "median": round(statistics.median(ts), 3),
            "p95": round(C.pct(ts, 95), 3), "min": round(min(ts), 3), "max": round(max(ts), 3),
            "first_ms": round(first_ms, 3), "runs": len(ts), "queries": log.count,
            "rows": len(items), "bytes": len(resp.content),
            "all_open": all(i["state"] != "closed" for i in items),
            "all_unit": all(i["lead_unit"] == UNIT for i in items) if "unit=" in url else None})

    # the target through the ORM alone, and the plan of its page query
    filters = queries.CaseFilters(state=list(OPEN_STATES), unit=UNIT)

    def orm_page():
        rows, _ = queries.case_page(queries.filtered_cases(handler, filters), None, 50)
        return rows

    with C.SQLLog(connection) as log:
        rows = orm_page()
    for _ in range(3):
        orm_page()
    ts = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        orm_page()
        ts.append((time.perf_counter() - t0) * 1000)
    page_sql, page_params = next((s, p) for s, p in log.statements if 'FROM "cases_case"' in s
                                 and "LIMIT" in s)
    with connection.cursor() as cur:
        sql_ts = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            cur.execute(page_sql, page_params)
            cur.fetchall()
            sql_ts.append((time.perf_counter() - t0) * 1000)
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + page_sql, page_params)
        plan = "\n".join(r[0] for r in cur.fetchall())
    results["orm_unit_open_handler"] = C.emit({
        "kind": "result", "section": "list", "name": "orm_unit_open_handler", "unit": "ms",
        "median": round(statistics.median(ts), 3), "p95": round(C.pct(ts, 95), 3),
        "runs": len(ts), "queries": log.count, "rows": len(rows)})
    results["sql_unit_open_page_query"] = C.emit({
        "kind": "result", "section": "list", "name": "sql_unit_open_page_query", "unit": "ms",
        "median": round(statistics.median(sql_ts), 3), "p95": round(C.pct(sql_ts, 95), 3),
        "runs": len(sql_ts), "queries": 1, "sql": page_sql, "plan": plan})

    hd = helpdesk_figures(args.helpdesk_jsonl)
    target = results.get("unit_open_handler", {}).get("median")
    C.emit({"kind": "targets", "section": "list", "name": "targets", "cases": stats["cases"],
            "unit_open_handler_ms": target, "lt_30ms": target is not None and target < 30,
            "helpdesk": hd})
    rows = [[name, r["median"], r.get("p95"), r.get("queries"), r.get("rows"), r.get("bytes", "")]
            for name, r in results.items()]
    rows.append([f"helpdesk one queue's open tickets ({hd['source']})", hd["one_queue_open_ms"],
                 "", hd.get("one_queue_open_queries", ""), 25, ""])
    rows.append([f"helpdesk open-ticket list ({hd['source']})", hd["open_list_ms"], "",
                 hd.get("open_list_queries", ""), 25, ""])
    C.print_table(
        f"Case lists at {stats['cases']:,} cases ({stats['open']:,} open; unit {UNIT}: "
        f"{stats['unit_cases']:,} cases, {stats['unit_open']:,} open) — "
        f"{meta['date_utc']}, load {meta['loadavg'][0]:.2f}",
        ["request", "median ms", "p95 ms", "SQL", "rows", "bytes"], rows)
    print("  plan of the page query:")
    print("    " + plan.replace("\n", "\n    "))
    print(f"\n  target: unit's newest 50 open < 30 ms: {target} ms -> "
          f"{'met' if target is not None and target < 30 else 'MISSED'}")


if __name__ == "__main__":
    main()
