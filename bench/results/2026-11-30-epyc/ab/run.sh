# The interleaved A/B of docs/performance.md (2026-11-30, 10:00-10:08 UTC), kept as run:
# src/ of 62384c2 ("old") and of HEAD at 9210ab5 ("new") in turn, twice, each measured
# with the server benchmark and then the in-process intake benchmark. Run it from a clean
# checkout of main; it restores src/ at the end. Output goes to /tmp/ab/.
set -e
mkdir -p /tmp/ab
cd /work/main
for round in 1 2; do
  for v in old new; do
    if [ $v = old ]; then git checkout -q 62384c2 -- src; else git checkout -q HEAD -- src; fi
    .venv/bin/python bench/server_load.py --jsonl /tmp/ab/server_$v.jsonl > /tmp/ab/server_${v}_$round.log 2>&1
    .venv/bin/python bench/intake.py --n 1000 --rounds 3 --preload 1000 --raw-binding server --jsonl /tmp/ab/intake_$v.jsonl > /tmp/ab/intake_${v}_$round.log 2>&1
  done
done
git checkout -q HEAD -- src
echo ABDONE
