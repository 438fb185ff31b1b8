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
  raw_writes    psycopg alone replaying the UPDATE/INSERT statements one intake issues
                (captured once from a real POST), in one transaction per case, with a
                fresh case number, intake key and case id per case
  raw_all       psycopg replaying every statement of one intake (token lookup and the
                reads too), writes in a transaction as Qinqing does

Raw replays use the same SQL text and parameter values as Django sent; by default with
client-side binding, as Django's psycopg backend does (--raw-binding server: server-side
binding with psycopg's automatic prepared statements).

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

_INSERT = re.compile(r'^INSERT INTO "(\w+)" \((.*?)\) VALUES', re.S)


class Replay:
    """One intake's statements, replayed with psycopg alone."""

    def __init__(self, statements, intake_key: str, case_id: int, number: str, dsn: str,
                 binding: str, writes_only: bool):
        import psycopg

        self.conn = psycopg.connect(dsn, autocommit=True,
                                    cursor_factory=psycopg.ClientCursor if binding == "client"
                                    else psycopg.Cursor)
        self.cur = self.conn.cursor()
        self.binding = binding
        self.steps = []  # (sql, params list, in_transaction, role)
        for sql, params, in_tx in statements:
            verb = sql.lstrip().split(None, 1)[0].upper()
            if writes_only and verb not in ("INSERT", "UPDATE", "DELETE"):
                continue
            params = list(params or ())
            subs = {}
            m = _INSERT.match(sql)
            if m:
                cols = [c.strip().strip('"') for c in m.group(2).split(",")]
                for pos, col in enumerate(cols):
                    if m.group(1) == "cases_case" and col == "number":
                        subs[pos] = "placeholder"  # unique until the real number is set
                    elif m.group(1) == "cases_case" and col in ("intake_key", "received_at",
                                                                  "updated_at"):
                        subs[pos] = col
                    elif col == "case_id":
                        subs[pos] = "case_id"
                    elif col in ("started_at", "at", "created_at"):
                        subs[pos] = "now"
            else:
                for pos, value in enumerate(params):
                    if value == intake_key:
                        subs[pos] = "intake_key"
                    elif "cases_case" in sql and verb == "UPDATE" and value == case_id:
                        subs[pos] = "case_id"
                    elif "cases_case" in sql and verb == "UPDATE" and value == number:
                        subs[pos] = "number"  # the number is set last, after the insert
                if "cases_caseevent" in sql and verb == "SELECT":
                    subs = {0: "case_id"}
            role = ("sequence" if "casenumbersequence" in sql and verb == "UPDATE"
                    else "case" if m and m.group(1) == "cases_case" else "")
            self.steps.append((sql, params, in_tx, subs, role))
        self.outside = [s for s in self.steps if not s[2]]
        self.inside = [s for s in self.steps if s[2]]
        self.case_id = case_id
        self.year = None

    def one(self, i: int, now) -> None:
        cur = self.cur
        key = f"raw-{self.binding}-{time.monotonic_ns()}-{i}"
        ctx = {"intake_key": key, "now": now, "received_at": now, "updated_at": now,
               "case_id": self.case_id, "number": None, "placeholder": "~" + key[-19:]}
        for sql, params, _tx, subs, role in self.outside:
            cur.execute(sql, self._params(params, subs, ctx))
            cur.fetchall() if cur.description else None
        with self.conn.transaction():
            for sql, params, _tx, subs, role in self.inside:
                cur.execute(sql, self._params(params, subs, ctx))
                row = cur.fetchone() if cur.description else None
                if role == "sequence":
                    ctx["number"] = f"QQ-{params[0]}-{row[0]:06d}"
                elif role == "case":
                    ctx["case_id"] = row[0]

    @staticmethod
    def _params(params, subs, ctx):
        if not subs:
            return params
        out = list(params)
        for pos, key in subs.items():
            out[pos] = ctx[key]
        return out

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
        for writes_only in (True, False):
            name = f"raw_{'writes' if writes_only else 'all'}_{binding}"
            replays[name] = Replay(stmts, cap_case.intake_key, cap_case.pk, cap_case.number,
                                   C.db_url(args.db),
                                   binding, writes_only)
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
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
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
    raw_best = min(results[n]["p50"] for n in names if n.startswith("raw_writes"))
    raw_cpu = min(results[n]["cpu_total_ms"] for n in names if n.startswith("raw_writes"))
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
