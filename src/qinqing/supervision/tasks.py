"""Background jobs of supervision (Django's task API; run by `qinqing worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def process_steps(step_ids: list[int], now: str | None = None) -> dict[str, int]:
    """Do the escalation steps the tick queued (services.apply_step; each step in its own
    transaction, so a crash loses at most the step in progress, which runs again).

    `now` (ISO 8601) is the moment the steps are done at, by default the moment the job
    runs. The tick never passes it; the demo does, when it replays the sweeps a running
    worker would have made in the past (supervision.demo.LadderReplay)."""
    from datetime import datetime

    from qinqing.supervision import services

    at = datetime.fromisoformat(now) if now else None
    outcome: dict[str, int] = {}
    for step_id in step_ids:
        result = services.apply_step(int(step_id), now=at)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome
