"""Background jobs of supervision (Django's task API; run by `qinqing worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def process_steps(step_ids: list[int]) -> dict[str, int]:
    """Do the escalation steps the tick queued (services.apply_step; each step in its own
    transaction, so a crash loses at most the step in progress, which runs again)."""
    from qinqing.supervision import services

    outcome: dict[str, int] = {}
    for step_id in step_ids:
        result = services.apply_step(int(step_id))
        outcome[result] = outcome.get(result, 0) + 1
    return outcome
