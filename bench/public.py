#!/usr/bin/env python
"""The public side through the real server: filing at /submit/ and reading /track/ pages.

Starts `qinqing serve` (gunicorn, --workers, default 2) on a fresh PostgreSQL database
(qq_bench_public on BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432), with the
demo city and --tracked cases to follow, and drives it from --procs client processes of
--threads threads each (keep-alive HTTP/1.1 connections, loopback):

  submit  POST /submit/ — an anonymous complaint, each with its own form key, after one
          GET of the form per connection for the CSRF cookie (not timed)
  track   GET /track/<number>/ — the public page of a case, after one POST /track/ with
          its number and query code per connection (not timed)

each for --duration seconds. The abuse limits are raised for the run (the bench's client
is one address). Afterwards, with the server stopped:
  - throughput (answers / duration) and latency percentiles of each
  - errors: any status other than 200
  - lost or doubled submissions: every case number answered must be a case in the
    database, and the cases filed through the portal must number exactly the submissions
    answered 200 (none lost, none twice)

Timings are never asserted (targets, issue 16: submissions ≥ 300/s and tracking pages
≥ 600/s, p99 < 100 ms, zero lost). The client runs on the same machine and takes CPU from
the server; its share is printed.

    .venv/bin/python bench/public.py
    .venv/bin/python bench/public.py --duration 20 --procs 2 --threads 8
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import resource
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

DB = "qq_bench_public"
NUMBER = re.compile(rb'data-testid="case-number">([^<]+)<')
FORM = {"kind": "complaint", "category": "SPFW-01", "title": "",
        "content": "办理营业执照变更时窗口要求反复补充同一份材料，希望尽快核实处理。",
        "region": "", "subject_unit": "", "enterprise_name": "", "enterprise_code": "",
        "anonymous": "on", "name": "", "phone": "", "sms_code": "", "action": "submit"}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    ap.add_argument("--threads", type=int, default=8, help="threads per client process")
    ap.add_argument("--duration", type=float, default=15, help="seconds of each load")
    ap.add_argument("--tracked", type=int, default=200, help="cases to follow (default 200)")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


# ------------------------------------------------------------------------- the client

class Browser:
    """One keep-alive connection with its cookies, as one phone's browser."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        self.conn.request(method, path, body=data, headers=headers)
        answer = self.conn.getresponse()
        content = answer.read()
        for header, value in answer.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return answer.status, content


def _client(kind: str, port: int, threads: int, seconds: float, tracked: list, out) -> None:
    """One client process: `threads` browsers for `seconds`; puts its results on `out`."""
    import threading

    results: list[tuple[float, int, str]] = []
    lock = threading.Lock()
    start_at = time.monotonic() + 0.5

    def browse(i: int) -> None:
        browser = Browser(port)
        mine: list[tuple[float, int, str]] = []
        if kind == "submit":
            browser.request("GET", "/submit/")  # the CSRF cookie
        else:
            number, code = tracked[i % len(tracked)]
            browser.request("GET", "/track/")  # the CSRF cookie
            status, _ = browser.request("POST", "/track/", {"number": number, "code": code})
            assert status == 302, f"following {number} answered {status}"
            path = f"/track/{number}/"
        while time.monotonic() < start_at:
            time.sleep(0.01)
        end = start_at + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            if kind == "submit":
                status, content = browser.request("POST", "/submit/",
                                                  {**FORM, "token": uuid.uuid4().hex})
                found = NUMBER.search(content)
                note = found[1].decode() if found else ""
            else:
                status, content = browser.request("GET", path)
                note = ""
            mine.append(((time.perf_counter() - t0) * 1000, status, note))
        with lock:
            results.extend(mine)

    workers = [threading.Thread(target=browse, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.put({"results": results, "cpu": usage.ru_utime + usage.ru_stime})


def load(kind: str, args, port: int, tracked: list) -> dict:
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_client, args=(
        kind, port, args.threads, args.duration, tracked[p::args.procs] or tracked, out))
        for p in range(args.procs)]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    for p in procs:
        p.join()
    results = [r for part in parts for r in part["results"]]
    ok = [r for r in results if r[1] == 200]
    return {"kind": kind, "requests": len(results), "ok": len(ok),
            "errors": len(results) - len(ok), "per_second": round(len(ok) / args.duration, 1),
            "latency_ms": C.latency_summary([r[0] for r in results]) if results else {},
            "client_cpu_s": round(sum(p["cpu"] for p in parts), 1),
            "numbers": [r[2] for r in ok if r[2]]}


