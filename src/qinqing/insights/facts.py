"""The fact table, kept right: derived from a case, its clocks and its timeline.

`facts_for()` is the one definition of a case's facts: a pure function of the case row,
its stage clocks, its callback events, the events that changed its kind, category or
region, and the working calendar. Each fact carries the case's dimensions as they were
at the moment of the event it stands for, so a finished period's figures are a function
of what happened in it and do not move when the case changes later:

- the CASE row (counted by the day of receipt): kind, category and region as they stood
  at the end of the local day the case was received (corrections made that day count;
  every period that counts the case ends at or after that moment), and the lead unit it
  was first routed to (the unit of its first sign clock), none if never routed;
- a CLOCK row: kind, category and region at the clock's start; lead unit the unit that
  held the clock (cases.StageClock.unit) or, for the hotline's own stages, the lead unit
  at the start;
- a CALLBACK row: kind, category, region and lead unit at the callback, and whether the
  person judged the answer online (the event's actor is the online-rating account of
  qinqing.portal, which records nothing else).

A CASE row also says when the case was first *answered* — its answer left the unit:
a direct answer (the moment it closed), or the lead unit's reply approved by its head
(the moment the first callback clock started; before the review stage existed, the
reply started it) — and whether that answer came with every stage clock before it
stopped by its deadline (`answered_on_time`). Both are fixed at that moment: a reopening
and a second answer later change neither.

The history is replayed from the case as it is now, undoing its edits and
reclassifications newest first (each event records what it changed from); the lead unit
at a moment is the unit of the last unit clock started by then. The channel never
changes.

`facts_for()` is used three ways:

- **in the same transaction as every case change.** Every change to a case ends with a
  timeline event, and the timeline sends its `case_changed` hook (qinqing.cases.timeline);
  `case_changed` below, connected in apps.py, rebuilds the case's facts (read its clocks
  and its callback, edit and reclassification events; delete its fact rows; insert the
  new ones). At intake the facts are known without reading anything: the receiver returns
  them and the intake writes them in its own statement.
- by `rebuild()` (`qinqing rollup --rebuild`), for data written behind the services'
  back (bulk loads, SQL) or after the calendar of past days was corrected;
- by `differences()` (`qinqing rollup --check`), which compares the stored facts with
  what the case tables say now.

Events whose kind changes no figure (`changes_figures=False` in the timeline's registry:
an attachment, an unmasking, a reminder, a merged duplicate's note on the case it joined,
oversight's notes) rebuild nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, time, timedelta
from enum import Enum

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qinqing.cases import timeline
from qinqing.cases.models import Case, CaseEvent, Outcome, Stage, StageClock
from qinqing.cases.models.case import Satisfaction
from qinqing.cases.models.clocks import completes
from qinqing.insights import rollup
from qinqing.insights.metrics.masters import master_data
from qinqing.insights.models import Fact
from qinqing.portal.services import RATER
from qinqing.worktime.calendar import WorkingCalendar, office_time_between
from qinqing.worktime.limits import LimitUnit, parse_limit
from qinqing.worktime.queries import current_calendar

CALLBACK_ACTIONS = ("callback", "close_unrated", "reopen")
RATED_ACTIONS = ("callback", "reopen")  # a callback with a result (not closed unrated)
# Events that change a dimension of the case other than its lead unit (which each unit
# clock records): an edit (kind, category, region) and the discipline commission's
# reclassification (kind). Each records what it changed from and to.
DIMENSION_ACTIONS = ("edit", "reclassify")
READ_ACTIONS = CALLBACK_ACTIONS + DIMENSION_ACTIONS
DIMENSIONS = ("kind", "channel", "category_id", "region_id", "lead_unit_id")


def local_date(moment: datetime):
    return timezone.localtime(moment).date()


def worked_seconds(clock: StageClock, calendar: WorkingCalendar) -> int | None:
    """Working time a finished clock took: office time from start to stop by the calendar,
    less the office time it was suspended (natural time for a natural-hours limit)."""
    if clock.done_at is None:
        return None
    natural = parse_limit(clock.limit).unit is LimitUnit.NATURAL_HOURS
    span = (clock.done_at - clock.started_at if natural
            else office_time_between(calendar, clock.started_at, clock.done_at))
    return max(0, int(span.total_seconds()) - clock.paused_seconds)


def _dimensions(case: Case, values: tuple, lead_unit_id: int | None) -> dict:
    kind, category_id, region_id = values
    return dict(case_id=case.pk, received_on=local_date(case.received_at), kind=kind,
                channel=case.channel, category_id=category_id, region_id=region_id,
                lead_unit_id=lead_unit_id)


class _History:
    """A case's (kind, category id, region id) over time: its values now, with its edits
    and reclassifications undone newest first (each event's data records every changed
    field's old and new value; categories and regions by code)."""

    def __init__(self, case: Case, events: Iterable[CaseEvent]):
        values = (case.kind, case.category_id, case.region_id)
        changes = sorted((e for e in events if e.action in DIMENSION_ACTIONS),
                         key=lambda e: e.seq)
        self.points: list[tuple[datetime, tuple]] = []  # (moment, values from then on)
        for event in reversed(changes):
            self.points.append((event.at, values))
            values = _undo(values, (event.data or {}).get("changes") or {})
        self.points.reverse()
        self.first = values  # as received

    def at(self, moment: datetime, *, before: bool = False) -> tuple:
        """The values at `moment` (changes made then included, unless `before`)."""
        values = self.first
        for at, after in self.points:
            if at < moment or (at == moment and not before):
                values = after
            else:
                break
        return values


def _undo(values: tuple, changes: dict) -> tuple:
    kind, category_id, region_id = values
    if "kind" in changes:
        kind = changes["kind"].get("from") or kind
    if "category" in changes or "region" in changes:
        masters = master_data()
        if "category" in changes:
            category_id = masters.category_by_code.get(changes["category"].get("from"),
                                                       category_id)
        if "region" in changes:
            unit = masters.unit_by_code.get(changes["region"].get("from"))
            region_id = unit.pk if unit is not None else region_id
    return kind, category_id, region_id


def _unit_at(held: list[tuple[datetime, int]], moment: datetime, default: int | None):
    """The unit of the last unit clock started at or before `moment` (`held`: (start,
    unit) in order of start), else `default`."""
    unit = default
    for started, unit_id in held:
        if started > moment:
            break
        unit = unit_id
    return unit


def _answered(case: Case, clocks: list[StageClock]) -> tuple[datetime | None, bool | None]:
    """When the case's answer first left the unit, and whether it did so with every clock
    started before it stopped by its deadline (dispatch, sign, resolve, review: a late
    one makes the answer late; a clock still running then counts as late)."""
    if case.outcome == Outcome.DIRECT_ANSWER and case.closed_at is not None:
        at = case.closed_at
    else:
        at = next((c.started_at for c in clocks if c.stage == Stage.CALLBACK), None)
    if at is None:
        return None, None
    before = [c for c in clocks if c.started_at < at]
    return at, all(c.on_time is True and c.done_at is not None and c.done_at <= at
                   for c in before)


def _online(event: CaseEvent) -> bool:
    """Whether the callback was the person's own judgement online (portal.services.rate):
    its actor is the online-rating account. `actor_username` is read with the events
    (_read); an event made in memory (an import's replay) is never one."""
    return getattr(event, "actor_username", None) == RATER[0]


def _end_of_day(moment: datetime) -> datetime:
    day = local_date(moment) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min),
                               timezone.get_default_timezone())


