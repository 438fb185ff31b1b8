#!/usr/bin/env python
"""Print the Qinqing vs django-helpdesk vs raw-driver table (Markdown) from a results folder.

    .venv/bin/python bench/summary.py /tmp/qq-bench-results/<run>

Reads helpdesk.jsonl, intake.jsonl, server_load.jsonl and cases_list.jsonl as written by
bench/run_all.sh (any of them may be missing).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(ln) for ln in path.read_text().splitlines() if ln.startswith("{")]


def find(recs, **kw):
    return next((r for r in recs if all(r.get(k) == v for k, v in kw.items())), None)


def yn(ok) -> str:
    return "—" if ok is None else ("**met**" if ok else "**missed**")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder")
    folder = Path(ap.parse_args(argv).folder)
    hd = records(folder / "helpdesk.jsonl")
    hd2 = records(folder / "helpdesk_after.jsonl")
    it = records(folder / "intake.jsonl")
    sv = records(folder / "server_load.jsonl")
    cl = records(folder / "cases_list.jsonl")
    hd_meta = find(hd, kind="meta") or {}
    n = hd_meta.get("n")

    print(f"Results: {folder}\n")
    for name, recs in (("helpdesk", hd), ("intake", it), ("helpdesk_after", hd2),
                       ("server_load", sv), ("cases_list", cl)):
        m = find(recs, kind="meta")
        if m:
            print(f"- {name}: {m.get('date_utc')} load {m.get('loadavg')} "
                  f"busy before {m.get('cpu_busy_before_pct', '?')} %")
    print()
    print("| figure | Qinqing | django-helpdesk | raw driver |")
    print("|---|---:|---:|---:|")
    subs = [r for r in (find(hd, name="view_create_staff_submit"),
                        find(hd2, name="view_create_staff_submit")) if r]
    # the faster helpdesk figure of the runs before and after Qinqing's intake (conservative)
    sub = min(subs, key=lambda r: r["p50"]) if subs else None
    sub_all = " / ".join(f"{r['p50']:.2f}" for r in subs)
    api = find(it, section="intake", name="api_token")
    ses = find(it, section="intake", name="api_session")
    svc = find(it, section="intake", name="service")
    intake_recs = [r for r in it if r.get("section") == "intake" and r.get("kind") == "result"]
    raws = [r for r in intake_recs if r["name"].startswith("raw_writes")]
    raw = min(raws, key=lambda r: r["p50"]) if raws else None
    rawall = [r for r in intake_recs if r["name"].startswith("raw_all")]
    raw_a = min(rawall, key=lambda r: r["p50"]) if rawall else None
    pre = api.get("preload") if api else None
    if api:
        hd_cell = (f"{sub['p50']:.2f} ({sub['sql_per_ticket']} SQL) [{n:,} tickets; runs before"
                   f" / after: {sub_all}]" if sub else "—")
        print(f"| intake p50, in-process, token (ms) [{pre:,} cases] | {api['p50']:.2f} "
              f"({api['statements']} SQL) | {hd_cell} |", end="")
        print(f" {raw['p50']:.2f} ({raw['statements']} SQL, {raw['name']}) |" if raw else " — |")
    if ses:
        print(f"| intake p50, in-process, session login (ms) | {ses['p50']:.2f} "
              f"({ses['statements']} SQL) | (helpdesk logs in) | "
              f"{raw_a['p50']:.2f} (all {raw_a['statements']} statements, {raw_a['name']}) |"
              if raw_a else " — |")
    if svc:
        print(f"| intake p50, service call without HTTP (ms) | {svc['p50']:.2f} "
              f"({svc['statements']} SQL) "
              f"| ORM create only: {find(hd, name='orm_create_atomic')['p50']:.2f} (3 SQL) | |"
              if find(hd, name="orm_create_atomic") else "")
    if api and "cpu_total_ms" in api and raw:
        print(f"| intake CPU per case, client + PostgreSQL backend (ms) | "
              f"{api['cpu_client_ms']:.2f}"
              f" + {api['cpu_backend_ms']:.2f} | — | {raw['cpu_client_ms']:.2f} + "
              f"{raw['cpu_backend_ms']:.2f} |")
    if api:
        print(f"| intake p95 / p99 (ms) | {api['p95']:.2f} / {api['p99']:.2f} | "
              f"{sub['p95']:.2f} / {sub['p99']:.2f} | "
              f"{raw['p95']:.2f} / {raw['p99']:.2f} |" if sub and raw else "")
    srv = find(sv, name="intake_wrk")
    if srv:
        print(f"| server: cases/s, 2 workers, 16 clients | {srv['cases_per_s']:.1f} | — | — |")
        print(f"| server: p50 / p99 latency (ms) | {srv['p50_ms']:.1f} / "
              f"{srv['p99_ms']:.1f} | — | — |")
        print(f"| server: CPU per case, gunicorn + PostgreSQL (ms) | "
              f"{srv['gunicorn_ms_per_req']:.1f} + {srv['postgres_ms_per_req']:.1f} | — | — |")
        if "cpu_bound_ceiling_per_s" in srv:
            print(f"| server: ceiling on 2 idle cores at that CPU cost (cases/s) | "
                  f"{srv['cpu_bound_ceiling_per_s']:.0f} | — | — |")
    counts = find(cl, name="counts") or {}
    uo = find(cl, name="unit_open_handler")
    q1 = find(hd, name="ticket_list_data_one_queue_open")
    ol = find(hd, name="ticket_list_data_open_default")
    od = find(cl, name="open_newest_dispatcher")
    orm = find(cl, name="orm_unit_open_handler")
    sql = find(cl, name="sql_unit_open_page_query")
    if uo:
        print(f"| a unit's / queue's newest open, 50 / 25 rows (ms) [{counts.get('cases', 0):,} "
              f"cases vs {n or 0:,} tickets] | {uo['median']:.1f} ({uo['queries']} SQL) | "
              f"{q1['median']:.1f} ({q1['queries']} SQL) |" if q1 else " — |", end="")
        print(f" ORM {orm['median']:.1f}, SQL {sql['median']:.1f} |" if orm and sql else " |")
    if od:
        print(f"| newest open list, 25 rows (ms) | {od['median']:.1f} ({od['queries']} SQL) | "
              f"{ol['median']:.1f} ({ol['queries']} SQL) | |" if ol else " — | |")
    print()
    ti = find(it, kind="targets")
    ts = find(sv, kind="targets")
    tl = find(cl, kind="targets")
    print("| target | result | verdict |")
    print("|---|---|---|")
    if ti:
        print(f"| intake ≤ 5 ms p50 | {ti['api_token_p50']:.2f} ms | {yn(ti['p50_le_5ms'])} |")
        if sub:
            x = sub["p50"] / ti["api_token_p50"]
            print(f"| intake ≥ 4× faster than helpdesk submit | {x:.2f}× (helpdesk {sub['p50']:.2f}"
                  f" ms, the faster of {sub_all}) | {yn(x >= 4)} |")
        print(f"| intake within 4× of raw driver writes | {ti['vs_raw_writes_ratio']}× "
              f"(raw {ti['raw_writes_p50_best']} ms; "
              f"CPU ratio {ti.get('cpu_ratio_vs_raw_writes')}×)"
              f" | {yn(ti['within_4x_of_raw_writes'])} |")
    if ts and srv:
        print(f"| server ≥ 300 cases/s | {srv['cases_per_s']:.1f}/s | {yn(ts['ge_300_per_s'])} |")
        print(f"| server p99 ≤ 100 ms | {srv['p99_ms']:.1f} ms | {yn(ts['p99_le_100ms'])} |")
        print(f"| server zero errors | {srv['errors']} | {yn(ts['zero_errors'])} |")
        print(f"| server zero duplicates | {srv['duplicate_numbers']} duplicate numbers; "
              f"{srv['db_cases_this_run']} cases in DB = {srv['server_logged_201']} POSTs received "
              f"({srv['requests_completed']} answered + {srv['in_flight_at_stop']} cut off by "
              f"wrk's stop) | {yn(ts['zero_duplicates'])} |")
    if tl:
        print(f"| unit's newest 50 open < 30 ms at 1M | {tl['unit_open_handler_ms']:.1f} ms "
              f"| {yn(tl['lt_30ms'])} |")


if __name__ == "__main__":
    main()
