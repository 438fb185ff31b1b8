#!/usr/bin/env python
"""`qinqing import-cases` on PostgreSQL: a generated city history, replayed in bulk (or, with
--through-services, loaded case by case through the services).

What it does, in one command:

1. creates qq_bench_import (on BENCH_PG_URL), migrates, builds the demo city and its
   assignment catalogue;
2. writes a history file of --rows cases (--format jsonl or xlsx; the xlsx in openpyxl's
   streaming write-only mode) received over the two years before --now, on working days
   in office hours mostly, in a realistic mix: about half consultations answered
   directly; a third routed along the catalogue and living receive → dispatch → sign →
   reply → review → callback (a few dissatisfied, so reopened and left open; a few closed
   unrated; a few still open at dispatch or handling); the rest rejected or not accepted.
   The generator is seeded: the same arguments give the same file;
3. runs `qinqing import-cases FILE --dry-run` (validation only) and then
   `qinqing import-cases FILE` as child processes, each timed by the wall clock, with its
   peak resident memory read from getrusage(RUSAGE_CHILDREN) after it ends;
4. with --check, runs `qinqing verify-ledger` and `qinqing rollup --check` after it, and
   compares the daily rollups with the rolled-up facts (and counts the cases whose facts
   are still pending: those received and never moved).

Prints a table and JSON lines (--jsonl appends them to a file); drops the database at the
end unless --keep. Timings are never asserted. With --dry-run-only the database gets no
cases: for the memory of validating a file too large to load here (a million rows).

    .venv/bin/python bench/import_cases.py --rows 20000 --check
    .venv/bin/python bench/import_cases.py --rows 1000000 --dry-run-only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
HEADER = ["原工单编号", "诉求类型", "来源渠道", "类别编码", "区划代码", "标题", "诉求内容",
          "反映人姓名", "联系电话", "受理时间", "派单时间", "主办单位编码", "签收时间", "答复时间",
          "答复内容", "审核时间", "回访时间", "满意度", "回访说明", "办结时间", "办结方式", "办结说明"]
KEYS = ["external_id", "kind", "channel", "category", "region", "title", "content",
        "reporter_name", "reporter_phone", "received_at", "dispatched_at", "lead_unit",
        "signed_at", "replied_at", "answer", "reviewed_at", "called_back_at", "satisfaction",
        "callback_note", "closed_at", "outcome", "close_reason"]
LIVES = [("direct", 48), ("full", 33), ("reopened", 2), ("unrated", 2), ("open", 3),
         ("rejected", 5), ("not_accepted", 7)]


def generate(path: Path, rows: int, fmt: str, now: datetime, seed: int = 2024) -> dict:
    """Write the history file; returns counts by life."""
    from qinqing.cases.models import Category
    from qinqing.cases.queries import propose_assignment
    from qinqing.org.models import REGION_KINDS, Unit
    from qinqing.worktime.calendar import add_office_time
    from qinqing.worktime.queries import current_calendar

    rng = random.Random(seed)
    calendar = current_calendar()
    regions = list(Unit.objects.filter(kind__in=REGION_KINDS, is_active=True)
                   .values_list("code", flat=True))
    categories = list(Category.objects.filter(is_active=True, parent__isnull=False))
    routes = {}
    for category in categories:
        for region in regions:
            rule = propose_assignment(category, Unit.objects.get(code=region))
            if rule:
                routes[(category.code, region)] = rule.lead_unit.code
    routed = sorted(routes)
    lives, weights = zip(*LIVES)
    counts: dict[str, int] = {}
    day_span = 730
    first = now - timedelta(days=day_span)

    def office(t, lo, hi):
        return add_office_time(calendar, t, timedelta(minutes=rng.uniform(lo, hi)))

    def show(t):
        return f"{t.astimezone(SH):%Y-%m-%d %H:%M:%S}"

    def record(i: int) -> dict:
        life = rng.choices(lives, weights)[0]
        counts[life] = counts.get(life, 0) + 1
        received = first + timedelta(minutes=rng.uniform(0, (day_span - 20) * 1440))
        received = office(received, 0, 1)  # moved into office hours, as most calls are
        category, region = rng.choice(routed)
        rec = {"external_id": f"HIS-{i:07d}", "channel": "hotline", "category": category,
               "region": region, "received_at": show(received),
               "content": f"来电人反映第{i}号事项：企业办理相关业务时遇到困难，请求协调解决。",
               "title": f"历史诉求{i}"}
        if rng.random() < 0.8:
            rec["reporter_name"] = rng.choice("张王李赵刘陈杨黄") + rng.choice("明华强静敏军")
            rec["reporter_phone"] = f"1380000{rng.randint(0, 9999):04d}"
        if life == "direct":
            rec.update(kind="consultation", outcome="直接答复", answer="已当场答复政策口径。",
                       closed_at=show(received + timedelta(minutes=rng.uniform(2, 15))))
            return rec
        rec["kind"] = rng.choice(["complaint", "complaint", "help", "suggestion"])
        if life in ("rejected", "not_accepted"):
            rec.update(outcome=life, close_reason="不属于营商环境诉求受理范围。",
                       closed_at=show(office(received, 5, 60)))
            if life == "not_accepted":
                rec["answer"] = "已告知来电人通过诉讼途径解决。"
            return rec
        t = office(received, 5, 90)
        rec.update(dispatched_at=show(t), lead_unit=routes[(category, region)])
        if life == "open" and rng.random() < 0.5:
            return rec
        t = office(t, 5, 120)
        rec["signed_at"] = show(t)
        if life == "open":
            return rec
        t = office(t, 120, 2000)
        rec.update(replied_at=show(t), answer="经核查，已协调相关科室办结，并告知企业。")
        t = office(t, 15, 300)
        rec["reviewed_at"] = show(t)
        t = office(t, 20, 600)
        if life == "unrated":
            rec.update(outcome="unrated", closed_at=show(t), close_reason="三次联系未接通。")
        elif life == "reopened":
            rec.update(called_back_at=show(t), satisfaction="不满意", callback_note="问题未解决。")
        else:
            rec.update(called_back_at=show(t),
                       satisfaction=rng.choice(["满意", "满意", "基本满意"]), callback_note="")
        return rec

    if fmt == "jsonl":
        with path.open("w", encoding="utf-8") as out:
            for i in range(1, rows + 1):
                out.write(json.dumps(record(i), ensure_ascii=False) + "\n")
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("历史工单")
        sheet.append(HEADER)
        for i in range(1, rows + 1):
            rec = record(i)
            sheet.append([rec.get(k) for k in KEYS])
        book.save(path)
    return counts


def child(args: list[str], dbname: str) -> dict:
    """Run `qinqing import-cases ...` in a child process: wall time and its own peak RSS
    (os.wait4 gives the rusage of that one child, ru_maxrss in KiB on Linux)."""
    import tempfile

    env = dict(os.environ, DATABASE_URL=C.db_url(dbname), QINQING_DATA_DIR=str(C.DATA_DIR),
               DJANGO_SETTINGS_MODULE="qinqing.settings")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "qinqing", *args], env=env,
                                stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"seconds": round(seconds, 2), "status": proc.returncode,
                "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                "stdout": out.read().strip()[-400:], "stderr": err.read().strip()[-400:]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="cases in the file (100,000)")
    ap.add_argument("--format", choices=("jsonl", "xlsx"), default="jsonl")
    ap.add_argument("--now", default="2026-11-30T12:00:00+08:00",
                    help="the history ends two years after it starts, before this moment")
    ap.add_argument("--batch", type=int, default=1000, help="cases per transaction")
    ap.add_argument("--through-services", action="store_true",
                    help="load case by case through the services (the slow path) instead "
                         "of the bulk replay")
    ap.add_argument("--dry-run-only", action="store_true",
                    help="validate only (memory of a large file), load nothing")
    ap.add_argument("--check", action="store_true",
                    help="run verify-ledger and rollup --check after the load")
    ap.add_argument("--db", default="qq_bench_import")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    args = ap.parse_args(argv)
    C.on_database(args, lambda a, reused: _run(a))


def _run(args) -> None:
    from django.db import connection

    from qinqing.demo.cases import build_demo_catalogue

    C.emit(C.machine_meta("import_cases", sys.argv))
    setup = C.migrate_and_demo()
    build_demo_catalogue()
    connection.close()
    now = datetime.fromisoformat(args.now)
    path = C.DATA_DIR / f"history-{args.rows}.{args.format}"
    t0 = time.perf_counter()
    counts = generate(path, args.rows, args.format, now)
    connection.close()
    C.emit({"kind": "file", "rows": args.rows, "format": args.format, "lives": counts,
            "bytes": path.stat().st_size, "generate_s": round(time.perf_counter() - t0, 1),
            "demo_s": setup["seconds"]})
    dry = child(["import-cases", str(path), "--dry-run"], args.db)
    C.emit({"kind": "validate", **dry, "rows_per_s": round(args.rows / dry["seconds"])})
    table = [["validate (--dry-run)", dry["seconds"], round(args.rows / dry["seconds"]),
              dry["peak_rss_mb"]]]
    if not args.dry_run_only:
        C.wait_quiet(60)
        load = child(["import-cases", str(path), "--batch", str(args.batch),
                      *(["--through-services"] if args.through_services else [])], args.db)
        from qinqing.cases.models import Case, CaseEvent

        cases, events = Case.objects.count(), CaseEvent.objects.count()
        C.emit({"kind": "import", **load, "cases": cases, "events": events,
                "path": "services" if args.through_services else "bulk replay",
                "cases_per_s": round(cases / load["seconds"], 1),
                "events_per_s": round(events / load["seconds"], 1)})
        table.append(["import (validate + load)", load["seconds"],
                      round(cases / load["seconds"], 1), load["peak_rss_mb"]])
        again = child(["import-cases", str(path)], args.db)
        C.emit({"kind": "reimport", **again, "cases_after": Case.objects.count()})
        table.append(["re-import (nothing new)", again["seconds"],
                      round(args.rows / again["seconds"]), again["peak_rss_mb"]])
        if args.check:
            for name, cmd in (("verify-ledger", ["verify-ledger"]),
                              ("rollup --check", ["rollup", "--check"])):
                result = child(cmd, args.db)
                C.emit({"kind": "check", "which": name, **result})
                table.append([f"{name} (status {result['status']})", result["seconds"], "",
                              result["peak_rss_mb"]])
            # `rollup --check` compares the facts with the case tables; the rollups are
            # compared with the rolled facts here (insights.facts.rollup_differences).
            from qinqing.insights import facts
            from qinqing.insights.models import Fact

            t0 = time.perf_counter()
            wrong = facts.rollup_differences()
            pending = Fact.objects.filter(rolled=False).values("case_id").distinct().count()
            seconds = round(time.perf_counter() - t0, 2)
            C.emit({"kind": "check", "which": "rollups", "differences": len(wrong),
                    "cases_with_pending_facts": pending, "seconds": seconds})
            table.append([f"rollups = rolled facts ({len(wrong)} differences; "
                          f"{pending} cases pending)", seconds, "", ""])
    C.print_table(f"import-cases, {args.rows} rows ({args.format})",
                  ["step", "seconds", "rows or cases/s", "peak RSS MB"], table)
    C.emit({"kind": "meta_after", "loadavg": [round(x, 2) for x in os.getloadavg()]})


if __name__ == "__main__":
    main()
