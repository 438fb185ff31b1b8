"""Daily rollups of the facts: what makes a year's figures for a whole city cheap.

Every fact row stands for a few *events*, each on a local day: a case was received,
consulted, answered (directly or by the unit, on time or not), answered directly,
routed, closed after handling, closed in any way after routing; a stage clock started, had its stage's work done (with its working seconds), on
time, signed for on time; a callback was rated at a level (online or not) or said
solved, or was the case's first callback with a result (and reopened the case). The rollup (models.Daily)
holds, per day of *receipt*, slice and key, the number of events of each measure (and
their working seconds), whenever they happened.

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
from django.db.models import BigIntegerField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from qinqing.cases.models import Kind, Outcome
from qinqing.cases.models.case import Satisfaction
from qinqing.insights.models import Daily, Fact

LATE_DAYS = 14  # also in models.Fact's partial index fact_late
TOTAL, KIND, CHANNEL, REGION, DESTINATION, BUCKETS, CLOSINGS = range(7)
# Each slice is also kept per month (slice + MONTHLY, day = the month's first day), so a
# long period reads a row per month and key instead of one per day.
MONTHLY = 10
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
        if fact.answered_at is not None:
            answered = _day(fact.answered_at)
            found.append(("answered", answered, 0))
            if fact.answered_on_time:
                found.append(("answered_on_time", answered, 0))
        if fact.dispatched_at is not None:
            found.append(("routed", _day(fact.dispatched_at), 0))
            if fact.closed_at is not None:
                found.append(("ended", _day(fact.closed_at), 0))
                if fact.outcome == Outcome.RESOLVED:
                    found.append(("closed", _day(fact.closed_at), 0))
        return found
    if row == Fact.Row.CLOCK:
        found = [(f"started:{fact.stage}", _day(fact.started_at), 0)]
        # Only a clock whose stage's work was done (not one a return or a send-back
        # stopped) has a bucket: facts.facts_for and cases COMPLETED_BY.
        if fact.done_at is not None and fact.bucket is not None:
            done = _day(fact.done_at)
            found.append((f"finished:{fact.stage}", done, fact.worked_seconds or 0))
            if fact.on_time:
                found.append((f"on_time:{fact.stage}", done, 0))
                if fact.ended_by == "sign":
                    found.append(("signed_on_time", done, 0))
            found.append((f"b:{fact.stage}:{fact.bucket}", done, 0))
        return found
    done = _day(fact.done_at)
    found = [("callbacks", done, 0)]
    if fact.satisfaction:
        found.append((f"level:{fact.satisfaction}", done, 0))
    if fact.resolved:
        found.append(("resolved", done, 0))
    if fact.online and fact.satisfaction:
        found.append(("online_rated", done, 0))
    if fact.first_rated:
        found.append(("called_back", done, 0))
        if fact.satisfaction == Satisfaction.DISSATISFIED:
            found.append(("reopened", done, 0))
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
            and fact.dispatched_at is not None and fact.outcome == Outcome.RESOLVED
            and only is None):
        # Closings of routed cases after handling by the day of closing, whenever received
        # (`closures`).
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


def with_months(totals: dict) -> dict:
    """The daily rows and the monthly rows they add up to."""
    out = new_totals()
    for (slice_, day, key, measure), (n, seconds) in totals.items():
        if slice_ >= MONTHLY:
            raise ValueError("totals are daily; the months are derived here")
        for target in ((slice_, day, key, measure),
                       (slice_ + MONTHLY, day.replace(day=1), key, measure)):
            entry = out[target]
            entry[0] += n
            entry[1] += seconds
    return out


def apply(totals: dict) -> None:
    """Add daily differences (and their months) to the rollup: one upsert (in key order:
    concurrent transactions lock shared rows in the same order, so they queue rather than
    deadlock)."""
    rows = [(day, slice_, key, measure, n, seconds)
            for (slice_, day, key, measure), (n, seconds) in sorted(with_months(totals).items())
            if n or seconds]
    table = Daily._meta.db_table
    if connection.vendor == "postgresql":
        # One array per column: the statement's text is the same whatever the number of
        # rows (the driver parses a statement of thousands of placeholders slowly, which
        # a bulk load's rollup of a few hundred thousand rows would feel).
        for start in range(0, len(rows), 50000):
            chunk = rows[start:start + 50000]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (day, slice, key, measure, n, seconds) "
                    f"SELECT * FROM unnest(%s::date[], %s::smallint[], %s::text[], "
                    f"%s::text[], %s::bigint[], %s::bigint[]) "
                    f"ON CONFLICT (slice, day, key, measure) DO UPDATE SET "
                    f"n = {table}.n + excluded.n, seconds = {table}.seconds + excluded.seconds",
                    [list(column) for column in zip(*chunk)])
        return
    for start in range(0, len(rows), 2000):
        chunk = rows[start:start + 2000]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (day, slice, key, measure, n, seconds) VALUES {values} "
                f"ON CONFLICT (slice, day, key, measure) DO UPDATE SET "
                f"n = {table}.n + excluded.n, seconds = {table}.seconds + excluded.seconds",
                [v for row in chunk for v in row])


def _days(slice_: int, start: date, end: date) -> Q:
    """Rollup rows covering the days start..end: whole months from the monthly rows, the
    days before the first and after the last whole month from the daily ones."""
    first = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    after = end + timedelta(days=1)
    last = after.replace(day=1)  # whole months are those starting in [first, last)
    if first >= last:
        return Q(slice=slice_, day__gte=start, day__lte=end)
    return (Q(slice=slice_ + MONTHLY, day__gte=first, day__lt=last)
            | Q(slice=slice_, day__gte=start, day__lt=first)
            | Q(slice=slice_, day__gte=last, day__lte=end))


# ------------------------------------------------------------------------ reading

def sums(*, start: date, end: date, slice_name: str, keys_in: Iterable[str] | None,
         group: str | None) -> dict[str, dict[str, list[int]]]:
    """{group: {measure: [n, seconds]}} of the rollup rows of the days start..end (all the
    events of the rolled facts of the cases received then). group: None (one group ""),
    "day" (ISO day of receipt) or "key" (the slice's key); keys_in: only those keys.
    The caller adds `pending()` rows' events up to the end and takes away `late()` rows'
    events after it (metrics/from_rollup.py does both in SQL)."""
    slice_ = SLICES[slice_name]
    rows = Daily.objects.filter(slice=slice_, day__gte=start, day__lte=end) if group == "day" \
        else Daily.objects.filter(_days(slice_, start, end))
    if keys_in is not None:
        rows = rows.filter(key__in=list(keys_in))
    return _grouped(rows, group)


def bucket_sums(*, start: date, end: date) -> dict[str, int]:
    """{"b:<stage>:<bucket>": clocks} of the rollup rows of the days start..end."""
    rows = Daily.objects.filter(_days(BUCKETS, start, end))
    return {measure: n for measure, (n, _s) in _grouped(rows, None).get("", {}).items()}


def _grouped(rows, group) -> dict[str, dict[str, list[int]]]:
    out: dict[str, dict[str, list[int]]] = {}
    fields = {"day": ["day"], "key": ["key"], None: []}[group]
    # Sums cast back to bigint: PostgreSQL's SUM(bigint) is numeric, read as Decimal.
    for *head, measure, n, s in rows.values(*fields, "measure").annotate(
            n_=Cast(Sum("n"), BigIntegerField()),
            s_=Cast(Sum("seconds"), BigIntegerField())).order_by().values_list(
            *fields, "measure", "n_", "s_"):
        g = head[0].isoformat() if group == "day" else (head[0] if head else "")
        measures = out.setdefault(g, {})
        entry = measures.get(measure)
        if entry is None:
            measures[measure] = [n, s]
        else:
            entry[0] += n
            entry[1] += s
    return out


def pending(start: date, end: date) -> Q:
    """Fact rows of cases received start..end that are not in the rollups yet."""
    return Q(received_on__gte=start, received_on__lte=end, rolled=False)


def late(start: date, end: date) -> Q:
    """Rolled fact rows of cases received start..end with an event after `end`: received in
    the last LATE_DAYS days, or with a last event LATE_DAYS or more days after receipt
    (both read through an index: fact_received, fact_late)."""
    edge = max(start, end - timedelta(days=LATE_DAYS - 1))
    return (Q(received_on__gte=edge, received_on__lte=end)
            | Q(received_on__gte=start, received_on__lt=edge, lag_days__gte=LATE_DAYS)) & Q(
        rolled=True, last_event_on__gt=end)


def closing_sums(*, start: date, end: date, by_day: bool) -> dict[str, int]:
    """{ISO day or "": routed cases closed after handling on start..end} (whole scope). A case is closed
    by a move, so its facts are rolled up by then: nothing to add or take away."""
    if not by_day:
        rows = Daily.objects.filter(_days(CLOSINGS, start, end), measure="closures")
        return {"": rows.aggregate(n=Sum("n"))["n"] or 0}
    rows = Daily.objects.filter(slice=CLOSINGS, day__gte=start, day__lte=end, measure="closures")
    return {row["day"].isoformat(): row["n"]
            for row in rows.values("day").annotate(n=Sum("n")).order_by()}
