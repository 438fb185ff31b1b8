"""A year's holidays entered: the provisional deadlines get their real dates."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import deadlines, timeline
from qinqing.worktime.queries import current_calendar


def recompute_provisional_deadlines() -> int:
    """Recompute open provisional deadlines with the calendar now in force.

    Run when an administrator enters a year's holidays: the deadlines that assumed
    Monday–Friday get their real dates, each change on its case's timeline.
    """
    from qinqing.cases.models import StageClock

    calendar = current_calendar(verify=True)  # not this process's cached copy
    now = timezone.now()
    changed = 0
    clocks = (StageClock.objects.select_related("policy", "case")
              .filter(provisional=True, done_at__isnull=True).order_by("case_id", "pk"))
    for clock in clocks.iterator(chunk_size=500):
        before = (clock.due_at, clock.provisional)
        deadlines.schedule(clock, calendar)
        if (clock.due_at, clock.provisional) == before:
            continue
        with transaction.atomic():
            clock.save(update_fields=["due_at", "warn_at", "provisional", "calendar_version"])
            timeline.append(clock.case, "deadline_recomputed", None, now, clock.case.state,
                            clock.case.state, reason=_("Holiday data entered for the year"),
                            data={"clock": {**deadlines.describe(clock),
                                            "previous_due": deadlines._iso(before[0])}})
        changed += 1
    return changed
