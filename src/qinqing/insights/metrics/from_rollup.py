"""The aggregates of figures read from the daily rollups (models.Daily, rollup.py) where
they can answer the scope, corrected by the facts that are not rolled up yet; and
`snapshot()`, under which several figures are read as of one moment.

rollup rows + events up to the end of fact rows not rolled up yet − events after the end
of rolled rows: the same numbers as counted from the facts alone (from_facts.py), which
the reproducibility tests compare.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from qinqing.insights import rollup
from qinqing.insights.metrics.from_facts import (
    EventCounter, count_from_facts, nearest_rank_position, p90_from_facts, period_filter,
    put_stage,
)
from qinqing.insights.metrics.groupings import (
    DIMENSIONS, SLICE_BREAKDOWNS, TIME_BREAKDOWNS, Grouping, make_grouping,
)
from qinqing.insights.metrics.masters import Masters
from qinqing.insights.metrics.registry import STAGES, resolution_base, satisfied_levels
from qinqing.insights.metrics.scope import Scope
from qinqing.insights.models import Fact
from qinqing.org.models import REGION_KINDS

logger = logging.getLogger("qinqing.insights.metrics")


def rollup_plan(scope: Scope, by: str | None, masters: Masters):
    """(slice, keys) when the rollups can answer this scope and breakdown, else None:
    no unit or category filter, at most one of region, kind and channel, and a breakdown
    by time or by that same dimension (or by any of them without a filter)."""
    if scope.unit or scope.category:
        return None
    filters = [name for name in ("region", "kind", "channel") if getattr(scope, name)]
    if len(filters) > 1 or (by is not None and by not in TIME_BREAKDOWNS + SLICE_BREAKDOWNS):
        return None
    by_slice = by if by in SLICE_BREAKDOWNS else None
    if filters and by_slice and by_slice != filters[0]:
        return None
    slice_name = by_slice or (filters[0] if filters else "")
    if not filters:
        return slice_name, None
    if filters[0] == "region":
        region = masters.unit_by_code[scope.region]
        return "region", [str(pk) for pk in masters.subtree(region)
                          if masters.units[pk].kind in REGION_KINDS]
    return filters[0], [getattr(scope, filters[0])]


def count_from_rollup(plan, scope: Scope, by: str | None, grouping: Grouping,
                      masters: Masters, dims: Q, families: set[str], result) -> None:
    """rollup rows + events up to the end of fact rows not rolled up yet − events after
    the end of rolled rows (rollup.py); the two corrections are counted in SQL, as
    count_from_facts counts, over those few rows."""
    slice_name, keys_in = plan
    group = None if by is None else ("day" if by in TIME_BREAKDOWNS else "key")
    sums = rollup.sums(start=scope.start, end=scope.end, slice_name=slice_name,
                       keys_in=keys_in, group=group)
    merged: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g, measures in sums.items():
        if group == "day":
            key = grouping.key(date.fromisoformat(g))
        elif group == "key" and by == "region":
            key = masters.units[int(g)].code
        else:
            key = g
        for measure, (n, total) in measures.items():
            merged[key][measure] += n
            seconds[key][measure] += total
    for key, measures in merged.items():
        result[key].update(_aggregates(measures, seconds[key]))
    for dimensions, values in correction(scope, families, dims).items():
        received_on, kind, channel, region_id, lead_unit_id = dimensions
        if by is None:
            key = ""
        elif by in TIME_BREAKDOWNS:
            key = grouping.key(received_on)
        elif by == "region":
            key = masters.units[region_id].code
        elif by == "destination":
            key = masters.destination(masters.units[lead_unit_id]) if lead_unit_id else ""
        else:
            key = {"kind": kind, "channel": channel}[by]
        target = result[key]
        for name, value in values.items():
            target[name] = target.get(name, 0) + (value or 0)


def correction(scope: Scope, families: set[str], dims: Q) -> dict[tuple, dict]:
    """The rollups' correction of a scope by (day, kind, channel, region, lead unit): the
    events up to the end of rows not rolled up yet, less the events after the end of
    rolled rows (none when the period has not ended: no event is in the future). Shared by
    the figures and breakdowns computed within one `snapshot()`."""
    cohort = families & {"cases", "clocks", "callbacks"}
    shared = _shared.get()
    result: dict[tuple, dict] = defaultdict(dict)
    wanted = []
    for family in sorted(cohort):
        cached = shared.get((scope, family)) if shared is not None else None
        if cached is None:
            wanted.append(family)
            continue
        for dimensions, values in cached.items():
            result[dimensions].update(values)
    if wanted:
        late = (rollup.late(scope.start, scope.end)
                if scope.until <= timezone.now() else None)
        for family in wanted:
            rows: dict[tuple, dict] = defaultdict(dict)
            count_from_facts({family}, scope, DIMENSIONS, dims, rows, p90=False,
                             counter=EventCounter(scope.until,
                                                  rollup.pending(scope.start, scope.end), late))
            if shared is not None:
                shared[(scope, family)] = rows
            for dimensions, values in rows.items():
                result[dimensions].update(values)
    return result


# The corrections computed within one snapshot(), by (scope, family); None outside one.
_shared: ContextVar[dict | None] = ContextVar("insights_shared", default=None)


@contextmanager
def snapshot():
    """Several figures read as of one moment, and read once: on PostgreSQL one
    REPEATABLE READ transaction (the rollups and the facts that correct them are seen
    at the same instant — outside it, a case change committed between the two reads could
    be counted twice or missed until the next read); the rollups' corrections are shared
    by the figures and breakdowns computed inside. (SQLite's transactions here take the
    write lock, so there each query reads the latest commit.) JIT compilation is off
    inside it."""
    if _shared.get() is not None:
        yield
        return
    token = _shared.set({})
    try:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    # These are short reads of indexed rows; PostgreSQL's JIT compiler, which
                    # their cost estimates trigger, spends ~100 ms per query for nothing.
                    cursor.execute("SET LOCAL jit = off")
                yield
        else:
            yield
    finally:
        _shared.reset(token)


def _aggregates(n: dict[str, int], seconds: dict[str, int]) -> dict[str, int]:
    """The families' aggregates from rollup measures (names as count_from_facts makes them)."""
    agg = {name: n.get(name, 0) for name in (
        "received", "consultations", "direct_answers", "routed", "closed", "ended",
        "answered", "answered_on_time", "called_back",
        "reopened", "callbacks", "resolved", "online_rated")}
    agg["completed"] = agg["direct_answers"] + agg["closed"]
    agg["other"] = agg["received"] - agg["direct_answers"] - agg["routed"]
    levels = {m[6:]: v for m, v in n.items() if m.startswith("level:")}
    agg["rated"] = sum(levels.values())
    agg["satisfied"] = sum(levels.get(level, 0) for level in satisfied_levels())
    agg["resolution_base"] = agg["rated"] if resolution_base() != "all" else agg["callbacks"]
    for stage in STAGES:
        put_stage(agg, stage, n.get(f"finished:{stage}", 0), n.get(f"on_time:{stage}", 0),
                  seconds.get(f"finished:{stage}", 0), n.get(f"started:{stage}", 0),
                  n.get("signed_on_time", 0))
    return agg


