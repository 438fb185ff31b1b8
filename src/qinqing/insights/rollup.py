"""Daily rollups of the facts: what makes a year's figures for a whole city cheap.

Every fact row stands for a few *events*, each on a local day: a case was received,
consulted, answered directly, routed, closed, called back, reopened; a stage clock started,
stopped (with its working seconds), stopped on time, signed for on time; a callback was rated at a level or
said solved. The rollup (models.Daily) holds, per day of *receipt*, slice and key, the
number of events of each measure (and their working seconds), whenever they happened.

A figure of a period [start, end] counts the events of the cases received in it that
happened by the end of the period. From the rollup that is:

    the rollup rows of the days start..end
  + the events (up to `end`) of the fact rows not rolled up yet (a new intake: until its
    next move; a small set, read through its own partial index)
  − the events after `end` of rolled fact rows received in the period: rows whose last
    event is after `end` are either received in the last LATE_DAYS days of the period,
    or have a last event LATE_DAYS or more days after receipt (a small partial index).

Slices: the whole scope, by kind, by channel, by region, by destination (one key each),
the closings of routed cases by the day of closing (whole scope only, for `closures`),
and the working-time buckets of finished clocks (whole scope only) from which the 90th
percentile is found in two steps: the bucket that holds the ⌈0.9 n⌉-th time, then the
exact time within that bucket from the facts.

Kept right in the same transaction as the facts (facts.py applies each case's change as a
difference); `qinqing rollup --rebuild` recomputes it; `qinqing rollup --check` and the
tests compare it with the facts, and figures from it with figures counted from the facts
directly (metrics.figures(..., source="facts")).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from qinqing.cases.models import Kind, Outcome
from qinqing.insights.models import Daily, Fact

LATE_DAYS = 14  # also in models.Fact's partial index fact_late
TOTAL, KIND, CHANNEL, REGION, DESTINATION, BUCKETS, CLOSINGS = range(7)
SLICES = {"": TOTAL, "kind": KIND, "channel": CHANNEL, "region": REGION,
          "destination": DESTINATION}


def bucket_of(seconds: int) -> int:
    """Working-time bucket: 0 below a minute, then each bucket 10 % wider than the last
    (the 90th percentile is then looked for among a few per cent of the times)."""
    if seconds < 60:
        return 0
    return 1 + int(math.log(seconds / 60) / math.log(1.1))


_ZONE = None


def _day(moment) -> date:
    """Local date of an aware moment (timezone.localtime without its checks: this runs
    for every event of every fact a rebuild or a check reads)."""
    global _ZONE
    if _ZONE is None:
        _ZONE = timezone.get_default_timezone()
    return moment.astimezone(_ZONE).date()


def events(fact) -> list[tuple[str, date, int]]:
    """(measure, local day, working seconds) of each event a fact row stands for."""
    row = int(fact.row)
    if row == Fact.Row.CASE:
        found = [("received", fact.received_on, 0)]
        if fact.kind == Kind.CONSULTATION:
            found.append(("consultations", fact.received_on, 0))
        if fact.closed_at is not None and fact.outcome == Outcome.DIRECT_ANSWER:
            found.append(("direct_answers", _day(fact.closed_at), 0))
        if fact.dispatched_at is not None:
            found.append(("routed", _day(fact.dispatched_at), 0))
            if fact.closed_at is not None:
                found.append(("closed", _day(fact.closed_at), 0))
        if fact.called_back_at is not None:
            found.append(("called_back", _day(fact.called_back_at), 0))
        if fact.reopened_at is not None:
            found.append(("reopened", _day(fact.reopened_at), 0))
        return found
    if row == Fact.Row.CLOCK:
        found = [(f"started:{fact.stage}", _day(fact.started_at), 0)]
        if fact.done_at is not None:
            done = _day(fact.done_at)
            found.append((f"finished:{fact.stage}", done, fact.worked_seconds or 0))
            if fact.on_time:
                found.append((f"on_time:{fact.stage}", done, 0))
                if fact.signed:
                    found.append(("signed_on_time", done, 0))
            found.append((f"b:{fact.stage}:{fact.bucket}", done, 0))
        return found
    done = _day(fact.done_at)
    found = [("callbacks", done, 0)]
    if fact.satisfaction:
        found.append((f"level:{fact.satisfaction}", done, 0))
    if fact.resolved:
        found.append(("resolved", done, 0))
    return found


def last_event_on(fact) -> date:
    return max(day for _m, day, _s in events(fact))


def keys(fact, destination_of) -> list[tuple[int, str]]:
    """The (slice, key) rows a fact row counts in (buckets: BUCKETS, "")."""
    return [(TOTAL, ""), (KIND, fact.kind), (CHANNEL, fact.channel),
            (REGION, str(fact.region_id)),
            (DESTINATION, destination_of(fact.lead_unit_id) if fact.lead_unit_id else "")]


def add(totals: dict, fact, destination_of, sign: int = 1,
        only: tuple[date, date] | None = None) -> None:
    """Add (or with sign=-1 take away) a fact row's events to {(slice, day, key, measure):
    [n, seconds]}; only=(first, last): just the events on those days."""
    slices = None
    received = fact.received_on
    if (int(fact.row) == Fact.Row.CASE and fact.closed_at is not None
            and fact.dispatched_at is not None and only is None):
        # Closings of routed cases by the day of closing, whenever received (`closures`).
        totals[(CLOSINGS, _day(fact.closed_at), "", "closures")][0] += sign
    for measure, day, seconds in events(fact):
        if only is not None and not (only[0] <= day <= only[1]):
            continue
        if measure[0] == "b" and measure[1] == ":":
            totals[(BUCKETS, received, "", measure)][0] += sign
            continue
        if slices is None:
            slices = keys(fact, destination_of)
        for slice_, key in slices:
            entry = totals[(slice_, received, key, measure)]
            entry[0] += sign
            if seconds:
                entry[1] += sign * seconds


def new_totals() -> dict:
    return defaultdict(lambda: [0, 0])


def apply(totals: dict) -> None:
    """Add differences to the rollup: one upsert (in key order: concurrent transactions
    lock shared rows in the same order, so they queue rather than deadlock)."""
    rows = [(day, slice_, key, measure, n, seconds)
            for (slice_, day, key, measure), (n, seconds) in sorted(totals.items())
            if n or seconds]
    table = Daily._meta.db_table
    for start in range(0, len(rows), 2000):
        chunk = rows[start:start + 2000]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, slice, key, measure, n, seconds) VALUES {values} "
                f"ON CONFLICT (slice, day, key, measure) DO UPDATE SET "
                f"n = {table}.n + excluded.n, seconds = {table}.seconds + excluded.seconds",
                [v for row in chunk for v in row])


# ------------------------------------------------------------------------ reading

def sums(*, start: date, end: date, slice_name: str, keys_in: Iterable[str] | None,
         group: str | None, fact_filter: Q, destination_of) -> dict[str, dict[str, list[int]]]:
    """{group: {measure: [n, seconds]}} of the cases received start..end, counting events
    up to `end`. group: None (one group ""), "day" (ISO day of receipt) or "key" (the
    slice's key); keys_in: only those keys of the slice; `fact_filter`: the same
    restriction as a Q on the facts (for the rows read from the facts)."""
    return _sums(SLICES[slice_name], start, end, keys_in, group, fact_filter, destination_of)


def bucket_sums(*, start: date, end: date, destination_of) -> dict[str, int]:
    """{"b:<stage>:<bucket>": clocks} of the whole scope (finished by `end`)."""
    result = _sums(BUCKETS, start, end, None, None, Q(), destination_of)
    return {measure: n for measure, (n, _s) in result.get("", {}).items()}


def closing_sums(*, start: date, end: date, by_day: bool) -> dict[str, int]:
    """{ISO day or "": routed cases closed on start..end} (whole scope). A case is closed
    by a move, so its facts are rolled up by then: nothing to add or take away."""
    rows = Daily.objects.filter(slice=CLOSINGS, day__gte=start, day__lte=end, measure="closures")
    if not by_day:
        return {"": rows.aggregate(n=Sum("n"))["n"] or 0}
    return {row["day"].isoformat(): row["n"]
            for row in rows.values("day").annotate(n=Sum("n")).order_by()}


def _sums(slice_, start, end, keys_in, group, fact_filter,
          destination_of) -> dict[str, dict[str, list[int]]]:
    out: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    rows = Daily.objects.filter(slice=slice_, day__gte=start, day__lte=end)
    if keys_in is not None:
        rows = rows.filter(key__in=list(keys_in))
    fields = {"day": ["day"], "key": ["key"], None: []}[group]
    for row in rows.values(*fields, "measure").annotate(n=Sum("n"), s=Sum("seconds")).order_by():
        g = row["day"].isoformat() if group == "day" else row.get("key", "")
        entry = out[g][row["measure"]]
        entry[0] += row["n"]
        entry[1] += row["s"]

    if keys_in is not None:
        keys_in = set(keys_in)

    def fold(facts, sign, only):
        totals = new_totals()
        for fact in facts:
            add(totals, fact, destination_of, sign, only)
            for (s, _day, key, measure), (n, seconds) in totals.items():
                if s != slice_ or (keys_in is not None and key not in keys_in):
                    continue
                g = {"day": fact.received_on.isoformat(), "key": key, None: ""}[group]
                entry = out[g][measure]
                entry[0] += n
                entry[1] += seconds
            totals.clear()

    # One read of the facts: the rows not rolled up yet (their events up to `end` are
    # added) and the rolled rows with events after `end` (those events are taken away).
    edge = max(start, end - timedelta(days=LATE_DAYS - 1))
    late = (Q(received_on__gte=edge, received_on__lte=end)
            | Q(received_on__gte=start, received_on__lt=edge, lag_days__gte=LATE_DAYS))
    pending = Q(received_on__gte=start, received_on__lte=end, rolled=False)
    rows = list(Fact.objects.filter(fact_filter).filter(
        pending | (late & Q(rolled=True, last_event_on__gt=end))))
    fold([f for f in rows if not f.rolled], 1, (date.min, end))
    fold([f for f in rows if f.rolled], -1, (end + timedelta(days=1), date.max))
    return out