# ------------------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, port: int, *, db: str = DB, name: str = "public",
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    """`qinqing serve` over `db` (the abuse limits raised: the bench is one address);
    `env` adds settings (bench/ratings.py raises its own limits)."""
    env = {**os.environ, "DATABASE_URL": C.db_url(db), "QINQING_DATA_DIR": str(C.DATA_DIR),
           "QINQING_BIND": f"127.0.0.1:{port}", "QINQING_WORKERS": str(args.workers),
           "QINQING_ALLOWED_HOSTS": "127.0.0.1,localhost", "QINQING_DEBUG": "0",
           "QINQING_PORTAL_SUBMISSIONS_PER_ADDRESS": "10000",
           "DJANGO_SETTINGS_MODULE": "qinqing.settings", **(env or {})}
    log = open(C.DATA_DIR / f"bench-{name}-server.log", "w")  # noqa: SIM115 (kept open)
    proc = subprocess.Popen([sys.executable, "-m", "qinqing.cli", "serve"], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/track/")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not answer within 40 s")


def main(argv=None):
    args = parse_args(argv)
    C.set_jsonl(args.jsonl)
    C.create_db(DB)
    C.setup_django(DB)
    from django.core.management import call_command

    from qinqing.cases import services
    from qinqing.cases.models import Case

    C.migrate_and_demo()
    call_command("collectstatic", verbosity=0, interactive=False)
    tracked = []
    for i in range(args.tracked):
        intake = services.create_case(None, {
            "kind": "consultation", "channel": "hotline", "category": "SPFW-01",
            "content": f"第{i}件：营业执照变更网上办理一直提示系统繁忙，请问怎么办？"})
        tracked.append((intake.case.number, intake.query_code))
    before = Case.objects.count()
    from django.db import connections

    connections.close_all()

    port = free_port()
    server = start_server(args, port)
    try:
        C.emit({"bench": "public", **C.machine_meta("public", sys.argv[1:])})
        submit = load("submit", args, port, tracked)
        track = load("track", args, port, tracked)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    numbers = submit.pop("numbers")
    track.pop("numbers")
    filed = set(Case.objects.filter(intake_key__startswith="public:portal:")
                .values_list("number", flat=True))
    check = {"answered": len(numbers), "distinct_answered": len(set(numbers)),
             "cases_filed": len(filed), "cases_added": Case.objects.count() - before,
             "answered_not_in_database": len(set(numbers) - filed),
             "filed_not_answered": len(filed - set(numbers))}
    for record in (submit, track):
        C.emit({"bench": "public", "workers": args.workers, "procs": args.procs,
                "threads": args.threads, "duration_s": args.duration, **record})
    C.emit({"bench": "public", "check": check})
    C.print_table("public side through gunicorn", [
        "load", "answers 200", "errors", "per s", "p50 ms", "p99 ms", "client CPU s"], [
        [r["kind"], r["ok"], r["errors"], r["per_second"], r["latency_ms"].get("p50"),
         r["latency_ms"].get("p99"), r["client_cpu_s"]] for r in (submit, track)])
    print(json.dumps(check, ensure_ascii=False))
    if not args.keep:
        C.drop_db(DB)


if __name__ == "__main__":
    main()
