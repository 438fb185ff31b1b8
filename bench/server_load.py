#!/usr/bin/env python
"""Server benchmark: intake through the real server (gunicorn) under 16 concurrent clients.

Starts `qinqing serve --workers 2 --bind 127.0.0.1:PORT` (gunicorn, its access log to a
file) on a fresh database (qq_bench_server, --preload cases bulk-loaded first, default
100,000), then drives POST /api/v1/cases with wrk (Debian's `apt-get install wrk`) and
bench/intake.lua: --connections 16, --duration 20 s, a unique Idempotency-Key per
request, loopback only. A 3-second warm-up run comes first (its cases are not counted).

Afterwards, with the server stopped (gracefully, so requests in flight finish):
  - throughput (completed requests / duration) and wrk's latency percentiles
  - errors: socket errors, timeouts and any status other than 201
  - duplicates: every response's case number must be unique and in the database, and
    the cases with this run's intake keys must number exactly the POSTs the server
    received (its access log, read after the graceful stop): wrk's completed requests
    plus those in flight when wrk stopped (at most one per connection; wrk does not
    count a request it did not see answered)
  - CPU used per request by gunicorn (master + workers), PostgreSQL (every postgres
    process) and wrk, and how busy the machine's cores were

Stops by itself (wrk's --duration); kills only the processes it started; drops its
database unless --keep.

    .venv/bin/python bench/server_load.py
    .venv/bin/python bench/server_load.py --duration 20 --connections 16 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

LUA = C.BENCH_DIR / "intake.lua"
_STARTED: list[subprocess.Popen] = []  # servers this run started, stopped on the way out


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--connections", type=int, default=16, help="concurrent clients (default 16)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    ap.add_argument("--duration", type=int, default=20, help="seconds of load (default 20)")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of untimed load first")
    ap.add_argument("--preload", type=int, default=100_000, help="cases bulk-loaded first")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--wsgi-app", metavar="MODULE:APP",
                    help="serve this WSGI app with the same gunicorn flags `qinqing serve` uses "
                         "instead of `qinqing serve` itself (to A/B-test a change without "
                         "touching src/); with --pythonpath")
    ap.add_argument("--pythonpath", help="folder added to PYTHONPATH for --wsgi-app")
    ap.add_argument("--db", default="qq_bench_server")
    ap.add_argument("--keep", action="store_true", help="keep the database and the run folder")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                             text=True).stdout
        return [int(x) for x in out.split()]
    except OSError:
        return []


def postgres_pids(dbname: str) -> list[int]:
    """The server processes that work for this benchmark: the backends connected to its
    database and PostgreSQL's own background processes (WAL writer, checkpointer, ...).
    Backends of other databases (other people's test runs) are left out."""
    import psycopg

    with psycopg.connect(C.db_url("postgres"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
            "(datname = %s OR backend_type NOT IN ('client backend', 'autovacuum worker', "
            "'parallel worker'))", [dbname]).fetchall()
    return [r[0] for r in rows]


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores from /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def cpu_snapshot(server_pid: int, dbname: str, pg_pids=None) -> dict:
    gun = [server_pid] + children(server_pid)
    return {"gunicorn": {p: C.proc_cpu(p) for p in gun},
            "postgres": {p: C.proc_cpu(p) for p in (pg_pids or postgres_pids(dbname))},
            "machine": machine_busy()}


def cpu_delta(a: dict, b: dict, key: str) -> float:
    return sum(b[key][p] - a[key].get(p, 0.0) for p in b[key])


class LockSampler:
    """Samples pg_stat_activity every 20 ms while the load runs: how many of the
    benchmark's backends are running a statement, and how many wait for a lock (e.g. the
    row of cases_casenumbersequence that every intake updates)."""

    def __init__(self, dbname: str):
        import threading

        self.dbname = dbname
        self.samples: list[tuple[int, int, int]] = []
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        import psycopg

        with psycopg.connect(C.db_url("postgres"), autocommit=True) as conn:
            while not self.stop_flag.is_set():
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE state = 'active'), "
                    "count(*) FILTER (WHERE wait_event_type = 'Lock'), "
                    "count(*) FILTER (WHERE state = 'idle in transaction') "
                    "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    [self.dbname]).fetchone()
                self.samples.append(tuple(row))
                time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join(timeout=5)

    def summary(self) -> dict:
        n = max(1, len(self.samples))
        return {"samples": len(self.samples),
                "mean_active": round(sum(s[0] for s in self.samples) / n, 2),
                "mean_waiting_on_lock": round(sum(s[1] for s in self.samples) / n, 2),
                "share_with_lock_wait": round(sum(1 for s in self.samples if s[1]) / n, 3),
                "mean_idle_in_transaction": round(sum(s[2] for s in self.samples) / n, 2)}


def wait_ready(port: int, timeout: float = 40.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/cases", timeout=2)
        except urllib.error.HTTPError:
            return  # 401: it answers
        except OSError:
            time.sleep(0.2)
            continue
        return
    raise SystemExit(f"server did not answer on port {port} within {timeout:.0f} s")


def run_wrk(args, port, token, prefix, outdir, seconds) -> dict:
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "10s",
           "-s", str(LUA), f"http://127.0.0.1:{port}", "--", token, prefix, str(outdir)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("WRKJSON ")), None)
    if proc.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    res = json.loads(line[len("WRKJSON "):])
    res["wrk_cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    res["wrk_text"] = proc.stdout
    numbers, errors = [], []
    for f in sorted(outdir.glob("numbers-*.txt")):
        for ln in f.read_text().splitlines():
            (errors if ln.startswith("ERR") or ln == "NONUMBER" else numbers).append(ln)
    res["numbers"], res["errors"] = numbers, errors
    return res


def main(argv=None):
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    C.set_jsonl(args.jsonl)
    C.create_db(args.db)
    workdir = Path(tempfile.mkdtemp(prefix="qq-server-load-"))
    try:
        C.setup_django(args.db)
        run(args, workdir)
    finally:
        for server in _STARTED:
            if server.poll() is None:
                stop_server(server)
        if not args.keep:
            C.drop_db(args.db)
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept database {args.db} and {workdir}")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM to the gunicorn master (its own process group), then SIGKILL if needed."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def run(args, workdir: Path) -> None:
    from django.db import connection

    from qinqing.org.models import User

    meta = C.emit(C.machine_meta("qinqing-server-load", sys.argv[1:]))
    demo = C.migrate_and_demo()
    if args.preload:
        from load_cases import load

        res = load(C.db_url(args.db), args.preload, seed=5)
        C.emit({"kind": "result", "section": "load", "name": "preload", **res,
                "migrate_demo_s": demo["seconds"]})
    token = C.token_for("intake")
    intake_id = User.objects.get(username="intake").pk
    connection.close()

    port = args.port or free_port()
    env = dict(os.environ, DATABASE_URL=C.db_url(args.db), QINQING_DATA_DIR=str(C.DATA_DIR))
    log = open(workdir / "gunicorn.log", "w")
    cmd = [str(C.VENV_BIN / "qinqing"), "serve", "--workers", str(args.workers),
           "--bind", f"127.0.0.1:{port}"]
    if args.wsgi_app:  # the command `qinqing serve` execs, with another app
        cmd = [str(C.VENV_BIN / "python"), "-m", "gunicorn", args.wsgi_app, "--bind",
               f"127.0.0.1:{port}", "--workers", str(args.workers), "--access-logfile", "-",
               "--graceful-timeout", "5"]
        if args.pythonpath:
            env["PYTHONPATH"] = args.pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    server = subprocess.Popen(
        cmd,
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=C.REPO)
    _STARTED.append(server)
    wait_ready(port)
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/cases", method="POST",
        data=json.dumps({"kind": "consultation", "channel": "web", "category": "QT-01",
                         "content": "冒烟测试"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": "smoke"})
    with urllib.request.urlopen(req, timeout=10) as r:
        if r.status != 201:
            raise SystemExit(f"smoke intake answered {r.status}")

    runid = f"{int(time.time())}"
    if args.warmup:
        run_wrk(args, port, token, f"warm{runid}", workdir / "warm", args.warmup)
    time.sleep(0.5)
    pg_pids = postgres_pids(args.db)
    cpu0 = cpu_snapshot(server.pid, args.db, pg_pids)
    log.flush()
    log_offset = (workdir / "gunicorn.log").stat().st_size
    with LockSampler(args.db) as sampler:
        res = run_wrk(args, port, token, f"run{runid}", workdir / "run", args.duration)
    cpu1 = cpu_snapshot(server.pid, args.db, pg_pids)
    locks = sampler.summary()
    time.sleep(0.5)
    stop_server(server)  # graceful: requests in flight finish before the count
    with open(workdir / "gunicorn.log", "rb") as fh:
        fh.seek(log_offset)
        access = fh.read().decode(errors="replace").splitlines()
    served_201 = sum(1 for ln in access if '"POST /api/v1/cases HTTP/1.1" 201 ' in ln)
    served_other = sum(1 for ln in access if '"POST /api/v1/cases HTTP/1.1" ' in ln
                       and '"POST /api/v1/cases HTTP/1.1" 201 ' not in ln)

    from django.db import connection as conn

    conn.connect()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT number) FROM cases_case "
                    "WHERE intake_key LIKE %s", [f"{intake_id}:run{runid}-%"])
        db_count, db_distinct = cur.fetchone()
        cur.execute("SELECT number FROM cases_case WHERE intake_key LIKE %s",
                    [f"{intake_id}:run{runid}-%"])
        db_numbers = {r[0] for r in cur.fetchall()}
    numbers = res["numbers"]
    dup = len(numbers) - len(set(numbers))
    missing = len(set(numbers) - db_numbers)
    seconds = res["duration_us"] / 1e6
    rate = res["requests"] / seconds
    errors = (res["err_connect"] + res["err_read"] + res["err_write"] + res["err_timeout"]
              + res["other_status"] + len(res["errors"]) + served_other)
    done = res["requests"]
    cpu = {
        "gunicorn_ms_per_req": round(cpu_delta(cpu0, cpu1, "gunicorn") * 1000 / done, 3),
        "postgres_ms_per_req": round(cpu_delta(cpu0, cpu1, "postgres") * 1000 / done, 3),
        "wrk_ms_per_req": round(res["wrk_cpu_s"] * 1000 / done, 3),
        "machine_busy_pct": round(100 * (cpu1["machine"][0] - cpu0["machine"][0])
                                  / max(1, cpu1["machine"][1] - cpu0["machine"][1]), 1),
    }
    # What the CPU each case costs allows on this many otherwise idle cores.
    per_case = cpu["gunicorn_ms_per_req"] + cpu["postgres_ms_per_req"] + cpu["wrk_ms_per_req"]
    cpu["cpu_ms_per_case_total"] = round(per_case, 3)
    cpu["cpu_bound_ceiling_per_s"] = round((os.cpu_count() or 1) * 1000 / per_case, 1)
    rec = C.emit({
        "kind": "result", "section": "server", "name": "intake_wrk", "workers": args.workers,
        "wsgi_app": args.wsgi_app or "qinqing serve",
        "connections": args.connections, "threads": args.threads, "duration_s": round(seconds, 2),
        "preload": args.preload, "requests_completed": done, "requests_generated": res["sent"],
        "cases_per_s": round(rate, 1), "p50_ms": res["lat_p50_us"] / 1000,
        "p90_ms": res["lat_p90_us"] / 1000, "p99_ms": res["lat_p99_us"] / 1000,
        "p999_ms": res["lat_p999_us"] / 1000, "max_ms": res["lat_max_us"] / 1000,
        "mean_ms": round(res["lat_mean_us"] / 1000, 3), "ok_201": res["ok_201"],
        "errors": errors, "error_samples": res["errors"][:5],
        "socket_errors": {k: res[k] for k in ("err_connect", "err_read", "err_write",
                                              "err_timeout")},
        "response_numbers": len(numbers), "duplicate_numbers": dup,
        "numbers_not_in_db": missing, "db_cases_this_run": db_count,
        "db_distinct_numbers": db_distinct, "server_logged_201": served_201,
        "server_logged_other": served_other,
        "in_flight_at_stop": db_count - done,
        "db_equals_requests_received": db_count == served_201 + served_other and served_other == 0,
        "pg_activity": locks, **cpu})
    targets = {
        "ge_300_per_s": rate >= 300, "p99_le_100ms": rec["p99_ms"] <= 100,
        "zero_errors": errors == 0,
        # every request the server received made exactly one case, every response's number
        # is unique and in the database, and only requests cut off by wrk's stop (at most
        # one per connection) created a case wrk did not see answered
        "zero_duplicates": dup == 0 and missing == 0 and db_count == served_201
        and db_distinct == db_count and 0 <= db_count - done <= args.connections,
    }
    C.emit({"kind": "targets", "section": "server", "name": "targets", **targets})
    C.print_table(
        f"Intake through gunicorn ({args.workers} workers"
        f"{', ' + args.wsgi_app if args.wsgi_app else ''}), wrk {args.connections} connections, "
        f"{seconds:.0f} s, {args.preload:,} cases preloaded — {meta['date_utc']}, "
        f"load {meta['loadavg'][0]:.2f}",
        ["figure", "value"],
        [["cases/s", round(rate, 1)], ["latency p50 ms", rec["p50_ms"]],
         ["latency p90 ms", rec["p90_ms"]], ["latency p99 ms", rec["p99_ms"]],
         ["latency max ms", rec["max_ms"]],
         ["requests completed (wrk) / received (server log)",
          f"{done} / {served_201 + served_other}"],
         ["cut off in flight by wrk's stop", db_count - done],
         ["errors (socket, timeout, non-201)", errors],
         ["duplicate numbers in responses", dup],
         ["cases in DB for this run", db_count],
         ["CPU ms/request gunicorn", cpu["gunicorn_ms_per_req"]],
         ["CPU ms/request postgres", cpu["postgres_ms_per_req"]],
         ["CPU ms/request wrk", cpu["wrk_ms_per_req"]],
         ["ceiling if the cores were idle (cases/s)", cpu["cpu_bound_ceiling_per_s"]],
         ["machine busy %", cpu["machine_busy_pct"]],
         ["backends running / waiting on a lock (mean)",
          f"{locks['mean_active']} / {locks['mean_waiting_on_lock']}"]])
    print("  targets: " + ", ".join(f"{k}: {'met' if v else 'MISSED'}" for k, v in targets.items()))


if __name__ == "__main__":
    main()