def facts_for(case: Case, clocks: Iterable[StageClock], events: Iterable[CaseEvent],
              calendar: WorkingCalendar) -> list[Fact]:
    """Every fact row of one case (unsaved, not rolled up), from its rows as they are now
    (`events`: its callback, edit and reclassification events; see the module's
    docstring for the moment each row's dimensions are taken at)."""
    events = list(events)
    history = _History(case, events)
    clocks = sorted(clocks, key=lambda c: (c.started_at, c.stage, c.pk or 0))
    callbacks = sorted((e for e in events if e.action in CALLBACK_ACTIONS),
                       key=lambda e: e.seq)
    signs = [c for c in clocks if c.stage == Stage.SIGN]
    # Clocks written before clocks recorded their unit have none: the lead unit now.
    legacy = case.lead_unit_id if signs and not any(c.unit_id for c in clocks) else None
    held = [(c.started_at, c.unit_id) for c in clocks if c.unit_id is not None]
    reopens = [e.at for e in callbacks if e.action == "reopen"]
    running = [c.due_at for c in clocks if c.done_at is None and c.paused_at is None]
    answered_at, answered_on_time = _answered(case, clocks)
    rows = [Fact(row=Fact.Row.CASE,
                 **_dimensions(case, history.at(_end_of_day(case.received_at), before=True),
                               (signs[0].unit_id or legacy) if signs else None),
                 dispatched_at=signs[0].started_at if signs else None,
                 closed_at=case.closed_at,
                 closed_on=local_date(case.closed_at) if case.closed_at else None,
                 outcome=case.outcome,
                 called_back_at=callbacks[0].at if callbacks else None,
                 reopened_at=min(reopens) if reopens else None,
                 answered_at=answered_at, answered_on_time=answered_on_time,
                 next_due_at=min(running) if running else None)]
    for clock in clocks:
        worked = worked_seconds(clock, calendar)
        done = worked is not None and completes(clock.stage, clock.ended_by)
        unit = clock.unit_id or _unit_at(held, clock.started_at, legacy)
        rows.append(Fact(row=Fact.Row.CLOCK,
                         **_dimensions(case, history.at(clock.started_at), unit),
                         stage=clock.stage, started_at=clock.started_at, due_at=clock.due_at,
                         done_at=clock.done_at, paused=clock.paused_at is not None,
                         on_time=clock.on_time, worked_seconds=worked,
                         # Only a clock whose stage's work was done has a working-time
                         # bucket (the percentiles are found among these).
                         bucket=rollup.bucket_of(worked) if done else None,
                         ended_by=clock.ended_by))
    first_rated = next((e for e in callbacks if e.action in RATED_ACTIONS), None)
    for event in callbacks:
        rows.append(Fact(row=Fact.Row.CALLBACK,
                         **_dimensions(case, history.at(event.at),
                                       _unit_at(held, event.at, legacy)),
                         done_at=event.at, first_rated=event is first_rated,
                         online=_online(event),
                         **_callback_result(event)))
    for row in rows:
        row.last_event_on = rollup.last_event_on(row)
        row.lag_days = (row.last_event_on - row.received_on).days
    return rows


