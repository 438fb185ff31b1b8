#!/usr/bin/env python
"""PROTOTYPE A/B: in-process intake p50 and CPU per case at each level of intake_fixes.py.

Same measurement as bench/intake.py's api_token variant (POST /api/v1/cases through
django.test.Client with a Bearer token, 100,000 cases preloaded), the levels interleaved
round by round. Creates and drops database qq_bench_proto.

    .venv/bin/python bench/prototype/ab_intake.py
"""
import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]
import _common as C  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-round", type=int, default=150)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--preload", type=int, default=100_000)
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    args = ap.parse_args(argv)
    C.set_jsonl(args.jsonl)
    db = "qq_bench_proto"
    C.create_db(db)
    try:
        C.setup_django(db)
        C.emit(C.machine_meta("qinqing-prototype-ab", sys.argv[1:]))
        C.migrate_and_demo()
        from load_cases import load

        if args.preload:
            load(C.db_url(db), args.preload, seed=3)
        from django.db import connection
        from django.test import Client

        import intake
        import intake_fixes as P

        client = Client(HTTP_AUTHORIZATION="Bearer " + C.token_for("intake"))
        body = json.dumps(intake.body(1))
        counter = iter(range(10**9))

        def post():
            r = client.post("/api/v1/cases", body, content_type="application/json",
                            HTTP_IDEMPOTENCY_KEY=f"p{next(counter)}")
            assert r.status_code == 201, r.content

        lat = {k: [] for k in P.LEVELS}
        cpu = {k: [0.0, 0.0] for k in P.LEVELS}
        stmts = {}
        for name, patches in P.LEVELS.items():
            P.apply(patches)
            # a retry with the same Idempotency-Key must still return the first case
            first = client.post("/api/v1/cases", body, content_type="application/json",
                                HTTP_IDEMPOTENCY_KEY=f"retry-{name}")
            again = client.post("/api/v1/cases", body, content_type="application/json",
                                HTTP_IDEMPOTENCY_KEY=f"retry-{name}")
            assert (first.status_code, again.status_code) == (201, 200), (name, again.content)
            assert first.json()["number"] == again.json()["number"], name
            for _ in range(30):
                post()
            with C.SQLLog(connection) as log:
                post()
            stmts[name] = log.count
        pid = connection.connection.info.backend_pid
        for _ in range(args.rounds):
            for name, patches in P.LEVELS.items():
                P.apply(patches)
                py0, pg0 = time.process_time(), C.proc_cpu(pid)
                for _ in range(args.per_round):
                    t0 = time.perf_counter()
                    post()
                    lat[name].append((time.perf_counter() - t0) * 1000)
                cpu[name][0] += time.process_time() - py0
                cpu[name][1] += C.proc_cpu(pid) - pg0
        rows = []
        for name in P.LEVELS:
            k = len(lat[name])
            rec = C.emit({"kind": "result", "section": "prototype", "name": name,
                          "statements": stmts[name],
                          "cpu_client_ms": round(cpu[name][0] * 1000 / k, 2),
                          "cpu_backend_ms": round(cpu[name][1] * 1000 / k, 2),
                          **C.latency_summary(lat[name])})
            rows.append([name, rec["p50"], rec["p95"], rec["cpu_client_ms"],
                         rec["cpu_backend_ms"], rec["statements"]])
        P.apply({})
        C.print_table("PROTOTYPE intake fixes (not applied to src/), in-process api_token",
                      ["level", "p50 ms", "p95 ms", "CPU ms client", "CPU ms PG", "SQL/case"],
                      rows)
    finally:
        C.drop_db(db)


if __name__ == "__main__":
    main()
