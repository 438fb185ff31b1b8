#!/usr/bin/env python
"""Ratings (好差评) through the real server: scanning a window's code and rating it.

Starts `qinqing serve` (gunicorn, --workers, default 2) on a fresh PostgreSQL database
(qq_bench_ratings on BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432) with the
demo city and a supervision code on every window of its service halls, and drives it from
--procs client processes of --threads threads each (keep-alive HTTP/1.1, loopback), as
phones that scanned a window's code:

  scan  GET /c/<token> — the page a scan opens (the object, its unit, the five levels)
  rate  POST /c/<token> — a rating, each with its own form key (a page load's), after one
        GET of the page per connection for the CSRF cookie (not timed). Levels as people
        give them at windows: mostly 非常满意 and 满意, some 基本满意, and every
        --bad-every-th rating 非常不满意 with a reason and a text, which opens its
        rectification case in the same transaction (the expensive kind)

each for --duration seconds. The ratings' abuse limit per address is raised for the run
(the bench's clients are one address). Afterwards, with the server stopped:
  - throughput (answers / duration) and latency percentiles of each
  - errors: any status other than 200
  - lost or doubled ratings: the ratings in the database must number exactly the
    thank-you pages answered (each form key once), and every bad one has its case

Timings are never asserted (targets, issue 17: scan pages ≥ 600/s and rating submissions
≥ 300/s, p99 < 100 ms, zero lost). The client runs on the same machine and takes CPU from
the server; its share is printed.

    .venv/bin/python bench/ratings.py
    .venv/bin/python bench/ratings.py --duration 20 --procs 2 --threads 8
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
from public import Browser, free_port, start_server  # noqa: E402

DB = "qq_bench_ratings"
THANKS = b'data-testid="rated"'
GOOD = [1] * 6 + [2] * 3 + [3]  # 非常满意, 满意, 基本满意 as windows see them


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--procs", type=int, default=2, help="client processes (default 2)")
    ap.add_argument("--threads", type=int, default=8, help="threads per client process")
    ap.add_argument("--duration", type=float, default=15, help="seconds of each load")
    ap.add_argument("--bad-every", type=int, default=50,
                    help="every n-th rating is 非常不满意 (default 50: 2 %%)")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def _client(kind: str, port: int, threads: int, seconds: float, tokens: list, bad_every: int,
            seed: int, out) -> None:
    """One client process: `threads` phones for `seconds`; puts its results on `out`."""
    import threading

    results: list[tuple[float, int, bool]] = []
    lock = threading.Lock()
    start_at = time.monotonic() + 0.5

    def phone(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        browser = Browser(port)
        path = f"/c/{tokens[i % len(tokens)]}"
        status, _ = browser.request("GET", path)  # the CSRF cookie
        assert status == 200, f"{path} answered {status}"
        mine: list[tuple[float, int, bool]] = []
        n = 0
        while time.monotonic() < start_at:
            time.sleep(0.01)
        end = start_at + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            if kind == "scan":
                status, content = browser.request("GET", path)
                thanked = False
            else:
                n += 1
                form = {"action": "rate", "token": uuid.uuid4().hex, "name": "", "phone": "",
                        "sms_code": "", "reason": "", "text": "",
                        "level": str(rng.choice(GOOD))}
                if bad_every and n % bad_every == 0:
                    form.update(level="5", reason="staff",
                                text="窗口说材料不全却不告诉缺哪一份，来回跑了三趟。")
                status, content = browser.request("POST", path, form)
                thanked = THANKS in content
            mine.append(((time.perf_counter() - t0) * 1000, status, thanked))
            path = f"/c/{tokens[rng.randrange(len(tokens))]}"
        with lock:
            results.extend(mine)

    workers = [threading.Thread(target=phone, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.put({"results": results, "cpu": usage.ru_utime + usage.ru_stime})


def load(kind: str, args, port: int, tokens: list) -> dict:
    out = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_client, args=(
        kind, port, args.threads, args.duration, tokens, args.bad_every, p, out))
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
            "thanked": sum(1 for r in ok if r[2])}


def main(argv=None):
    args = parse_args(argv)
    C.set_jsonl(args.jsonl)
    C.create_db(DB)
    C.setup_django(DB)
    from django.core.management import call_command

    from qinqing.demo.cases import build_demo_catalogue
    from qinqing.demo.codes import build_demo_codes

    C.migrate_and_demo()
    build_demo_catalogue()  # the rectification cases' category
    build_demo_codes()
    call_command("collectstatic", verbosity=0, interactive=False)
    from qinqing.codes.models import SupervisionCode

    tokens = list(SupervisionCode.objects.filter(revoked_at=None, unit__isnull=False)
                  .values_list("token", flat=True))
    from django.db import connections

    connections.close_all()
    port = free_port()
    server = start_server(args, port, db=DB, name="ratings",
                          env={"QINQING_RATINGS_PER_ADDRESS": "10000"})
    try:
        C.emit({"bench": "ratings", **C.machine_meta("ratings", sys.argv[1:]),
                "codes": len(tokens)})
        scan = load("scan", args, port, tokens)
        rate = load("rate", args, port, tokens)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)

    from qinqing.ratings.models import Rating

    ratings = Rating.objects.count()
    bad = Rating.objects.filter(level__gte=4)
    check = {"thank_you_pages": rate["thanked"], "ratings_in_database": ratings,
             "distinct_form_keys": Rating.objects.values("form_token").distinct().count(),
             "bad": bad.count(), "bad_with_case": bad.filter(case__isnull=False).count()}
    for record in (scan, rate):
        C.emit({"bench": "ratings", "workers": args.workers, "procs": args.procs,
                "threads": args.threads, "duration_s": args.duration, **record})
    C.emit({"bench": "ratings", "check": check})
    C.print_table("ratings through gunicorn", [
        "load", "answers 200", "errors", "per s", "p50 ms", "p99 ms", "client CPU s"], [
        [r["kind"], r["ok"], r["errors"], r["per_second"], r["latency_ms"].get("p50"),
         r["latency_ms"].get("p99"), r["client_cpu_s"]] for r in (scan, rate)])
    print(json.dumps(check, ensure_ascii=False))
    if not args.keep:
        C.drop_db(DB)


if __name__ == "__main__":
    main()