def _callback_result(event: CaseEvent) -> dict:
    if event.action == "callback":
        return {"satisfaction": event.data.get("satisfaction", ""),
                "resolved": event.data.get("resolved")}
    if event.action == "reopen":
        # The ledger does not record whether a dissatisfied caller said the matter was
        # solved: a reopening counts as not solved (docs/architecture.md, insights).
        return {"satisfaction": Satisfaction.DISSATISFIED, "resolved": False}
    return {"satisfaction": "", "resolved": None}  # closed unrated: no callback result


def _read(case_ids: list[int]) -> tuple[dict, dict]:
    """Clocks and the events facts need (callbacks; edits and reclassifications, which
    date the case's kind, category and region) of some cases: two queries."""
    clocks: dict[int, list[StageClock]] = {pk: [] for pk in case_ids}
    for clock in StageClock.objects.filter(case_id__in=case_ids).only(
            "id", "case_id", "stage", "limit", "paused_seconds", "started_at", "due_at",
            "paused_at", "done_at", "on_time", "unit_id", "ended_by"):
        clocks[clock.case_id].append(clock)
    events: dict[int, list[CaseEvent]] = {pk: [] for pk in case_ids}
    for event in CaseEvent.objects.filter(case_id__in=case_ids,
                                          action__in=READ_ACTIONS).only(
            "id", "case_id", "seq", "action", "at", "data").annotate(
            actor_username=F("actor__username")):
        events[event.case_id].append(event)
    return clocks, events


