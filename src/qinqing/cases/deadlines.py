"""Stage clocks: starting, stopping, extending, suspending and recomputing deadlines.

Called only from services.py, inside its transaction. Each function returns a small
dict describing what changed, which the service writes into the timeline event (`start`
returns the new clock, which `describe` says).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case as When_, Value, When
from django.utils import timezone

from qinqing.cases.models import StageClock, TimeLimitPolicy
from qinqing.cases.models.case import Case, Channel
from qinqing.cases.models.clocks import Stage
from qinqing.cases.models.clocks import UNIT_STAGES
from qinqing.refdata import refdata
from qinqing.worktime.calendar import (
    WorkingCalendar, add_office_time, compute_deadline, office_time_between,
)
from qinqing.worktime.limits import LimitUnit, parse_limit
from qinqing.worktime.queries import current_calendar

DEFAULT_POLICY = dict(name="默认时限（临汾规则）", dispatch_limit="1h", sign_limit="2h",
                      resolve_limit="3d", review_limit="1d", callback_limit="1d")


def policy_for(kind: str, urgency: str) -> TimeLimitPolicy:
    """The most specific active policy: kind+urgency, kind, urgency, then the default.

    Kept per process (qinqing.refdata; an edit of a policy empties it)."""
    return refdata.get(("policy", kind, urgency), lambda: _policy_in_database(kind, urgency))


def _policy_in_database(kind: str, urgency: str) -> TimeLimitPolicy:
    candidates = TimeLimitPolicy.objects.filter(
        is_active=True, kind__in=[kind, ""], urgency__in=[urgency, ""])
    best = max(candidates, key=lambda p: (bool(p.kind), bool(p.urgency)), default=None)
    if best is None:
        # A site must never stop taking cases because nobody configured a policy.
        # (Creating it is an edit: the cache does not keep it until the transaction commits.)
        best, _ = TimeLimitPolicy.objects.get_or_create(kind="", urgency="", is_active=True,
                                                        defaults=DEFAULT_POLICY)
    return best


def schedule(clock: StageClock, calendar: WorkingCalendar) -> None:
    """Set due_at, warn_at and provisional from the clock's own parts and the calendar."""
    limit = parse_limit(clock.limit)
    due = compute_deadline(calendar, clock.started_at, limit).due
    for extra in clock.extension_limits:
        due = compute_deadline(calendar, due, parse_limit(extra)).due
    working = limit.unit is not LimitUnit.NATURAL_HOURS
    if clock.paused_seconds:
        paused = timedelta(seconds=clock.paused_seconds)
        due = add_office_time(calendar, due, paused) if working else due + paused
    span = office_time_between(calendar, clock.started_at, due) if working else (
        due - clock.started_at)
    share = span * clock.policy.warning_percent / 100
    clock.warn_at = add_office_time(calendar, clock.started_at, share) if working else (
        clock.started_at + share)
    clock.due_at = due
    clock.provisional = working and bool(
        calendar.assumed_dates(timezone.localtime(clock.started_at).date(),
                               timezone.localtime(due).date()))
    clock.calendar_version = calendar.version


def _schedule_checked(clock: StageClock, calendar: WorkingCalendar) -> None:
    """schedule(), and for a provisional result again with the calendar in the database.

    The calendar a caller passes may be up to QINQING_REFDATA_TTL seconds old in this
    process. A provisional deadline is corrected only by the recompute that runs when an
    override is saved, and if another process has just entered the missing year, that
    recompute has already run and would never see this clock. So a provisional result
    costs one query to check the calendar (as every call did before the cache)."""
    schedule(clock, calendar)
    if clock.provisional:
        fresh = current_calendar(verify=True)
        if fresh.version != calendar.version:
            schedule(clock, fresh)


def start(case: Case, stage: str, policy: TimeLimitPolicy, calendar: WorkingCalendar,
          now: datetime) -> StageClock:
    clock = new_clock(case, stage, policy, calendar, now)
    clock.save()
    return clock


def new_clock(case: Case, stage: str, policy: TimeLimitPolicy, calendar: WorkingCalendar,
              now: datetime) -> StageClock:
    """A stage clock starting now, its deadline computed, not yet saved (the intake writes
    it together with the case)."""
    clock = StageClock(case=case, stage=stage, policy=policy, limit=_limit(case, stage, policy),
                       started_at=now,
                       unit_id=case.lead_unit_id if stage in UNIT_STAGES else None)
    _schedule_checked(clock, calendar)
    return clock


def _limit(case: Case, stage: str, policy: TimeLimitPolicy) -> str:
    """The policy's limit, except a bad rating's rectification: it has its own limit
    (QINQING_RECTIFICATION_LIMIT, 5 working days by default; checked at start-up by
    qinqing.ratings), whatever the kind's policy says."""
    if stage == Stage.RESOLVE and case.channel == Channel.RATING:
        return settings.QINQING_RECTIFICATION_LIMIT
    return policy.limit_for(stage)


def stop(case: Case, stages, now: datetime, by: str = "") -> list[dict]:
    """Stop the case's open clocks of `stages` now; `by`: the move that stops them."""
    if not stages:
        return []
    open_clocks = StageClock.objects.filter(case=case, stage__in=stages, done_at__isnull=True)
    # In the order the clocks started: the event lists them so, whatever order the
    # database finds them in (a return stops two; PostgreSQL's order varies with updates).
    stopped = [{"stage": c.stage, "on_time": now <= c.due_at}
               for c in open_clocks.only("stage", "due_at").order_by("pk")]
    if stopped:
        open_clocks.update(done_at=now, paused_at=None, ended_by=by, on_time=When_(
            When(due_at__gte=now, then=Value(True)), default=Value(False)))
    return stopped


def open_clock(case: Case, stage: str) -> StageClock | None:
    return (StageClock.objects.select_related("policy")
            .filter(case=case, stage=stage, done_at__isnull=True).first())


def extend(clock: StageClock, extra: str, calendar: WorkingCalendar) -> dict:
    before = clock.due_at
    clock.extension_limits = [*clock.extension_limits, extra]
    _schedule_checked(clock, calendar)
    clock.save(update_fields=["extension_limits", "due_at", "warn_at", "provisional",
                              "calendar_version"])
    return {**describe(clock), "previous_due": _iso(before)}


def pause(clock: StageClock, now: datetime) -> dict:
    clock.paused_at = now
    clock.save(update_fields=["paused_at"])
    return {"stage": clock.stage, "paused_at": _iso(now)}


def resume(clock: StageClock, now: datetime, calendar: WorkingCalendar) -> dict:
    before = clock.due_at
    working = parse_limit(clock.limit).unit is not LimitUnit.NATURAL_HOURS
    paused = (office_time_between(calendar, clock.paused_at, now) if working
              else now - clock.paused_at)
    clock.paused_seconds += int(paused.total_seconds())
    clock.paused_at = None
    _schedule_checked(clock, calendar)
    clock.save(update_fields=["paused_seconds", "paused_at", "due_at", "warn_at", "provisional",
                              "calendar_version"])
    return {**describe(clock), "previous_due": _iso(before),
            "suspended_seconds": int(paused.total_seconds())}


def describe(clock: StageClock) -> dict:
    return {"stage": clock.stage, "limit": clock.limit, "due": _iso(clock.due_at),
            "warn": _iso(clock.warn_at), "provisional": clock.provisional}


def _iso(moment: datetime) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")
