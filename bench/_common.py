"""Shared helpers of the benchmark scripts: throw-away databases, Django set-up, figures.

Not a benchmark itself. Every script in bench/ creates its own PostgreSQL database
(qq_bench_<name>) on the server named by BENCH_PG_URL (default
postgres://postgres@127.0.0.1:5432), so it never touches the CI or development databases,
and drops it again at the end unless told to keep it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
VENV_BIN = REPO / ".venv" / "bin"
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATA_DIR = Path(os.environ.get("QINQING_DATA_DIR", "/tmp/qq-bench"))

RESULTS: list[dict] = []
_JSONL: Path | None = None


# ----------------------------------------------------------------------- databases

def db_url(name: str) -> str:
    return f"{PG_BASE}/{name}"


def _admin():
    import psycopg

    return psycopg.connect(db_url("postgres"), autocommit=True)


def _check_name(name: str) -> None:
    if not name.startswith("qq_bench_") or not name.replace("_", "").isalnum():
        raise SystemExit(f"refusing to touch database {name!r}: bench databases are qq_bench_*")


def db_exists(name: str) -> bool:
    with _admin() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        return row is not None


def create_db(name: str) -> None:
    """A fresh, empty database (an older one of the same name is dropped first)."""
    _check_name(name)
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_db(name: str) -> None:
    _check_name(name)
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django not set up
        pass
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_version() -> str:
    with _admin() as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


# -------------------------------------------------------------------------- Django

def setup_django(dbname: str) -> None:
    """Point Qinqing's settings at the bench database and start Django."""
    os.environ["DATABASE_URL"] = db_url(dbname)
    os.environ["QINQING_DATA_DIR"] = str(DATA_DIR)
    os.environ["DJANGO_SETTINGS_MODULE"] = "qinqing.settings"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def migrate_and_demo() -> dict:
    """Schema plus the demo city (176 units, one login per role)."""
    from django.core.management import call_command

    from qinqing.demo.city import build_demo_organisation

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    counts = build_demo_organisation()
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    return counts


def token_for(username: str) -> str:
    from qinqing.cases.services import issue_token
    from qinqing.org.models import User

    return issue_token(User.objects.get(username=username))


class SQLLog:
    """Every statement Django runs while active, with its parameters.

    Uses connection.execute_wrapper, like the helpdesk harness: CaptureQueriesContext
    keeps only interpolated SQL, and the test client's request_started signal clears
    connection.queries under it.
    """

    def __init__(self, connection):
        self.connection = connection
        self.statements: list[tuple[str, object]] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params))
        return execute(sql, params, many, context)

    def __enter__(self):
        self._cm = self.connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)

    @property
    def count(self) -> int:
        return len(self.statements)


# ------------------------------------------------------------------------- figures