def refresh_case(case: Case) -> None:
    """Rewrite one case's facts from its rows and move the rollups by the difference
    (inside the caller's transaction)."""
    clocks, events = _read([case.pk])
    old = list(Fact.objects.filter(case_id=case.pk))
    rows = facts_for(case, clocks[case.pk], events[case.pk], current_calendar())
    totals = rollup.new_totals()
    destination = destination_of()
    for fact in old:
        if fact.rolled:
            rollup.add(totals, fact, destination, -1)
    for fact in rows:
        fact.rolled = True
        rollup.add(totals, fact, destination, 1)
    Fact.objects.filter(case_id=case.pk).delete()
    Fact.objects.bulk_create(rows)
    rollup.apply(totals)


def destination_of():
    """lead unit id -> destination key (metrics: discipline commission, city departments,
    counties), with the organisation as it is now."""
    masters = master_data()
    return {pk: masters.destination(unit) for pk, unit in masters.units.items()}.__getitem__


# ------------------------------------------------------------------ maintenance

def case_changed(sender, case: Case, events: list[CaseEvent], clocks: list[StageClock],
                 created: bool = False, **kwargs) -> list[Fact] | None:
    """Receiver of the timeline's `case_changed` hook (connected in apps.py).

    A new case: its facts, known without reading anything, returned for the intake to
    write in its own statement (in the case's transaction even where that transaction is
    a single statement). A change: the case's facts rebuilt, unless none of its new
    events is of a kind that changes figures."""
    if created:
        # At intake `events` is the first one (it dates nothing); a replayed history
        # (qinqing.imports.replay) sends a new case with all its events and clocks.
        return facts_for(case, clocks, events, current_calendar())
    if any(timeline.registry[event.action].changes_figures for event in events):
        refresh_case(case)
    return None


# What rollup.add reads of a fact row.
_ROLLED_FIELDS = ("row", "received_on", "kind", "channel", "region_id", "lead_unit_id",
                  "dispatched_at", "closed_at", "outcome", "stage", "started_at", "done_at",
                  "on_time", "worked_seconds", "bucket", "ended_by", "satisfaction",
                  "resolved", "first_rated", "answered_at", "answered_on_time", "online")