def p90_two_steps(scope: Scope, masters: Masters, result) -> None:
    """The whole scope's 90th percentiles: the bucket that holds the ⌈0.9 n⌉-th working
    time (from the rollups, corrected like the counts), then that time among the
    bucket's facts."""
    counts = rollup.bucket_sums(start=scope.start, end=scope.end)
    late = rollup.late(scope.start, scope.end)
    for row in (Fact.objects.filter(late | rollup.pending(scope.start, scope.end),
                                    row=Fact.Row.CLOCK, bucket__isnull=False)
                .values("stage", "bucket").annotate(
                    n_added=Count("received_on", filter=Q(done_at__lt=scope.until)),
                    n_taken=Count("received_on", filter=Q(rolled=True))).order_by()):
        measure = f"b:{row['stage']}:{row['bucket']}"
        counts[measure] = counts.get(measure, 0) + row["n_added"] - row["n_taken"]
    agg = result[""]
    for stage in STAGES:
        n = agg.get(f"finished_{stage}", 0)
        if not n:
            continue
        rank = nearest_rank_position(n)
        below = 0
        buckets = sorted((int(m.rsplit(":", 1)[1]), c) for m, c in counts.items()
                         if m.startswith(f"b:{stage}:") and c)
        for bucket, count in buckets:
            if below + count >= rank:
                # (Only finished CLOCK rows have a bucket: the index fact_worked answers.)
                values = list(Fact.objects.filter(
                    period_filter(scope), stage=stage, bucket=bucket,
                    done_at__lt=scope.until).order_by("worked_seconds").values_list(
                    "worked_seconds", flat=True)[rank - below - 1:rank - below])
                if values:
                    agg[f"p90_{stage}"] = values[0]
                break
            below += count
        if f"p90_{stage}" not in agg:
            # The rollup disagrees with the facts (`qinqing rollup --check` says where):
            # count this one from the facts rather than show a wrong time.
            logger.error("insights: working-time buckets disagree with the facts for %s, "
                         "%s..%s; run `qinqing rollup --check`", stage, scope.start, scope.end)
            fallback: dict[str, dict] = defaultdict(dict)
            p90_from_facts(Fact.objects.filter(period_filter(scope), row=Fact.Row.CLOCK,
                                               stage=stage),
                           make_grouping(None, scope, masters, "received_on"), scope.until,
                           fallback)
            agg[f"p90_{stage}"] = fallback[""].get(f"p90_{stage}")

