"""The aggregates of figures counted from the fact table (models.Fact: one row per case,
per stage clock and per callback, kept right in the same transaction as every case
change by facts.py), with one SQL query per family of figures.

Plainly, they are the events up to the end of the scope; as the rollups' correction
(from_rollup.py), the events of the rows not rolled up yet, less the events after the end
of the rolled rows. The names of the aggregates are those the registry's numerators and
denominators use (registry.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import Aggregate, Count, IntegerField, Q, Sum
from django.db.models.functions import Coalesce

from qinqing.cases.models import Kind, Outcome, Stage
from qinqing.cases.models.case import Satisfaction
from qinqing.insights.metrics.groupings import (
    BY_DIMENSIONS, DIM_FIELDS, Grouping, expr, rows_by_group,
)
from qinqing.insights.metrics.masters import Masters
from qinqing.insights.metrics.registry import resolution_base, response_stage, satisfied_levels
from qinqing.insights.metrics.scope import Scope
from qinqing.insights.models import Fact
from qinqing.org.models import REGION_KINDS


class PercentileDisc(Aggregate):
    """PostgreSQL's nearest-rank percentile: the first value whose cumulative share
    reaches the fraction (the ⌈0.9 n⌉-th smallest for 0.9)."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(0.9) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = IntegerField()


def nearest_rank(sorted_values: list[int], share_tenths: int = 9) -> int | None:
    """The ⌈share·n⌉-th smallest value (1-based) of a sorted list; None if empty."""
    if not sorted_values:
        return None
    return sorted_values[nearest_rank_position(len(sorted_values), share_tenths) - 1]