def roll_up_replayed(sender, case_ids: list[int], **kwargs) -> None:
    """Receiver of qinqing.imports.replay.replayed (connected in apps.py): the pending
    facts of replayed cases that moved, rolled up, many cases in one upsert: what
    `refresh_case` does at each case's last move, one case at a time.

    Their case rows are locked first, as a move locks its case: a move of one of them
    meanwhile (which rewrites its facts, taking away those it finds rolled up) waits,
    and then finds these rolled up."""
    from types import SimpleNamespace

    totals = rollup.new_totals()
    destination = destination_of()
    for start in range(0, len(case_ids), 2000):
        ids = case_ids[start:start + 2000]
        list(Case.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        pending = Fact.objects.filter(case_id__in=ids, rolled=False)
        for values in pending.values(*_ROLLED_FIELDS).iterator(chunk_size=5000):
            rollup.add(totals, SimpleNamespace(**values), destination, 1)
        pending.update(rolled=True)
    rollup.apply(totals)


# --------------------------------------------------------------- rebuild, check

def rebuild(batch: int = 2000, progress: Callable[[int], None] | None = None) -> int:
    """Rewrite the facts of every case and the rollups from them, in one transaction (a
    reader sees the old figures or the new ones). Returns the number of cases."""
    from qinqing.insights.models import Daily

    calendar = current_calendar(verify=True)
    destination = destination_of()
    done = 0
    last = 0
    with transaction.atomic():
        Daily.objects.all().delete()
        while True:
            cases = list(Case.objects.filter(pk__gt=last).order_by("pk").only(
                "id", "kind", "channel", "category_id", "region_id", "lead_unit_id",
                "received_at", "closed_at", "outcome")[:batch])
            if not cases:
                break
            ids = [c.pk for c in cases]
            clocks, events = _read(ids)
            rows = [row for c in cases for row in facts_for(c, clocks[c.pk], events[c.pk],
                                                             calendar)]
            totals = rollup.new_totals()
            for row in rows:
                row.rolled = True
                rollup.add(totals, row, destination)
            Fact.objects.filter(case_id__in=ids).delete()
            Fact.objects.bulk_create(rows, batch_size=5000)
            rollup.apply(totals)
            last = ids[-1]
            done += len(cases)
            if progress:
                progress(done)
    return done


def rollup_differences(batch: int = 20000) -> list[tuple]:
    """(slice, day, key, measure, in the rollup, from the facts) wherever the rollup is not
    the sum of the rolled facts' events (the organisation as it is now)."""
    from qinqing.insights.models import Daily

    destination = destination_of()
    expected = rollup.new_totals()
    last = 0
    while True:
        rows = list(Fact.objects.filter(rolled=True, pk__gt=last).order_by("pk")[:batch])
        if not rows:
            break
        for row in rows:
            rollup.add(expected, row, destination)
        last = rows[-1].pk
    expected = rollup.with_months(expected)
    stored = {(r.slice, r.day, r.key, r.measure): (r.n, r.seconds)
              for r in Daily.objects.all().iterator(chunk_size=20000)}
    wrong = []
    for key in sorted(set(stored) | set(expected)):
        have = stored.get(key, (0, 0))
        want = tuple(expected.get(key, (0, 0)))
        if tuple(have) != want:
            wrong.append((*key, tuple(have), want))
    return wrong


def build_if_missing(verbosity: int = 1, **kwargs) -> None:
    """After `migrate`: a database that has cases but no facts or rollups yet (the
    insights app was just installed or upgraded) gets them, so its figures are right
    from the start."""
    from qinqing.insights.models import Daily

    if Case.objects.exists() and not (Fact.objects.exists() and Daily.objects.exists()):
        done = rebuild()
        if verbosity:
            print(f"qinqing: built the figures' facts of {done} existing cases")


COMPARED = ("row", "received_on", "kind", "channel", "category_id", "region_id",
            "lead_unit_id", "dispatched_at", "closed_at", "closed_on", "outcome",
            "called_back_at", "reopened_at", "stage", "started_at", "due_at", "done_at",
            "paused", "on_time", "worked_seconds", "ended_by", "satisfaction", "resolved",
            "first_rated", "next_due_at", "bucket", "last_event_on", "lag_days",
            "answered_at", "answered_on_time", "online")  # not `rolled`: bookkeeping


def _key(fact: Fact) -> tuple:
    # Plain values (a choice enum and its value compare equal but print differently).
    return tuple(_plain(getattr(fact, name)) for name in COMPARED)


def _plain(value):
    return value.value if isinstance(value, Enum) else value


def differences(case_ids: Iterable[int] | None = None, batch: int = 2000) -> list[int]:
    """Cases whose stored facts differ from what their rows say now (all cases: None)."""
    calendar = current_calendar(verify=True)
    wrong: list[int] = []
    base = Case.objects.order_by("pk").only(
        "id", "kind", "channel", "category_id", "region_id", "lead_unit_id", "received_at",
        "closed_at", "outcome")
    if case_ids is not None:
        base = base.filter(pk__in=list(case_ids))
    last = 0
    while True:
        cases = list(base.filter(pk__gt=last)[:batch])
        if not cases:
            break
        ids = [c.pk for c in cases]
        clocks, events = _read(ids)
        stored: dict[int, list[tuple]] = {pk: [] for pk in ids}
        for fact in Fact.objects.filter(case_id__in=ids):
            stored[fact.case_id].append(_key(fact))
        for case in cases:
            expected = sorted(map(_key, facts_for(case, clocks[case.pk], events[case.pk],
                                                   calendar)), key=repr)
            if sorted(stored[case.pk], key=repr) != expected:
                wrong.append(case.pk)
        last = ids[-1]
    return wrong
