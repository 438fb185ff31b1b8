#!/usr/bin/env python
"""Intake form benchmark: the hotline agent's save, POST /intake/new/ in-process.

Wall time of django.test.Client.post() in this process, logged in (session) as the demo
`intake` user, on a database built like `qinqing demo --cases 300` (the demo city, its
assignment catalogue and --cases demo cases with histories). Each save is a new case with
its own idempotency key, as a fresh form would carry. Variants, interleaved round by
round so drift and noise hit all of them alike:

  complaint     a complaint: the form resolves the pickers, create_case, the result page
                with its "merge into" suggestions (the look-alike query)
  consultation  a consultation answered in the same form: create_case, then the "answer"
                move, result page
  form_page     GET /intake/new/ (not a save: the page the agent starts from)
  similar       POST /intake/similar/ (not a save: the duplicate panel while typing)

Printed as a table and JSON lines; never asserted (target: save p50 < 150 ms).

SQLite (the default database) always; PostgreSQL too when BENCH_PG_URL or DATABASE_URL
names a server: a database qq_bench_intake_form is created there and dropped at the end
(DATABASE_URL only gives the server; its own database is never touched). Each database
runs in a child process of its own, since Django's settings are per process.

    .venv/bin/python bench/intake_form.py
    BENCH_PG_URL=postgres://postgres@127.0.0.1:5432 .venv/bin/python bench/intake_form.py --n 300
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PG_DB = "qq_bench_intake_form"
CONTENT = ("我公司于上月向区行政审批服务管理局提交了食品经营许可申请材料，窗口工作人员多次要求补充同一份材料，"
           "至今已超过承诺办结时限仍未办结，严重影响了企业的正常生产经营，希望有关部门尽快核实处理并给予答复。")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="timed saves per variant (default 300)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed calls per variant first")
    ap.add_argument("--cases", type=int, default=300, help="demo cases first (default 300)")
    ap.add_argument("--backend", choices=["sqlite", "postgresql"],
                    help="run one database only (the parent process runs each in a child)")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def pg_server() -> str | None:
    """The PostgreSQL server to use, without a database name, or None for SQLite only."""
    url = os.environ.get("BENCH_PG_URL")
    if url:
        return url.rstrip("/")
    url = os.environ.get("DATABASE_URL", "")
    if url.split("://", 1)[0] in ("postgres", "postgresql", "pgsql"):
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('/', 1)[0]}"
    return None


def main(argv=None):
    args = parse_args(argv)
    if args.backend:
        return run_backend(args)
    backends = ["sqlite"] + (["postgresql"] if pg_server() else [])
    for backend in backends:
        cmd = [sys.executable, __file__, "--backend", backend, "--n", str(args.n),
               "--rounds", str(args.rounds), "--warmup", str(args.warmup),
               "--cases", str(args.cases)]
        if args.keep:
            cmd.append("--keep")
        if args.jsonl:
            cmd += ["--jsonl", args.jsonl]
        subprocess.run(cmd, check=True)
    if len(backends) == 1:
        print("  (PostgreSQL not measured: set BENCH_PG_URL or DATABASE_URL to a server)")


def run_backend(args):
    server = pg_server() if args.backend == "postgresql" else None
    if server:
        os.environ["BENCH_PG_URL"] = server  # before _common reads it
    sys.path.insert(0, str(BENCH_DIR))
    import _common as C  # noqa: E402

    C.set_jsonl(args.jsonl)
    data_dir = Path(tempfile.mkdtemp(prefix="qq-bench-intake-form-"))
    os.environ["QINQING_DATA_DIR"] = str(data_dir)
    C.DATA_DIR = data_dir
    try:
        if server:
            C.create_db(PG_DB)
            C.setup_django(PG_DB)
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.sqlite3'}"
            os.environ["DJANGO_SETTINGS_MODULE"] = "qinqing.settings"
            import django

            django.setup()
        measure(args, C)
    finally:
        if server and not args.keep:
            C.drop_db(PG_DB)
        if args.keep:
            print(f"  kept: data folder {data_dir}" + (f", database {PG_DB}" if server else ""))
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


def form(i: int, key: str, consultation: bool) -> dict:
    # As the page's script leaves the pickers: their displayed labels, resolved on save.
    if consultation:
        return {"phone": f"1380000{i % 10000:04d}", "name": "张三", "kind": "咨询",
                "category": "审批服务 / 一次性告知不到位", "content": "请问企业开办需要哪些材料，多长时间能办好？",
                "answer": "已告知：通过企业开办一网通办，一个工作日内办结。", "channel": "hotline",
                "idempotency_key": key}
    return {"phone": f"1390000{i % 10000:04d}", "name": "李四", "reporter_enterprise": "示范市某食品有限公司",
            "kind": "投诉", "category": "审批服务 / 办理时限超期", "content": CONTENT,
            "title": f"食品经营许可办理超时 {i}", "enterprise_name": "示范市某食品有限公司",
            "subject_unit": "990102-XZSP", "region": "", "channel": "hotline",
            "idempotency_key": key}


def measure(args, C):
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from qinqing.org.models import User

    vendor = connection.vendor
    meta = machine_meta(C, vendor)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("demo", cases=args.cases, stdout=open(os.devnull, "w"))
    C.emit({"kind": "result", "section": "setup", "name": "migrate_demo", "database": vendor,
            "cases": args.cases, "seconds": round(time.perf_counter() - t0, 2)})

    client = Client()
    client.force_login(User.objects.get(username="intake"))
    counter = iter(range(10**9))

    def save(consultation: bool):
        i = next(counter)
        r = client.post("/intake/new/", form(i, f"bench-{vendor}-{i}", consultation))
        if r.status_code != 201:
            raise SystemExit(f"save failed: {r.status_code} {r.content[:400]!r}")

    def form_page():
        r = client.get("/intake/new/")
        assert r.status_code == 200, r.status_code

    def similar():
        i = next(counter)
        r = client.post("/intake/similar/", {
            "phone": f"1390000{i % 10000:04d}", "enterprise_name": "示范市某食品有限公司",
            "content": CONTENT, "category": "审批服务 / 办理时限超期"})
        assert r.status_code == 200, r.status_code

    variants = {"complaint": lambda: save(False), "consultation": lambda: save(True),
                "form_page": form_page, "similar": similar}
    for fn in variants.values():
        for _ in range(args.warmup):
            fn()
    statements = {}
    for name, fn in variants.items():
        with C.SQLLog(connection) as log:
            fn()
        statements[name] = log.count

    lat = {name: [] for name in variants}
    per_round = max(1, args.n // args.rounds)
    names = list(variants)
    for rnd in range(args.rounds):
        for name in names[rnd % len(names):] + names[:rnd % len(names)]:
            fn = variants[name]
            for _ in range(per_round):
                t = time.perf_counter()
                fn()
                lat[name].append((time.perf_counter() - t) * 1000)

    rows = []
    for name in names:
        s = C.latency_summary(lat[name])
        C.emit({"kind": "result", "section": "intake_form", "name": name, "database": vendor,
                "unit": "ms", "statements": statements[name], "demo_cases": args.cases, **s})
        rows.append([name, s["p50"], s["p95"], s["p99"], s["count"], statements[name]])
    target = {"kind": "targets", "section": "intake_form", "database": vendor,
              "save_p50_ms": round(C.pct(lat["complaint"], 50), 3),
              "save_p50_lt_150ms": C.pct(lat["complaint"], 50) < 150,
              "answered_p50_lt_150ms": C.pct(lat["consultation"], 50) < 150}
    C.emit(target)
    C.print_table(
        f"Intake form on {vendor}, {args.cases} demo cases first, {per_round * args.rounds} "
        f"timed per variant ({meta['date_utc']}, load {meta['loadavg'][0]:.2f})",
        ["variant", "p50 ms", "p95 ms", "p99 ms", "count", "SQL/call"], rows)
    print(f"  target save p50 < 150 ms: complaint {target['save_p50_lt_150ms']}, "
          f"answered consultation {target['answered_p50_lt_150ms']} (not asserted)")


def machine_meta(C, vendor: str) -> dict:
    """C.machine_meta asks PostgreSQL for its version; on SQLite say SQLite's instead."""
    if vendor == "postgresql":
        return C.emit(C.machine_meta("qinqing-intake-form", sys.argv[1:]))
    import sqlite3

    original = C.pg_version
    C.pg_version = lambda: None
    try:
        meta = C.machine_meta("qinqing-intake-form", sys.argv[1:])
    finally:
        C.pg_version = original
    meta["sqlite"] = sqlite3.sqlite_version
    return C.emit(meta)


if __name__ == "__main__":
    main()