def pct(values, p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100.0
    f = int(k)
    c = min(f + 1, len(s) - 1)
    return s[f] + (s[c] - s[f]) * (k - f)


def latency_summary(ms: list[float]) -> dict:
    return {"count": len(ms), "p50": round(pct(ms, 50), 3), "p95": round(pct(ms, 95), 3),
            "p99": round(pct(ms, 99), 3), "mean": round(statistics.mean(ms), 3),
            "min": round(min(ms), 3), "max": round(max(ms), 3)}


def set_jsonl(path: str | None) -> None:
    global _JSONL
    _JSONL = Path(path) if path else None


def emit(rec: dict) -> dict:
    RESULTS.append(rec)
    line = json.dumps(rec, sort_keys=True, ensure_ascii=False, default=str)
    print(line, flush=True)
    if _JSONL is not None:
        with _JSONL.open("a") as fh:
            fh.write(line + "\n")
    return rec


def _meminfo_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def cpu_shares(seconds: float = 1.0) -> tuple[float, float] | None:
    """(busy %, steal %) of all cores over the next `seconds`, from /proc/stat.

    Busy is everything but idle and iowait. Steal is the time the host gave the cores to
    other guests: on a shared virtual machine it slows every figure, ours and the peer's
    alike, while the guest itself looks idle, so it is recorded with each run."""
    def read():
        v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(v) - v[3] - v[4], (v[7] if len(v) > 7 else 0), sum(v)
    try:
        b0, s0, t0 = read()
        time.sleep(seconds)
        b1, s1, t1 = read()
    except OSError:
        return None
    total = max(1, t1 - t0)
    return round(100 * (b1 - b0) / total, 1), round(100 * (s1 - s0) / total, 1)


def _cpu_busy_pct(seconds: float = 1.0) -> float | None:
    shares = cpu_shares(seconds)
    return shares[0] if shares else None


def _top_others(n: int = 3) -> list[str]:
    """The busiest other processes right now (the machine is shared)."""
    try:
        out = subprocess.run(["ps", "-eo", "pcpu=,pid=,args=", "--sort=-pcpu"],
                             capture_output=True, text=True, timeout=5).stdout.splitlines()
    except OSError:
        return []
    mine = str(os.getpid())
    rows = [ln.split(None, 2) for ln in out]
    return [f"{r[0]}% {r[2][:100]}" for r in rows if len(r) == 3 and r[1] != mine][:n]


def machine_meta(bench: str, argv: list[str]) -> dict:
    import django

    try:
        import psycopg

        psycopg_version = psycopg.__version__
    except ImportError:
        psycopg_version = None
    try:
        from importlib.metadata import version

        ninja_version = version("django-ninja")
    except Exception:
        ninja_version = None
    return {
        "kind": "meta", "bench": bench,
        "date_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(), "mem_mb": _meminfo_mb(), "cpu": _cpu_model(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        **dict(zip(("cpu_busy_before_pct", "cpu_steal_before_pct"),
                   cpu_shares() or (None, None))),
        "busiest_processes": _top_others(),
        "python": platform.python_version(),
        "django": django.get_version(), "django_ninja": ninja_version,
        "psycopg": psycopg_version, "postgresql": pg_version(), "argv": argv,
    }


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print()
    print(title)
    for n, r in enumerate(cells):
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(r, widths))))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))
    print(flush=True)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> float:
    """utime + stime of a process in seconds (0 if it is gone); resolution 1/CLK_TCK."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError):
        return 0.0


def busy_pct(seconds: float) -> float | None:
    return _cpu_busy_pct(seconds)


def wait_quiet(max_wait: float, below: float = 30.0, window: float = 5.0) -> float | None:
    """Wait (at most max_wait s) until the cores were less than `below` % busy over a
    `window`-second sample. Returns the last sample. The machine is shared."""
    deadline = time.time() + max_wait
    while True:
        busy = _cpu_busy_pct(window)
        if busy is None or busy < below or time.time() >= deadline:
            return busy
        print(f"machine {busy:.0f} % busy; waiting for a quieter moment", file=sys.stderr,
              flush=True)


def die(msg: str) -> None:
    print(msg, file=sys.stderr)
    raise SystemExit(1)


def on_database(args, run) -> None:
    """A benchmark's database from start to end: create args.db (or, with --reuse, use it
    if it exists), set Django up on it, call run(args, reused), and drop the database
    afterwards unless --keep."""
    set_jsonl(args.jsonl)
    _check_name(args.db)
    reuse = args.reuse and db_exists(args.db)
    if not reuse:
        create_db(args.db)
    try:
        setup_django(args.db)
        run(args, reuse)
    finally:
        if not args.keep:
            drop_db(args.db)
        else:
            print(f"kept database {args.db}: {db_url(args.db)}")


def load_or_reuse(args, reuse: bool, **load_options) -> dict | None:
    """A reused database must hold at least --n cases; otherwise migrate, build the demo
    city and bulk-load --n cases (load_cases.load with `load_options`). Emits the "load"
    line; returns the loader's figures (None when reused)."""
    from qinqing.cases.models import Case

    if reuse:
        have = Case.objects.count()
        if have < args.n:
            die(f"{args.db} holds {have} cases, fewer than --n {args.n}; run without --reuse")
        emit({"kind": "result", "section": "load", "name": "reused", "cases": have})
        return None
    from load_cases import load

    demo = migrate_and_demo()
    res = load(db_url(args.db), args.n, **load_options)
    emit({"kind": "result", "section": "load", "name": "copy_load", **res,
          "migrate_demo_s": demo["seconds"]})
    return res


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="bench helpers: wait for a quiet machine")
    ap.add_argument("command", choices=["wait-quiet"])
    ap.add_argument("--max", type=float, default=300, help="seconds to wait at most")
    ap.add_argument("--below", type=float, default=30, help="busy %% to wait for")
    a = ap.parse_args()
    t0 = time.time()
    b = wait_quiet(a.max, a.below)
    print(f"machine {b} % busy after waiting {time.time() - t0:.0f} s")