def nearest_rank_position(n: int, share_tenths: int = 9) -> int:
    """1-based rank of the nearest-rank percentile: ⌈share·n⌉ (at least 1)."""
    return max((share_tenths * n + 9) // 10, 1)


def dimension_filter(scope: Scope, masters: Masters) -> Q:
    """The fact rows of the scope's region, unit, kind, channel and category (each with
    the regions, units or categories below it)."""
    q = Q()
    if scope.region:
        region = masters.unit_by_code[scope.region]
        q &= Q(region_id__in=[pk for pk in masters.subtree(region)
                              if masters.units[pk].kind in REGION_KINDS])
    if scope.unit:
        q &= Q(lead_unit_id__in=masters.subtree(masters.unit_by_code[scope.unit]))
    if scope.kind:
        q &= Q(kind=scope.kind)
    if scope.channel:
        q &= Q(channel=scope.channel)
    if scope.category:
        q &= Q(category_id__in=masters.category_subtree(masters.category_by_code[scope.category]))
    return q


def period_filter(scope: Scope) -> Q:
    """The fact rows of the cases received in the scope's period."""
    return Q(received_on__gte=scope.start, received_on__lte=scope.end)


# ------------------------------------------------------------ counted from the facts

class EventCounter:
    """Aggregate expressions for count_from_facts. Plainly: the events before `until`. As a
    correction of the rollups (`pending`, `late` given): the events before `until` of
    the rows not rolled up yet, less the events at or after it of the rolled rows that
    have some — one query per family, whatever the two sets hold."""

    def __init__(self, until: datetime, pending: Q | None = None, late: Q | None = None):
        self.until, self.pending, self.late = until, pending, late

    def rows(self) -> Q:
        if self.pending is None:
            return Q()
        return self.pending if self.late is None else (self.pending | self.late)

    def count(self, when: Q = Q(), at: str | None = None):
        return self._make(lambda cond: Count("received_on", filter=cond), when, at)

    def sum(self, field: str, when: Q = Q(), at: str | None = None):
        return self._make(lambda cond: Coalesce(Sum(field, filter=cond), 0), when, at)

    def _make(self, aggregate, when: Q, at: str | None):
        before = Q(**{f"{at}__lt": self.until}) if at else Q()
        if self.pending is None:
            cond = when & before
            return aggregate(cond if cond else None)
        added = aggregate(self.pending & when & before)
        if at is None or self.late is None:
            return added  # an event at receipt is never after the end
        return added - aggregate(self.late & when & Q(**{f"{at}__gte": self.until}))


def count_from_facts(families: set[str], scope: Scope, grouping: Grouping, dims: Q, result,
                     *, counter: EventCounter | None = None, p90: bool = True) -> None:
    """The families' aggregates counted from the fact rows of the scope matching `dims`:
    the events up to the end of the scope (or, with a correcting `counter`, the rollups'
    correction)."""
    period, until = period_filter(scope), scope.until
    c = counter or EventCounter(until)
    rows = c.rows()
    if "cases" in families:
        qs = Fact.objects.filter(period, dims, rows, row=Fact.Row.CASE)
        for key, agg in rows_by_group(
                qs, grouping,
                received=c.count(),
                consultations=c.count(Q(kind=Kind.CONSULTATION)),
                direct_answers=c.count(Q(outcome=Outcome.DIRECT_ANSWER), "closed_at"),
                # A case is closed after its first dispatch: "closed_at" alone says when.
                routed=c.count(Q(), "dispatched_at"),
                # Closed after handling (called back or closed unrated), not a routed
                # case later rejected or merged: that one has ended without being handled.
                closed=c.count(Q(dispatched_at__isnull=False, outcome=Outcome.RESOLVED),
                               "closed_at"),
                ended=c.count(Q(dispatched_at__isnull=False), "closed_at"),
                # The answer left the unit (a direct answer, or the reply its head
                # approved), once per case, at the first time: facts.py.
                answered=c.count(Q(answered_at__isnull=False), "answered_at"),
                answered_on_time=c.count(Q(answered_on_time=True), "answered_at")):
            agg["completed"] = agg["direct_answers"] + agg["closed"]
            agg["other"] = agg["received"] - agg["direct_answers"] - agg["routed"]
            result[key].update(agg)
    if "clocks" in families:
        qs = Fact.objects.filter(period, dims, rows, row=Fact.Row.CLOCK)
        if grouping.by == BY_DIMENSIONS:
            values, grouped = [*DIM_FIELDS, "stage"], qs
        else:
            values = ["_group", "stage"] if grouping.expression is not None else ["stage"]
            grouped = (qs.annotate(_group=expr(grouping.expression))
                       if grouping.expression is not None else qs)
        # (Annotation names differ from the fields: a filter naming `on_time` must mean
        # the field, not an aggregate of the same name.) A stopped clock counts as its
        # stage done only when a move doing the stage's work stopped it: then, and only
        # then, it has a working-time bucket (facts.facts_for).
        done = Q(bucket__isnull=False)
        for row in grouped.values(*values).annotate(
                n_finished=c.count(done, "done_at"),
                n_on_time=c.count(done & Q(on_time=True), "done_at"),
                s_worked=c.sum("worked_seconds", done, "done_at"),
                n_started=c.count(Q(), "started_at"),
                n_signed=c.count(done & Q(on_time=True, ended_by="sign"), "done_at"),
        ).order_by():
            if grouping.by == BY_DIMENSIONS:
                key = tuple(row[name] for name in DIM_FIELDS)
            else:
                key = grouping.key(row["_group"]) if grouping.expression is not None else ""
            put_stage(result[key], row["stage"], row["n_finished"], row["n_on_time"],
                       row["s_worked"] or 0, row["n_started"], row["n_signed"])
        if p90:
            p90_from_facts(qs, grouping, until, result)
    if "callbacks" in families:
        qs = Fact.objects.filter(period, dims, rows, row=Fact.Row.CALLBACK)
        rated = ~Q(satisfaction="")
        base = rated if resolution_base() != "all" else Q()
        first = Q(first_rated=True)
        for key, agg in rows_by_group(
                qs, grouping,
                # Cases called back with a result, and reopened by that result: counted by
                # each case's first rated callback (closed-unrated cases are not rated).
                called_back=c.count(first, "done_at"),
                reopened=c.count(first & Q(satisfaction=Satisfaction.DISSATISFIED),
                                 "done_at"),
                callbacks=c.count(Q(), "done_at"),
                rated=c.count(rated, "done_at"),
                # Rated by the person on the tracking page (portal), not by a call.
                online_rated=c.count(rated & Q(online=True), "done_at"),
                satisfied=c.count(Q(satisfaction__in=satisfied_levels()), "done_at"),
                resolved=c.count(base & Q(resolved=True), "done_at"),
                resolution_base=c.count(base, "done_at")):
            result[key].update(agg)


def p90_from_facts(qs, grouping: Grouping, until: datetime, result) -> None:
    """The nearest-rank 90th percentile of the finished clocks' working time per stage:
    PostgreSQL's percentile_disc, or the same rank in Python elsewhere."""
    finished = Q(done_at__lt=until, bucket__isnull=False)  # stage done (see count_from_facts)
    values = ["_group", "stage"] if grouping.expression is not None else ["stage"]
    grouped = (qs.annotate(_group=expr(grouping.expression))
               if grouping.expression is not None else qs)
    if connection.vendor == "postgresql":
        rows = grouped.filter(finished).values(*values).annotate(
            p90=PercentileDisc("worked_seconds")).order_by()
        for row in rows:
            key = grouping.key(row["_group"]) if grouping.expression is not None else ""
            result[key][f"p90_{row['stage']}"] = row["p90"]
        return
    ordered = (grouped.filter(finished).values_list(*values, "worked_seconds")
               .order_by(*values, "worked_seconds"))
    runs: dict[tuple, list[int]] = defaultdict(list)
    for *group, seconds in ordered:
        runs[tuple(group)].append(seconds)
    for group, seconds in runs.items():
        key = grouping.key(group[0]) if grouping.expression is not None else ""
        result[key][f"p90_{group[-1]}"] = nearest_rank(seconds)


def put_stage(agg: dict, stage: str, finished: int, on_time: int, worked: int,
              started: int, signed_on_time: int = 0) -> None:
    agg[f"finished_{stage}"] = finished
    agg[f"on_time_{stage}"] = on_time
    agg[f"worked_{stage}"] = worked
    agg[f"started_{stage}"] = started
    if stage == response_stage():
        # A response is a dispatch signed for on time (a return is not a signing); with
        # QINQING_RESPONSE_STAGE=dispatch, a new case dispatched or answered on time.
        agg["response_on_time"] = signed_on_time if stage == Stage.SIGN else on_time
        agg["response_started"] = started


def count_overdue(scope: Scope, grouping: Grouping, dims: Q, moment: datetime, result) -> None:
    # One CASE row per case carries its earliest running, unsuspended deadline (only CASE
    # rows have one: no condition on the row kind, so the partial index answers alone).
    qs = Fact.objects.filter(period_filter(scope), dims, next_due_at__lt=moment)
    for key, agg in rows_by_group(qs, grouping, overdue=Count("*")):
        result[key].update(agg)

