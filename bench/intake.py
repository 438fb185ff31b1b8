#!/usr/bin/env python
"""Intake benchmark: POST /api/v1/cases in-process, against the raw driver doing the same writes.

Measured the way the helpdesk harness measures its staff "submit ticket" view: wall time
of django.test.Client.post() in this process, one case per call, on a database that
already holds --preload cases (default 100,000, the helpdesk figure's size; loaded with
bench/load_cases.py). Variants, interleaved round by round so drift and noise hit all
of them alike:

  api_token     POST /api/v1/cases with a Bearer token (what integrations do)
  api_session   the same, logged in with a session (helpdesk's harness logs in)
  service       qinqing.cases.services.create_case() called directly (no HTTP, no JSON)
  raw_writes    psycopg alone writing the same rows the plain way, one statement per
                row (UPDATE the year's sequence RETURNING the number, INSERT the case
                RETURNING its id, INSERT its reporter, clock, event and two fact rows),
                in one transaction per case, with a fresh number, intake key and ids
  raw_all       psycopg replaying exactly the statements one intake sends (captured from
                a real POST: a new id, then one statement that takes the number and
                writes all those rows, in autocommit as Qinqing sends them)

Raw replays use the parameter values Django sent; by default with client-side binding,
as Django's psycopg backend does (--raw-binding server: server-side binding with
psycopg's automatic prepared statements). The raw-driver target compares with the
fastest raw variant.

Also: statements per intake (execute_wrapper; and CaptureQueriesContext, which also
logs BEGIN/COMMIT), the captured statements themselves, and where the time goes
(database time per statement vs. the rest). --profile N adds a cProfile of N intakes.

Creates database qq_bench_intake and drops it at the end (--keep to keep it).

    .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --n 2000 --helpdesk-jsonl results/helpdesk.jsonl
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import json
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

HELPDESK_REFERENCE = {"p50": 20.4, "queries": 17,
                      "source": "peer_helpdesk/README.md (100,000 tickets)"}
CONTENT = ("我公司于上月向区行政审批服务管理局提交了食品经营许可申请材料，窗口工作人员多次要求补充同一份材料，"
           "至今已超过承诺办结时限仍未办结，严重影响了企业的正常生产经营，希望有关部门尽快核实处理并给予答复。")


def body(i: int) -> dict:
    return {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01", "urgency": "normal",
        "title": f"食品经营许可办理超时 {i}", "content": CONTENT,
        "enterprise_name": "示范市某食品有限公司", "subject_unit": "990102-XZSP",
        "reporter": {"name": "张三", "phone": "13800138000", "enterprise": "示范市某食品有限公司"},
    }


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="timed cases per variant (default 1000)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--warmup", type=int, default=30, help="untimed cases per variant first")
    ap.add_argument("--preload", type=int, default=100_000,
                    help="cases bulk-loaded before measuring (default 100000)")
    ap.add_argument("--raw-binding", choices=["client", "server", "both"], default="both",
                    help="psycopg parameter binding for the raw replays (default both)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also profile N token intakes with cProfile and print the top")
    ap.add_argument("--helpdesk-jsonl",
                    help="JSON lines of a helpdesk bench.py run to compare with")
    ap.add_argument("--db", default="qq_bench_intake")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def helpdesk_figures(path: str | None) -> dict:
    if not path:
        return dict(HELPDESK_REFERENCE)
    for line in Path(path).read_text().splitlines():
        if not line.startswith("{"):
            continue
        rec = json.loads(line)
        if rec.get("name") == "view_create_staff_submit":
            return {"p50": rec["p50"], "queries": rec["sql_per_ticket"],
                    "throughput_per_s": rec.get("throughput_per_s"), "source": path}
    return dict(HELPDESK_REFERENCE)


# ----------------------------------------------------------------------- raw replay

# Every row an intake writes: the case, its reporter, first stage clock and timeline
# event, and its facts for the figures (insights: a case row and a clock row).
ROW_TABLES = ("cases_case", "cases_reporter", "cases_stageclock", "cases_caseevent",
              "insights_fact")


class Replay:
    """One intake's writes, replayed with psycopg alone, one case per call.

    mode "same": exactly the statements one intake sends, as captured from a real POST
    (PostgreSQL: a new id, then one statement that takes the number and writes every
    row; in autocommit, as Qinqing sends them).
    mode "rows": the same rows (ROW_TABLES) and number written the plain way a driver-only
    program would, one statement each in one transaction: UPDATE the year's sequence
    RETURNING the number, INSERT the case RETURNING its id, INSERT its reporter, clock,
    event and each fact row.
    Both use the captured values (read back from the database for "rows"), with a fresh
    number, intake key, case id and timestamps per case."""

    def __init__(self, statements, case_id: int, intake_key: str, received_at, dsn: str,
                 binding: str, mode: str):
        import psycopg
        from psycopg.rows import dict_row

        self.conn = psycopg.connect(dsn, autocommit=True,
                                    cursor_factory=psycopg.ClientCursor if binding == "client"
                                    else psycopg.Cursor)
        self.cur = self.conn.cursor()
        self.mode = mode
        self.year = received_at.astimezone().year
        if mode == "same":
            self.steps = []
            for sql, params, _in_tx in statements:
                params = list(params or ())
                subs = {}
                for pos, value in enumerate(params):
                    if type(value) is int and value == case_id:
                        subs[pos] = "case_id"
                    elif value == intake_key:
                        subs[pos] = "intake_key"
                    elif hasattr(value, "tzinfo") and value == received_at:
                        subs[pos] = "now"
                self.steps.append((sql, params, subs))
            big = self.steps[-1]
            # the case's own id, then one case_id per dependent row
            assert sum(1 for k in big[2].values() if k == "case_id") >= 4, big[2]
            return
        rows = []
        with psycopg.connect(dsn, row_factory=dict_row) as conn:
            for table in ROW_TABLES:
                col = "id" if table == "cases_case" else "case_id"
                found = conn.execute(f"SELECT * FROM {table} WHERE {col} = %s ORDER BY id",
                                     [case_id]).fetchall()
                assert found, f"the captured intake wrote no {table} row"
                rows += [(table, row) for row in found]
        self.steps = [(f"UPDATE cases_casenumbersequence SET last = last + 1 "
                       f"WHERE year = %s RETURNING last", None, None)]
        for table, found in rows:
            row = {k: v for k, v in found.items() if k != "id"}
            for k, v in row.items():
                if isinstance(v, (dict, list)):
                    from psycopg.types.json import Jsonb

                    row[k] = Jsonb(v)
            cols = ", ".join(f'"{c}"' for c in row)
            sql = (f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join(["%s"] * len(row))})'
                   + (" RETURNING id" if table == "cases_case" else ""))
            self.steps.append((sql, list(row.values()), list(row)))

    def one(self, i: int, now) -> None:
        cur = self.cur
        key = f"raw-{self.mode}-{time.monotonic_ns()}-{i}"
        if self.mode == "same":
            ctx = {"intake_key": key, "now": now}
            (id_sql, id_params, _), (sql, params, subs) = self.steps
            cur.execute(id_sql, id_params)
            ctx["case_id"] = cur.fetchone()[0]
            values = list(params)
            for pos, name in subs.items():
                values[pos] = ctx[name]
            cur.execute(sql, values)
            cur.fetchall()
            return
        with self.conn.transaction():
            cur.execute(self.steps[0][0], [self.year])
            number = f"QQ-{self.year}-{cur.fetchone()[0]:06d}"
            case_id = None
            for sql, values, cols in self.steps[1:]:
                values = list(values)
                for pos, col in enumerate(cols):
                    if col == "number":
                        values[pos] = number
                    elif col == "intake_key":
                        values[pos] = key
                    elif col == "case_id":
                        values[pos] = case_id
                    elif col in ("received_at", "updated_at", "started_at", "at", "created_at"):
                        values[pos] = now
                cur.execute(sql, values)
                if case_id is None:
                    case_id = cur.fetchone()[0]

    def close(self):
        self.conn.close()


# ----------------------------------------------------------------------------- main

def main(argv=None):
    args = parse_args(argv)
    C.set_jsonl(args.jsonl)
    C.create_db(args.db)
    try:
        C.setup_django(args.db)
        run(args)
    finally:
        if not args.keep:
            C.drop_db(args.db)


def run(args):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from qinqing.cases import services
    from qinqing.cases.models import Case
    from qinqing.org.models import User

    meta = C.emit(C.machine_meta("qinqing-intake", sys.argv[1:]))
    demo = C.migrate_and_demo()
    if args.preload:
        from load_cases import load

        res = load(C.db_url(args.db), args.preload, seed=7)
        C.emit({"kind": "result", "section": "load", "name": "preload", **res,
                "migrate_demo_s": demo["seconds"]})
    intake_user = User.objects.get(username="intake")
    token = C.token_for("intake")
    tclient = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    sclient = Client()
    sclient.force_login(intake_user)
    url = "/api/v1/cases"
    bodies = [json.dumps(body(i)) for i in range(50)]
    counter = iter(range(10**9))

    def post(client, tag):
        i = next(counter)
        r = client.post(url, bodies[i % 50], content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=f"{tag}-{i}")
        if r.status_code != 201:
            raise SystemExit(f"intake failed: {r.status_code} {r.content[:300]!r}")
        return r

    def service_one(tag):
        i = next(counter)
        services.create_case(intake_user, body(i), idempotency_key=f"{tag}-{i}")

    # warm-up
    for _ in range(args.warmup):
        post(tclient, "warm")
        post(sclient, "warm")
        service_one("warm")

    # statements of one intake
    stmts = []

    def wrapper(execute, sql, params, many, context):
        stmts.append((sql, params, connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        r = post(tclient, "capture")
    captured_number = r.json()["number"]
    cap_case = Case.objects.get(number=captured_number)
    with C.SQLLog(connection) as sq:
        post(sclient, "count")
    with CaptureQueriesContext(connection) as cq:
        post(tclient, "cqc")
    with C.SQLLog(connection) as sv:
        service_one("count")
    writes = [s for s in stmts if s[0].lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE")]
    C.emit({"kind": "result", "section": "queries", "name": "statements_per_intake",
            "api_token": len(stmts), "api_session": sq.count, "service": sv.count,
            "writes": len(writes), "capture_queries_context_api_token": len(cq.captured_queries),
            "note": "CaptureQueriesContext also lists BEGIN and COMMIT"})
    for n, (sql, params, in_tx) in enumerate(stmts, 1):
        C.emit({"kind": "statement", "section": "queries", "n": n, "in_transaction": in_tx,
                "sql": sql[:160] + ("…" if len(sql) > 160 else "")})

    bindings = ["client", "server"] if args.raw_binding == "both" else [args.raw_binding]
    replays = {}
    for binding in bindings:
        for mode, label in (("rows", "writes"), ("same", "all")):
            name = f"raw_{label}_{binding}"
            replays[name] = Replay(stmts, cap_case.pk, cap_case.intake_key,
                                   cap_case.received_at, C.db_url(args.db), binding, mode)
    for name, rp in replays.items():
        for i in range(args.warmup):
            rp.one(i, timezone.now())

    variants = {
        "api_token": lambda: post(tclient, "tok"),
        "api_session": lambda: post(sclient, "ses"),
        "service": lambda: service_one("svc"),
    }
    for name, rp in replays.items():
        variants[name] = (lambda rp=rp: rp.one(next(counter), timezone.now()))
    connection.ensure_connection()
    django_pid = connection.connection.info.backend_pid
    backend = {name: django_pid for name in variants}
    for name, rp in replays.items():
        backend[name] = rp.conn.info.backend_pid
    lat = {name: [] for name in variants}
    wall = {name: 0.0 for name in variants}
    cpu_py = {name: 0.0 for name in variants}
    cpu_pg = {name: 0.0 for name in variants}
    per_round = max(1, args.n // args.rounds)
    names = list(variants)
    for rnd in range(args.rounds):
        order = names[rnd % len(names):] + names[:rnd % len(names)]
        for name in order:
            fn = variants[name]
            pg0, py0 = C.proc_cpu(backend[name]), time.process_time()
            t_round = time.perf_counter()
            for _ in range(per_round):
                t0 = time.perf_counter()
                fn()
                lat[name].append((time.perf_counter() - t0) * 1000)
            wall[name] += time.perf_counter() - t_round
            cpu_py[name] += time.process_time() - py0
            cpu_pg[name] += C.proc_cpu(backend[name]) - pg0
    for rp in replays.values():
        rp.close()

    # where the time goes: database time per statement inside one API intake
    db_ms: list[list[float]] = []
    tot_ms = []
    for _ in range(200):
        times = []

        def timed(execute, sql, params, many, context):
            t0 = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                times.append((time.perf_counter() - t0) * 1000)

        t0 = time.perf_counter()
        with connection.execute_wrapper(timed):
            post(tclient, "brk")
        tot_ms.append((time.perf_counter() - t0) * 1000)
        db_ms.append(times)
    per_stmt = [C.pct([t[k] for t in db_ms if len(t) > k], 50) for k in range(len(db_ms[0]))]
    db_total = C.pct([sum(t) for t in db_ms], 50)
    # BEGIN/COMMIT are not seen by execute_wrapper: time them separately
    from django.db import transaction

    tx = []
    for _ in range(200):
        t0 = time.perf_counter()
        with transaction.atomic():
            connection.cursor().execute("SELECT 1")
        tx.append((time.perf_counter() - t0) * 1000)
    C.emit({"kind": "result", "section": "breakdown", "name": "api_token_time_split",
            "total_p50_ms": round(C.pct(tot_ms, 50), 3),
            "db_statements_p50_ms": round(db_total, 3),
            "begin_select1_commit_p50_ms": round(C.pct(tx, 50), 3),
            "python_p50_ms": round(C.pct(tot_ms, 50) - db_total, 3),
            "per_statement_p50_ms": [round(x, 3) for x in per_stmt],
            "statements": [s[0][:70] for s in stmts]})

    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.profile):
            post(tclient, "prof")
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(int(os.environ.get("BENCH_PROFILE_LINES", "45")))
        print(out.getvalue())

    # results
    hd = helpdesk_figures(args.helpdesk_jsonl)
    results = {}
    for name in names:
        s = C.latency_summary(lat[name])
        s["throughput_per_s"] = round(len(lat[name]) / wall[name], 1)
        # CPU per case: this process (Python, psycopg) and its PostgreSQL backend. Less
        # sensitive than wall time to other people's work on a shared machine.
        s["cpu_client_ms"] = round(cpu_py[name] * 1000 / len(lat[name]), 3)
        s["cpu_backend_ms"] = round(cpu_pg[name] * 1000 / len(lat[name]), 3)
        s["cpu_total_ms"] = round(s["cpu_client_ms"] + s["cpu_backend_ms"], 3)
        results[name] = s
        queries = {"api_token": len(stmts), "api_session": sq.count, "service": sv.count}.get(name)
        if name.startswith("raw_"):
            queries = len(replays[name].steps)
        C.emit({"kind": "result", "section": "intake", "name": name, "unit": "ms",
                "statements": queries, "preload": args.preload, **s})
    # The fastest way the driver alone writes the same rows, whichever statements it uses.
    raw_best = min(results[n]["p50"] for n in names if n.startswith("raw_"))
    raw_cpu = min(results[n]["cpu_total_ms"] for n in names if n.startswith("raw_"))
    qq = results["api_token"]["p50"]
    checks = {
        "p50_le_5ms": qq <= 5.0,
        "vs_helpdesk_speedup": round(hd["p50"] / qq, 2),
        "ge_4x_faster_than_helpdesk": hd["p50"] / qq >= 4.0,
        "vs_raw_writes_ratio": round(qq / raw_best, 2),
        "within_4x_of_raw_writes": qq / raw_best <= 4.0,
        "raw_writes_p50_best": raw_best,
        "cpu_ratio_vs_raw_writes": round(results["api_token"]["cpu_total_ms"] / raw_cpu, 2)
        if raw_cpu else None,
        "helpdesk": hd,
    }
    C.emit({"kind": "targets", "section": "intake", "name": "targets", "api_token_p50": qq,
            **checks})

    rows = [[n, results[n]["p50"], results[n]["p95"], results[n]["p99"],
             results[n]["throughput_per_s"], results[n]["cpu_client_ms"],
             results[n]["cpu_backend_ms"],
             {"api_token": len(stmts), "api_session": sq.count, "service": sv.count}.get(
                 n, len(replays[n].steps) if n in replays else "")] for n in names]
    rows.append([f"helpdesk staff submit ({hd['source']})", hd["p50"], "", "",
                 hd.get("throughput_per_s", ""), "", "", hd["queries"]])
    C.print_table(
        f"Intake, one case per call, {args.preload:,} cases preloaded, "
        f"{per_round * args.rounds} timed per variant "
        f"({meta['date_utc']}, load {meta['loadavg'][0]:.2f})",
        ["variant", "p50 ms", "p95 ms", "p99 ms", "cases/s", "CPU ms (this process)",
         "CPU ms (PG backend)", "SQL/case"], rows)
    print(f"  targets: p50 {qq:.2f} ms <= 5 ms: {checks['p50_le_5ms']}; "
          f"{checks['vs_helpdesk_speedup']}x faster than helpdesk ({hd['p50']} ms) >= 4x: "
          f"{checks['ge_4x_faster_than_helpdesk']}; {checks['vs_raw_writes_ratio']}x raw writes "
          f"({raw_best:.2f} ms) <= 4x: {checks['within_4x_of_raw_writes']}")


if __name__ == "__main__":
    main()
