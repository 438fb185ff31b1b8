"""The periodic tick: what runs once per period (QINQING_TICK_SECONDS) across all workers.

Every step reads what is due from indexed columns and is safe to run again (a worker
killed mid-tick loses nothing: the next tick finds the same work still due). A step that
raises is logged and the others still run: the tick must never take its worker down.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# Each is called with now=…; order matters only in that recovery comes first.
STEPS = (
    "qinqing.background.services.recover_orphaned_jobs",
    "qinqing.supervision.ladder.sweep",
    "qinqing.ratings.invitations.sweep",  # before delivery: its SMS go out this tick
    "qinqing.notifications.services.deliver_due",
    "qinqing.insights.hot_topics.segment_recent",
    "qinqing.background.services.prune",
)


def run_tick(now: datetime) -> dict[str, object]:
    """Run every step of the tick at `now`; return each step's result (or its error) and
    the seconds it took."""
    report: dict[str, object] = {}
    for path in STEPS:
        name = path.rsplit(".", 2)[-2] + "." + path.rsplit(".", 1)[-1]
        started = time.perf_counter()
        try:
            result = import_string(path)(now=now)
        except Exception as exc:  # noqa: BLE001 - one failing step must not stop the others
            log.exception("tick step %s failed", path)
            result = {"error": f"{exc.__class__.__name__}: {exc}"[:300]}
        report[name] = {"result": result, "seconds": round(time.perf_counter() - started, 3)}
    return report
