#!/usr/bin/env python
"""Bulk-load N cases into a Qinqing database with PostgreSQL COPY (minutes, not hours).

Rows have the shape the application produces (bench/README.md lists what is simplified):

  cases_case        N rows; numbers QQ-<year>-nnnnnn in received order (the year of the
                    received time in Asia/Shanghai, as services._next_number does); ids and
                    numbers continue after whatever is already in the table, and
                    cases_casenumbersequence is moved past them so later intakes do not
                    collide. Received times spread over --span-days, newest now. About
                    --open-share (20 %) open, concentrated in recent weeks (see
                    state_for_age); 80 % closed. Lead units spread evenly over the demo's
                    157 units that can lead (all but the city government and the service
                    halls), so each has about N/157 cases; cases still 'received' have no
                    lead unit yet, and 10 % of closed ones were answered at intake without
                    one. Real Fernet query codes (a pool of 1,000 codes, each case's keyed
                    hash computed over its own number), an intake key per case, the intake
                    login as creator, the city hotline as owner.
  cases_stageclock  one open clock per open case (two for 'dispatched': sign and resolve),
                    about 0.23 x N; deadlines are start + a fixed span, not worked out on
                    the office calendar; closed cases' finished clocks are not loaded.
  cases_caseevent   only with --events: one 'create' event per case with a valid hash
                    chain (`qinqing verify-ledger` passes); later events are not loaded.
  cases_reporter    not loaded.

With --history (bench/metrics.py) each case also gets the life its state implies, as
the services would have written it: finished clocks (dispatch; sign, resolve, review and
callback after a dispatch; a second resolve and review after a reopening) with on_time against
the same fixed-span deadlines and done_at in order; open clocks starting when their stage
did; direct answers closed within 30 minutes of receipt; callbacks 90 % satisfied, 6 %
basically satisfied, 4 % closed unrated, 3 % of called-back cases reopened once first;
and the figures' fact rows (insights_fact) exactly as qinqing.insights.facts derives them
from those rows, working time by the office calendar (checked against worktime's own
arithmetic at the start of the load), all rolled up, with the daily rollups
(insights_daily, days and months) summed by qinqing.insights.rollup.add itself. The sign
and callback events are not written (only their facts), so `qinqing rollup --check` on
such a database finds the rollups equal to the facts but reports the signed or called-back
cases as differing from their (missing) timeline.

Method: inside one transaction, drop the tables' secondary indexes, unique and foreign-key
constraints (their definitions are read from the catalogue first), COPY the rows (text
format, 10,000-row chunks), recreate the same indexes and constraints under the same
names (the foreign keys are validated), move the identity sequences, then ANALYZE.

Standalone it creates the database (default qq_bench_load), migrates, builds the demo
city, loads, prints a table and JSON lines, and drops the database unless --keep:

    .venv/bin/python bench/load_cases.py --n 1000000
    .venv/bin/python bench/load_cases.py --n 1000000 --db qq_bench_list --keep

bench/cases_list.py and bench/intake.py import load() from here.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common as C  # noqa: E402
import _history as H  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPEN_MIX = [  # state, share of the open cases
    ("received", 0.15), ("dispatched", 0.12), ("handling", 0.50), ("returned", 0.03),
    ("replied", 0.12), ("reviewed", 0.08),
]
CLOCKS_BY_STATE = {  # open clocks of a case in each state (transitions.TABLE)
    "received": [("dispatch", "1h", 2)], "returned": [("dispatch", "1h", 2)],
    "dispatched": [("sign", "2h", 4), ("resolve", "3d", 96)],
    "handling": [("resolve", "3d", 96)],
    "replied": [("review", "1d", 30)], "reviewed": [("callback", "1d", 30)],
}
KINDS = ["complaint"] * 55 + ["consultation"] * 20 + ["help"] * 12 + ["suggestion"] * 8 + \
    ["report"] * 3 + ["praise"] * 2
CHANNELS = ["hotline"] * 60 + ["web"] * 15 + ["window_qr"] * 5 + ["enterprise_qr"] * 5 + \
    ["cannot_do_window"] * 4 + ["mayor_mailbox"] * 4 + ["rating"] * 3 + ["transfer"] * 2 + \
    ["monitoring_point", "enterprise_visit"]
FRAGMENTS = [
    "我公司于上月向区行政审批服务管理局提交了食品经营许可申请材料，", "窗口工作人员多次要求补充同一份材料，",
    "至今已超过承诺办结时限仍未办结，", "企业多次电话咨询均无明确答复，", "严重影响了企业的正常生产经营，",
    "希望有关部门尽快核实处理并给予答复。", "反映某街道执法人员对同一家店铺一个月内检查五次，",
    "每次检查内容基本相同，", "去年申请的稳岗补贴至今未拨付到位，", "项目竣工验收后工程款仍被拖欠，",
    "涉及农民工工资约三十万元，", "咨询企业开办全程网办的具体流程和所需材料，", "网上办事大厅系统经常无法登录，",
    "办理不动产登记需要往返多个窗口，", "园区内企业用电报装等待时间过长，", "中介机构收取的评估费用明显偏高，",
    "请求协调解决融资担保问题，", "建议在政务服务中心增设企业服务专区，", "对工作人员热情高效的服务表示感谢，",
    "招商引资时承诺的优惠政策一直没有兑现，", "请相关部门依法依规处理。",
]
ANSWERS = ["经核实，已督促相关部门按承诺时限办结，企业表示满意。", "已向企业详细解释政策并现场指导办理。",
           "相关款项已协调拨付到位。", "已责令执法单位规范检查频次，并向企业致歉。"]


def _pool(rnd: random.Random, n: int) -> list[tuple[str, str]]:
    """(title, content) pairs built from FRAGMENTS; 60 to 400 characters of content."""
    out = []
    for _ in range(n):
        k = rnd.randint(2, 8)
        content = "".join(rnd.choice(FRAGMENTS) for _ in range(k))
        out.append((content[:30], content))
    return out


def state_for_age(rnd: random.Random, age_days: float, p_old: float) -> str:
    """Open cases are mostly recent: 90 % of the last 2 weeks', half of the 2 weeks to 2
    months before, and p_old of anything older (chosen so the total open share is right)."""
    p_open = 0.9 if age_days < 14 else 0.5 if age_days < 60 else p_old
    if rnd.random() >= p_open:
        return "closed"
    x = rnd.random()
    for state, share in OPEN_MIX:
        x -= share
        if x < 0:
            return state
    return "handling"


def _ts(moment: datetime) -> str:
    return moment.isoformat()


def _table_ddl(cur, table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(constraints, indexes) of a table other than its primary key: names and definitions."""
    cons = cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC, conname",
        [table]).fetchall()
    owned = {r[0] for r in cur.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype IN ('p', 'u', 'x')", [table]).fetchall()}
    idx = [(name, ddl) for name, ddl in cur.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename = %s ORDER BY indexname", [table]).fetchall() if name not in owned]
    return cons, idx


def load(dsn: str, n: int, *, seed: int = 1, events: bool = False, span_days: int = 730,
         open_share: float = 0.20, history: bool = False, log=print) -> dict:
    """Append n cases (and their open clocks) to the Qinqing database at dsn.

    Needs Django set up on the same database (for the field keys, the keyed hash and the
    calendar version the application would write)."""
    import psycopg

    from qinqing.cases import confidential
    from qinqing.cases.models.ledger import GENESIS, event_hash
    from qinqing.worktime.queries import current_calendar

    rnd = random.Random(seed)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    calendar_version = current_calendar().version
    conn = psycopg.connect(dsn)
    cur = conn.cursor()
    cur.execute("SET synchronous_commit = off")
    cur.execute("SET maintenance_work_mem = '512MB'")

    units = cur.execute("SELECT id, code, kind, path FROM org_unit").fetchall()
    by_code = {code: (uid, kind) for uid, code, kind, _ in units}
    region_kinds = {"city_government", "county", "development_zone"}

    def region_of(path: str) -> int:
        for code in reversed([c for c in path.strip("/").split("/") if c]):
            uid, kind = by_code[code]
            if kind in region_kinds:
                return uid
        raise RuntimeError(f"no region above {path}")

    leads = [(uid, region_of(path)) for uid, code, kind, path in units
             if kind not in ("city_government", "service_hall")]
    city_id = by_code["990000"][0]
    all_unit_ids = [u[0] for u in units]
    categories = [r[0] for r in cur.execute(
        "SELECT id FROM cases_category WHERE parent_id IS NOT NULL AND is_active").fetchall()]
    category_code = dict(cur.execute("SELECT id, code FROM cases_category").fetchall())
    unit_code = {uid: code for uid, code, _, _ in units}
    intake_id, intake_unit = cur.execute(
        "SELECT id, unit_id FROM org_user WHERE username = 'intake'").fetchone()
    policy_id = cur.execute(
        "SELECT id FROM cases_timelimitpolicy WHERE kind = '' AND urgency = '' AND is_active"
    ).fetchone()[0]
    first_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM cases_case").fetchone()[0]
    first_clock = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM cases_stageclock").fetchone()[0]
    first_event = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM cases_caseevent").fetchone()[0]
    next_fact = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM insights_fact").fetchone()[0]
    seq_last = dict(cur.execute("SELECT year, last FROM cases_casenumbersequence").fetchall())
    if not categories or not leads:
        raise RuntimeError("run migrate and the demo organisation first")

    # Pools: content, query codes (real Fernet tokens), fingerprints.
    t0 = time.perf_counter()
    texts = _pool(rnd, 2000)
    codes = [confidential.new_query_code() for _ in range(1000)]
    code_enc = [confidential.encrypt(c) for c in codes]
    fingerprints = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(5000)]
    now = datetime.now(dt_timezone.utc).replace(microsecond=0)
    span = span_days * 86400
    offsets = sorted((rnd.random() * span for _ in range(n)), reverse=True)  # oldest first
    # p_old so that the expected open share is open_share (see state_for_age).
    recent = sum(1 for o in offsets if o < 14 * 86400)
    middle = sum(1 for o in offsets if 14 * 86400 <= o < 60 * 86400)
    old = n - recent - middle
    p_old = max(0.0, min(1.0, (open_share * n - 0.9 * recent - 0.5 * middle) / old)) if old else 0
    timings["prepare_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    tables = ["cases_case", "cases_stageclock"] + (["cases_caseevent"] if events else []) + (
        ["insights_fact", "insights_daily"] if history else [])
    if history:
        from qinqing.insights.facts import destination_of
        from qinqing.insights.rollup import new_totals

        totals = new_totals()
        destination = destination_of()
        if cur.execute("SELECT 1 FROM insights_daily LIMIT 1").fetchone():
            raise RuntimeError("--history loads into a database without rollups yet")
        rnd_life = random.Random(seed + 7)  # apart, so the cases are those of a plain load
        office = H.OfficeClock(current_calendar(),
                               (now - timedelta(seconds=span + 86400)).astimezone(SHANGHAI).date(),
                               (now + timedelta(days=400)).astimezone(SHANGHAI).date())
        office.check(random.Random(seed))
    saved = {}
    for table in tables:
        cons, idx = _table_ddl(cur, table)
        saved[table] = (cons, idx)
    # Foreign keys first (they may lean on the unique indexes), then the rest.
    for table in tables:
        for name, ddl in saved[table][0]:
            if ddl.startswith("FOREIGN KEY"):
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table in tables:
        for name, ddl in saved[table][0]:
            if not ddl.startswith("FOREIGN KEY"):
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in saved[table][1]:
            cur.execute(f'DROP INDEX "{name}"')
    timings["drop_s"] = time.perf_counter() - t0

    case_cols = ("id, number, query_code_enc, query_code_hash, kind, channel, urgency, title, "
                 "content, enterprise_name, is_anonymous, state, outcome, answer, satisfaction, "
                 "resolved, reopen_count, extension_count, suspension_count, is_suspended, "
                 "return_locked, received_at, closed_at, updated_at, intake_key, "
                 "intake_fingerprint, created_by_id, lead_unit_id, merged_into_id, "
                 "owner_unit_id, region_id, subject_unit_id, category_id")
    clock_cols = ("id, case_id, stage, policy_id, \"limit\", extension_limits, paused_seconds, "
                  "started_at, warn_at, due_at, paused_at, done_at, on_time, provisional, "
                  "calendar_version")
    event_cols = ("id, case_id, seq, action, at, actor_id, actor_role, actor_unit_id, "
                  "from_state, to_state, reason, data, prev_hash, hash")
    clock_lines: list[str] = []
    fact_lines: list[str] = []
    open_clocks = 0
    event_lines: list[str] = []
    states: dict[str, int] = {}
    per_year: dict[int, int] = {}
    enterprises = ["示范市某食品有限公司", "示范市某建筑工程有限公司", "某科技发展有限公司", "", "", ""]
    t0 = time.perf_counter()
    next_clock = first_clock
    with cur.copy(f"COPY cases_case ({case_cols}) FROM STDIN") as copy:
        buf = []
        for i, off in enumerate(offsets):
            cid = first_id + i
            received = now - timedelta(seconds=off)
            year = received.astimezone(SHANGHAI).year
            last = seq_last.get(year, 0) + 1
            seq_last[year] = last
            per_year[year] = per_year.get(year, 0) + 1
            number = f"QQ-{year}-{last:06d}"
            ci = rnd.randrange(1000)
            state = state_for_age(rnd, off / 86400, p_old)
            states[state] = states.get(state, 0) + 1
            lead, region = leads[rnd.randrange(len(leads))]
            if state == "received" or (state == "closed" and rnd.random() < 0.1):
                lead_s = "\\N"
                region = city_id if rnd.random() < 0.3 else region
            else:
                lead_s = str(lead)
            title, content = texts[rnd.randrange(2000)]
            kind = KINDS[rnd.randrange(len(KINDS))]
            channel = CHANNELS[rnd.randrange(len(CHANNELS))]
            urgency = "urgent" if rnd.random() < 0.05 else "normal"
            anonymous = rnd.random() < 0.1
            subject = (str(all_unit_ids[rnd.randrange(len(all_unit_ids))])
                       if rnd.random() < 0.5 else "\\N")
            if state == "closed":
                closed = received + timedelta(hours=rnd.randint(1, 240))
                closed_s = _ts(closed)
                outcome = "resolved" if lead_s != "\\N" else "direct_answer"
                answer = ANSWERS[rnd.randrange(4)]
                satisfaction = "satisfied" if outcome == "resolved" else ""
                resolved = "t" if outcome == "resolved" else "\\N"
                updated = closed
            else:
                closed_s, outcome, answer, satisfaction, resolved = "\\N", "", "", "", "\\N"
                updated = received + timedelta(minutes=rnd.randint(0, 600))
            category = categories[rnd.randrange(len(categories))]
            reopens = "0"
            if history:
                case_life = H.life(rnd_life, state, received, closed if state == "closed"
                                   else None, lead_s != "\\N")
                if state == "closed":
                    closed_s, outcome = _ts(case_life.closed), case_life.outcome
                    satisfaction = case_life.satisfaction
                    resolved = H._b(case_life.resolved)
                    reopens = str(case_life.reopen_count)
                    updated = case_life.closed
            buf.append("\t".join((
                str(cid), number, code_enc[ci],
                confidential.query_code_hash(cid, codes[ci]), kind, channel, urgency, title,
                content, enterprises[rnd.randrange(6)], "t" if anonymous else "f", state,
                outcome, answer, satisfaction, resolved, reopens, "0", "0", "f", "f",
                _ts(received), closed_s, _ts(updated), f"{intake_id}:load-{seed}-{cid}",
                fingerprints[rnd.randrange(5000)], str(intake_id), lead_s, "\\N", str(city_id),
                str(region), subject, str(category))))
            started = []
            if history:
                for clock in case_life.clocks:
                    clock_lines.append("\t".join((
                        str(next_clock), str(cid), clock.stage, str(policy_id), clock.limit,
                        "[]", "0", _ts(clock.start), _ts(clock.warn), _ts(clock.due), "\\N",
                        H._ts(clock.done), H._b(clock.on_time), "f", calendar_version)))
                    next_clock += 1
                    open_clocks += clock.done is None
                    if clock.stage == "dispatch" and clock.start == received:
                        started.append(clock.stage)
                rows = H.fact_lines(next_fact, cid, received, kind, channel, category, region,
                                    None if lead_s == "\\N" else int(lead_s), case_life,
                                    office, totals, destination)
                fact_lines.extend(rows)
                next_fact += len(rows)
            for stage, limit, hours in () if history else CLOCKS_BY_STATE.get(state, ()):
                start = received if stage == "dispatch" else received + timedelta(minutes=30)
                due = start + timedelta(hours=hours)
                warn = start + timedelta(hours=hours * 0.8)
                clock_lines.append("\t".join((
                    str(next_clock), str(cid), stage, str(policy_id), limit, "[]", "0",
                    _ts(start), _ts(warn), _ts(due), "\\N", "\\N", "\\N", "f",
                    calendar_version)))
                next_clock += 1
                open_clocks += 1
                started.append(stage)
            if events:
                due = (received + timedelta(hours=2)).astimezone(SHANGHAI)
                warn = (received + timedelta(hours=1.6)).astimezone(SHANGHAI)
                data = {"kind": kind, "channel": channel, "category": category_code[category],
                        "region": unit_code[region], "anonymous": anonymous,
                        "clocks": {"started": [{
                            "stage": "dispatch", "limit": "1h",
                            "due": due.isoformat(timespec="seconds"),
                            "warn": warn.isoformat(timespec="seconds"), "provisional": False}]}}
                at_utc = received.astimezone(dt_timezone.utc).isoformat(timespec="microseconds")
                digest = event_hash(prev_hash=GENESIS, case_id=cid, seq=1, action="create",
                                    at=at_utc, actor_id=intake_id, actor_role="intake_agent",
                                    actor_unit_id=intake_unit, from_state="", to_state="received",
                                    reason="", data=data)
                event_lines.append("\t".join((
                    str(first_event + i), str(cid), "1", "create", _ts(received), str(intake_id),
                    "intake_agent", str(intake_unit), "", "received", "",
                    json.dumps(data, ensure_ascii=False).replace("\\", "\\\\"), GENESIS, digest)))
            if len(buf) >= 10000:
                copy.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            copy.write("\n".join(buf) + "\n")
    timings["copy_cases_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with cur.copy(f"COPY cases_stageclock ({clock_cols}) FROM STDIN") as copy:
        for k in range(0, len(clock_lines), 10000):
            copy.write("\n".join(clock_lines[k:k + 10000]) + "\n")
    if history:
        with cur.copy(f"COPY insights_fact ({H.FACT_COLS}) FROM STDIN") as copy:
            for k in range(0, len(fact_lines), 10000):
                copy.write("\n".join(fact_lines[k:k + 10000]) + "\n")
        daily = H.daily_lines(totals)
        with cur.copy(f"COPY insights_daily ({H.DAILY_COLS}) FROM STDIN") as copy:
            for k in range(0, len(daily), 10000):
                copy.write("\n".join(daily[k:k + 10000]) + "\n")
    if events:
        with cur.copy(f"COPY cases_caseevent ({event_cols}) FROM STDIN") as copy:
            for k in range(0, len(event_lines), 10000):
                copy.write("\n".join(event_lines[k:k + 10000]) + "\n")
    timings["copy_clocks_events_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for table in tables:
        for _name, ddl in saved[table][1]:
            cur.execute(ddl)
        for name, ddl in saved[table][0]:
            if not ddl.startswith("FOREIGN KEY"):
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}')
    timings["indexes_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for table in tables:
        for name, ddl in saved[table][0]:
            if ddl.startswith("FOREIGN KEY"):
                cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}')
    timings["foreign_keys_s"] = time.perf_counter() - t0
    for table in ("cases_case", "cases_stageclock", "cases_caseevent", "insights_fact",
                  "insights_daily"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))")
    for year, last in seq_last.items():
        cur.execute("INSERT INTO cases_casenumbersequence (year, last) VALUES (%s, %s) "
                    "ON CONFLICT (year) DO UPDATE SET last = GREATEST("
                    "cases_casenumbersequence.last, EXCLUDED.last)", [year, last])
    t0 = time.perf_counter()
    conn.commit()
    timings["commit_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    conn.autocommit = True
    if history:
        # The figures read the facts by index-only scans, which need the visibility map
        # (autovacuum would set it soon after a real bulk insert too).
        cur.execute("VACUUM insights_fact")
        cur.execute("VACUUM insights_daily")
    cur.execute("ANALYZE")
    timings["analyze_s"] = time.perf_counter() - t0
    conn.close()
    timings["total_s"] = time.perf_counter() - t_all
    open_n = n - states.get("closed", 0)
    return {"cases": n, "open_cases": open_n, "open_share": round(open_n / n, 4) if n else 0,
            "open_clocks": open_clocks, "clocks": len(clock_lines), "facts": len(fact_lines),
            "daily_rows": len(totals) if history else 0,
            "events": len(event_lines), "states": states,
            "per_year": per_year, "lead_units": len(leads),
            "cases_per_lead_unit": round(n / len(leads)),
            **{k: round(v, 2) for k, v in timings.items()},
            "cases_per_s": round(n / timings["total_s"]) if n else 0}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="cases to load (default 1,000,000)")
    ap.add_argument("--db", default="qq_bench_load", help="database to create (qq_bench_*)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--events", action="store_true", help="also one 'create' event per case")
    ap.add_argument("--history", action="store_true",
                    help="also finished clocks, callbacks and the figures' facts")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--jsonl", help="also append the JSON lines to this file")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    C.set_jsonl(args.jsonl)
    C._check_name(args.db)
    C.create_db(args.db)
    try:
        C.setup_django(args.db)
        C.emit(C.machine_meta("qinqing-load", sys.argv[1:]))
        demo = C.migrate_and_demo()
        res = load(C.db_url(args.db), args.n, seed=args.seed, events=args.events,
                   history=args.history)
        rec = C.emit({"kind": "result", "section": "load", "name": "copy_load", **res,
                      "migrate_demo_s": demo["seconds"]})
        C.print_table(f"Qinqing bulk load (COPY) into {args.db}", ["phase", "seconds"],
                      [[k, rec[k]] for k in ("prepare_s", "drop_s", "copy_cases_s",
                                             "copy_clocks_events_s", "indexes_s",
                                             "foreign_keys_s", "commit_s", "analyze_s",
                                             "total_s")])
        print(f"  {res['cases']} cases ({res['open_cases']} open, {res['open_share']:.1%}), "
              f"{res['open_clocks']} open clocks, {res['events']} events, "
              f"{res['cases_per_s']} cases/s; states {res['states']}")
    finally:
        if not args.keep:
            C.drop_db(args.db)
        else:
            print(f"kept database {args.db}: {C.db_url(args.db)}")


if __name__ == "__main__":
    main()
