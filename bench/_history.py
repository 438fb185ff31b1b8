"""The life of a bulk-loaded case (load_cases.py --history): its clocks, callbacks and the
figures' fact rows, as the services and qinqing.insights.facts would have written them.

Deadlines follow load_cases.py's fixed spans (CLOCKS_BY_STATE); working time is office
time by the calendar, computed with prefix sums over days (one subtraction per clock
instead of worktime's day-by-day walk; `OfficeClock.check` compares the two on a sample
before a load relies on it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
SPANS = {"dispatch": ("1h", 2), "sign": ("2h", 4), "resolve": ("3d", 96),
         "review": ("1d", 30), "callback": ("1d", 30)}
N = "\\N"


class OfficeClock:
    """Office time between two moments by a WorkingCalendar, in O(1) after set-up."""

    def __init__(self, calendar, first: date, last: date):
        self.calendar = calendar
        us = 1_000_000  # integer microseconds: exact, as worktime's timedeltas
        self.periods = [((p0.hour * 3600 + p0.minute * 60) * us,
                         (p1.hour * 3600 + p1.minute * 60) * us)
                        for p0, p1 in calendar.office_hours.periods]
        self.day_seconds = sum(b - a for a, b in self.periods)
        self.first = first
        self.prefix = [0]  # office seconds before each day from `first`
        self.work = []
        day = first
        while day <= last:
            w = calendar.is_workday(day)
            self.work.append(w)
            self.prefix.append(self.prefix[-1] + (self.day_seconds if w else 0))
            day += timedelta(days=1)

    def _cum(self, moment: datetime) -> int:
        local = moment.astimezone(SHANGHAI)
        i = (local.date() - self.first).days
        if not self.work[i]:
            return self.prefix[i]
        tod = (local.hour * 3600 + local.minute * 60 + local.second) * 1_000_000 \
            + local.microsecond
        inside = sum(min(tod, b) - a for a, b in self.periods if tod > a)
        return self.prefix[i] + inside

    def between(self, start: datetime, end: datetime) -> int:
        """Whole office seconds from start to end (int() of the exact span, as facts.py)."""
        if end <= start:
            return 0
        return (self._cum(end) - self._cum(start)) // 1_000_000

    def check(self, rnd: random.Random, samples: int = 2000) -> None:
        from qinqing.worktime.calendar import office_time_between

        span = (len(self.work) - 12) * 86400
        base = datetime.combine(self.first, time(0), SHANGHAI) + timedelta(days=1)
        for _ in range(samples):
            start = base + timedelta(seconds=int(rnd.random() * span))
            end = start + timedelta(seconds=int(rnd.random() * 10 * 86400))
            expected = int(office_time_between(self.calendar, start, end).total_seconds())
            if self.between(start, end) != expected:
                raise AssertionError(f"office time {start}..{end}: {self.between(start, end)} "
                                     f"!= worktime's {expected}")


@dataclass
class Clock:
    stage: str
    start: datetime
    done: datetime | None = None
    returned: bool = False  # a sign clock a return stopped (not a signing)

    @property
    def signed(self) -> bool | None:
        if self.stage != "sign" or self.done is None:
            return None
        return not self.returned

    @property
    def limit(self) -> str:
        return SPANS[self.stage][0]

    @property
    def due(self) -> datetime:
        return self.start + timedelta(hours=SPANS[self.stage][1])

    @property
    def warn(self) -> datetime:
        return self.start + timedelta(hours=SPANS[self.stage][1] * 0.8)

    @property
    def on_time(self) -> bool | None:
        return None if self.done is None else self.done <= self.due


@dataclass
class Life:
    closed: datetime | None
    outcome: str
    satisfaction: str = ""
    resolved: bool | None = None
    reopen_count: int = 0
    clocks: list[Clock] = field(default_factory=list)
    callbacks: list[tuple[datetime, str, bool | None]] = field(default_factory=list)


def life(rnd: random.Random, state: str, received: datetime, closed: datetime | None,
         routed: bool) -> Life:
    """Clocks and callbacks of a case now in `state` (closed at `closed` if closed)."""
    minutes = lambda lo, hi: timedelta(minutes=rnd.uniform(lo, hi))  # noqa: E731
    if state == "received":
        return Life(None, "", clocks=[Clock("dispatch", received)])
    if state == "closed" and not routed:  # answered directly at intake
        closed = received + minutes(1, 30)
        return Life(closed, "direct_answer", clocks=[Clock("dispatch", received, closed)])
    dispatched = received + minutes(3, 100)
    clocks = [Clock("dispatch", received, dispatched)]
    if state == "returned":
        back = dispatched + minutes(10, 300)
        clocks += [Clock("sign", dispatched, back, returned=True),
                   Clock("resolve", dispatched, back),
                   Clock("dispatch", back)]
        return Life(None, "", clocks=clocks)
    if state == "dispatched":
        return Life(None, "", clocks=clocks + [Clock("sign", dispatched),
                                               Clock("resolve", dispatched)])
    end = closed if state == "closed" else dispatched + minutes(600, 6000)
    replied = dispatched + (end - dispatched) * rnd.uniform(0.3, 0.8)
    signed = dispatched + min(minutes(5, 300), (replied - dispatched) / 2)
    clocks.append(Clock("sign", dispatched, signed))
    if state == "handling":
        return Life(None, "", clocks=clocks + [Clock("resolve", dispatched)])
    clocks.append(Clock("resolve", dispatched, replied))
    # The unit head reviews the reply (the unit's time), then the callback clock starts.
    if state == "replied":
        return Life(None, "", clocks=clocks + [Clock("review", replied)])
    reviewed = replied + (end - replied) * rnd.uniform(0.05, 0.2)
    clocks.append(Clock("review", replied, reviewed))
    if state == "reviewed":
        return Life(None, "", clocks=clocks + [Clock("callback", reviewed)])
    result = Life(closed, "resolved", clocks=clocks)
    start = reviewed
    if rnd.random() < 0.03:  # dissatisfied first: reopened, replied and reviewed again
        reopened = reviewed + (closed - reviewed) * 0.3
        again = reopened + (closed - reopened) * 0.5
        start = again + (closed - again) * 0.2
        clocks += [Clock("callback", reviewed, reopened), Clock("resolve", reopened, again),
                   Clock("review", again, start)]
        result.callbacks.append((reopened, "dissatisfied", False))
        result.reopen_count = 1
    clocks.append(Clock("callback", start, closed))
    x = rnd.random()
    if x < 0.04:
        result.callbacks.append((closed, "", None))
        result.satisfaction, result.resolved = "", None
    else:
        level = "basically_satisfied" if x < 0.10 else "satisfied"
        solved = rnd.random() < 0.95
        result.callbacks.append((closed, level, solved))
        result.satisfaction, result.resolved = level, solved
    return result


def _b(value: bool | None) -> str:
    return N if value is None else ("t" if value else "f")


def _ts(moment: datetime | None) -> str:
    return N if moment is None else moment.isoformat()


FACT_COLS = ("id, case_id, row, received_on, kind, channel, category_id, region_id, "
             "lead_unit_id, dispatched_at, closed_at, closed_on, outcome, called_back_at, "
             "reopened_at, stage, started_at, due_at, done_at, paused, on_time, "
             "worked_seconds, signed, satisfaction, resolved, next_due_at, bucket, "
             "last_event_on, lag_days, rolled")
DAILY_COLS = "day, slice, key, measure, n, seconds"


class FactRow:
    """The attributes of an insights Fact that qinqing.insights.rollup reads."""

    __slots__ = ("row", "received_on", "kind", "channel", "category_id", "region_id",
                 "lead_unit_id", "dispatched_at", "closed_at", "closed_on", "outcome",
                 "called_back_at", "reopened_at", "stage", "started_at", "due_at", "done_at",
                 "on_time", "worked_seconds", "signed", "satisfaction", "resolved",
                 "next_due_at", "bucket")

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))


def fact_lines(first_id: int, case_id: int, received: datetime, kind: str, channel: str,
               category: int, region: int, lead: int | None, case: Life, office: OfficeClock,
               totals: dict, destination_of) -> list[str]:
    """insights_fact rows (COPY text) of one case, in facts.facts_for's order, all rolled
    up: their events are added to `totals` with qinqing.insights.rollup.add itself."""
    from qinqing.insights import rollup

    dims = dict(received_on=received.astimezone(SHANGHAI).date(), kind=kind, channel=channel,
                category_id=category, region_id=region, lead_unit_id=lead)
    signs = [c.start for c in case.clocks if c.stage == "sign"]
    reopens = [at for at, level, _ in case.callbacks if level == "dissatisfied"]
    running = [c.due for c in case.clocks if c.done is None]
    facts = [FactRow(row=1, **dims, dispatched_at=min(signs) if signs else None,
                     closed_at=case.closed, outcome=case.outcome,
                     closed_on=case.closed.astimezone(SHANGHAI).date() if case.closed else None,
                     called_back_at=case.callbacks[0][0] if case.callbacks else None,
                     reopened_at=min(reopens) if reopens else None,
                     next_due_at=min(running) if running else None, satisfaction="")]
    for clock in case.clocks:
        worked = None if clock.done is None else office.between(clock.start, clock.done)
        facts.append(FactRow(row=2, **dims, stage=clock.stage, started_at=clock.start,
                             due_at=clock.due, done_at=clock.done, on_time=clock.on_time,
                             worked_seconds=worked, signed=clock.signed, satisfaction="",
                             outcome="",
                             bucket=None if worked is None else rollup.bucket_of(worked)))
    for at, level, solved in case.callbacks:
        facts.append(FactRow(row=3, **dims, done_at=at, satisfaction=level, resolved=solved,
                             outcome="", stage=""))
    lines = []
    for k, f in enumerate(facts):
        rollup.add(totals, f, destination_of)
        last = rollup.last_event_on(f)
        lines.append("\t".join((
            str(first_id + k), str(case_id), str(f.row), f.received_on.isoformat(), kind,
            channel, str(category), str(region), N if lead is None else str(lead),
            _ts(f.dispatched_at), _ts(f.closed_at),
            N if f.closed_on is None else f.closed_on.isoformat(), f.outcome or "",
            _ts(f.called_back_at), _ts(f.reopened_at), f.stage or "", _ts(f.started_at),
            _ts(f.due_at), _ts(f.done_at), "f", _b(f.on_time),
            N if f.worked_seconds is None else str(f.worked_seconds), _b(f.signed),
            f.satisfaction or "",
            _b(f.resolved), _ts(f.next_due_at), N if f.bucket is None else str(f.bucket),
            last.isoformat(), str((last - f.received_on).days), "t")))
    return lines


def daily_lines(totals: dict) -> list[str]:
    """insights_daily rows (COPY text): the days and their months (rollup.with_months)."""
    from qinqing.insights.rollup import with_months

    return ["\t".join((day.isoformat(), str(slice_), key, measure, str(n), str(seconds)))
            for (slice_, day, key, measure), (n, seconds) in sorted(with_months(totals).items())
            if n or seconds]
