#!/usr/bin/env bash
# Every benchmark back to back in one session: django-helpdesk's harness (the peer), then
# Qinqing's intake, server load and case list. JSON lines and logs go to $OUT; the last
# step prints the comparison table (bench/summary.py).
#
#   bash bench/run_all.sh                      # helpdesk at 100,000 tickets
#   HELPDESK_N=10000 bash bench/run_all.sh     # if 100,000 takes too long
#
# Before each step it waits (at most QUIET_MAX=300 s) for the shared machine to be less
# than QUIET_BELOW=30 % busy.
# Env: OUT (default /tmp/qq-bench-results/<UTC time>), HELPDESK_N (100000),
# BENCH_PG_URL (postgres://postgres@127.0.0.1:5432), PEERBENCH_ROOT (/tmp/peerbench).
# Each step creates and drops its own database (qq_bench_*).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
OUT=${OUT:-/tmp/qq-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
HELPDESK_N=${HELPDESK_N:-100000}
PEER=/work/shared/peer_helpdesk
export PEERBENCH_ROOT=${PEERBENCH_ROOT:-/tmp/peerbench}
# The server step drives gunicorn with wrk: check for it before the long steps.
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }
mkdir -p "$OUT"
echo "results in $OUT"

# 1. the peer: django-helpdesk 2.6.1 in its own venv, on a fresh database
$PY bench/_common.py wait-quiet --max "${QUIET_MAX:-300}" --below "${QUIET_BELOW:-30}"
psql -q "$PG/postgres" -c 'DROP DATABASE IF EXISTS qq_bench_helpdesk WITH (FORCE)' \
  -c 'CREATE DATABASE qq_bench_helpdesk'
trap 'psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS qq_bench_helpdesk WITH (FORCE)" || true' EXIT
DATABASE_URL="$PG/qq_bench_helpdesk" bash "$PEER/setup.sh" > "$OUT/helpdesk_setup.log" 2>&1
(cd /tmp && DATABASE_URL="$PG/qq_bench_helpdesk" timeout 2400 \
  "$PEERBENCH_ROOT/venv/bin/python" "$PEER/bench.py" --n "$HELPDESK_N" \
  --jsonl "$OUT/helpdesk.jsonl") 2>&1 | tee "$OUT/helpdesk.log"
psql -q "$PG/postgres" -c 'DROP DATABASE IF EXISTS qq_bench_helpdesk WITH (FORCE)'

# 2. Qinqing's intake, then helpdesk's submission again right after it (--skip-views: load
#    and creation only), so the intake comparison is made back to back on both sides
quiet() { $PY bench/_common.py wait-quiet --max "${QUIET_MAX:-300}" --below "${QUIET_BELOW:-30}"; }
quiet
$PY bench/intake.py --helpdesk-jsonl "$OUT/helpdesk.jsonl" --jsonl "$OUT/intake.jsonl" \
  2>&1 | tee "$OUT/intake.log"
psql -q "$PG/postgres" -c 'CREATE DATABASE qq_bench_helpdesk'
DATABASE_URL="$PG/qq_bench_helpdesk" "$PEERBENCH_ROOT/venv/bin/python" "$PEERBENCH_ROOT/site/manage.py" \
  migrate --noinput -v 0
(cd /tmp && DATABASE_URL="$PG/qq_bench_helpdesk" timeout 1200 \
  "$PEERBENCH_ROOT/venv/bin/python" "$PEER/bench.py" --n "$HELPDESK_N" --skip-views \
  --jsonl "$OUT/helpdesk_after.jsonl") 2>&1 | tee "$OUT/helpdesk_after.log"
psql -q "$PG/postgres" -c 'DROP DATABASE IF EXISTS qq_bench_helpdesk WITH (FORCE)'

# 3. the server and the list
quiet
$PY bench/server_load.py --jsonl "$OUT/server_load.jsonl" 2>&1 | tee "$OUT/server_load.log"
quiet
$PY bench/cases_list.py --helpdesk-jsonl "$OUT/helpdesk.jsonl" --jsonl "$OUT/cases_list.jsonl" \
  2>&1 | tee "$OUT/cases_list.log"

$PY bench/summary.py "$OUT" | tee "$OUT/summary.md"
