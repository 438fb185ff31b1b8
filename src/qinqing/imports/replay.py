"""The bulk load of a history: many cases replayed in memory, written a table at a time.

The service path (services._load_case) registers each case with create_case and makes
each move with perform: about 50 SQL statements a case. `Replayer.write(plans)` builds
the same rows in memory for a group of validated cases and writes them with one COPY per
table on PostgreSQL (bulk_create elsewhere):

- the case rows, their numbers reserved for the group from each year's sequence row
  (one UPDATE per year: the same numbers, in file order, as one intake after another),
  their ids reserved up front (the query code hash and the events cover the id); the
  intake's fields come from the services' own intake cleaning (`_clean_intake`), the
  reporter is encrypted by `_encrypted_reporter`, the fingerprint is `_fingerprint`
  (cases.services.intake);
- each move as `perform` makes it: the state it leads to, the clocks it stops and
  starts, from the one transition table (cases.transitions.TABLE); the fields it
  changes by the services' own move handlers where those only change the case in memory
  (answer, not_accept, reject, sign, review, send_back, callback, close_unrated, reopen),
  and here for the two that read the database in the services (dispatch: the routing
  units and the catalogue's proposal, read once per run; reply: its lapsed requests and
  attachments, which a replayed case never has);
- the stage clocks, each deadline computed when its stage starts by the working calendar
  of that date (cases.deadlines.schedule, with the calendar read fresh from the database
  once per group, which is what a provisional deadline's check does);
- the events, each covering the previous one's hash (cases.timeline.new_event);
- the consequences: the timeline's `case_changed` hook is sent for every case, as at
  intake (created=True: the case's rows are not written yet; receivers return the rows
  to write with it: the figures' facts of its whole history, written pending as an
  intake's are). Once committed, `replayed` (below) has the facts of the cases that
  moved rolled up, many cases in one upsert. So a bulk load cannot skip a consequence:
  whoever reacts to a case change is sent each replayed case.

Only cases whose every move is in `MOVES` are replayed; any other goes through the
service path (services.load decides, in file order). Not here yet: `return` (which
stops two clocks at once; since its event lists them in the order they started, not in
the database's, a replay could reproduce it) and with it `redispatch`; extension and suspension requests and their
decisions, `resume` (request rows, paused clocks). tests/imports/test_replay.py loads
the same file both ways and compares every row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import confidential, deadlines, numbering, rowwrite, timeline
from qinqing.cases import services as case_services
from qinqing.cases.services import intake as case_intake
from qinqing.cases.models import (
    Case, CaseEvent, Kind, NumberSequence, Reporter, Stage, StageClock, State,
)
from qinqing.cases.models.clocks import UNIT_STAGES
from qinqing.cases.transitions import TABLE
from qinqing.imports.rows import CasePlan, Masters
from qinqing.org.models import Role, User
from qinqing.worktime.queries import current_calendar

# The moves a replay makes itself (see the module: the others go through the services).
MOVES = frozenset({"answer", "not_accept", "reject", "dispatch", "sign", "reply", "review",
                   "send_back", "callback", "close_unrated", "reopen"})
# Moves whose service handler changes the case in memory only: called as they are.
_PURE = frozenset({"answer", "not_accept", "reject", "sign", "review", "send_back",
                   "callback", "close_unrated", "reopen"})

# Sent after replayed cases are committed (every ROLL_EVERY cases and at the end of a
# load), in a transaction of its own, with:
#   case_ids  the replayed cases that made a move (a case with its intake only keeps its
#             facts pending, as a live intake does until its first move).
# Their facts were written pending (not in the rollups yet), as an intake writes a new
# case's, and the figures count pending facts: the figures are right at every commit.
# The figures' receiver (insights.facts.roll_up_replayed) rolls them up, many cases in
# one upsert, which is what each case's last move would have done one case at a time.
# Connected by name in the receiving app's ready().
replayed = Signal()
ROLL_EVERY = 20_000  # cases whose facts are rolled up together (memory: their ids)


class Refused(Exception):
    """A validated case that cannot be replayed now (master data changed meanwhile)."""

    def __init__(self, row: int, reason: str):
        super().__init__(reason)
        self.row, self.reason = row, reason


def replayable(plan: CasePlan) -> bool:
    return all(step.action in MOVES for step in plan.steps)


@dataclass
class _Built:
    case: Case
    reporter: Reporter | None
    clocks: list[StageClock]
    events: list[CaseEvent]
    co_units: list[int]


class Replayer:
    """Per run: the import's accounts and the master data (read once)."""

    def __init__(self, actors: dict[str, User], masters: Masters, key_prefix: str):
        self.actors = actors
        self.masters = masters
        self.key_prefix = key_prefix
        self._policies: dict = {}

    # ---------------------------------------------------------------- one group

    def write(self, plans: list[CasePlan]) -> list[int]:
        """Write the cases of `plans` (validated, none imported yet, all replayable), in
        the caller's transaction. Returns the ids of those that made a move (for
        `settle` once committed)."""
        if not plans:
            return []
        calendar = current_calendar(verify=True)
        self._policies = {}  # per group, as the calendar
        # Numbers first: on SQLite their UPDATE takes the write lock the ids rely on.
        numbers = _reserve_numbers([timezone.localtime(p.received_at).year for p in plans])
        ids = _reserve_ids(len(plans))
        built = [self._case(plan, pk, number, calendar)
                 for plan, pk, number in zip(plans, ids, numbers)]
        rows: list = []
        for b in built:
            responses = timeline.case_changed.send(sender=Case, case=b.case, events=b.events,
                                                   clocks=b.clocks, created=True)
            rows.extend(row for _receiver, returned in responses for row in (returned or ()))
        _insert(Case, [b.case for b in built])
        _insert(Reporter, [b.reporter for b in built if b.reporter is not None])
        _insert(StageClock, [c for b in built for c in b.clocks])
        _insert(CaseEvent, [e for b in built for e in b.events])
        through = Case.co_units.through
        _insert(through, [through(case_id=b.case.pk, unit_id=unit_id)
                          for b in built for unit_id in b.co_units])
        by_model: dict[type, list] = defaultdict(list)
        for row in rows:
            by_model[type(row)].append(row)
        for model, objs in by_model.items():
            _insert(model, objs)
        return [b.case.pk for b in built if len(b.events) > 1]

    def settle(self, case_ids: list[int]) -> None:
        """Send `replayed` for committed cases that moved (see above), in chunks."""
        for start in range(0, len(case_ids), ROLL_EVERY):
            replayed.send(sender=Case, case_ids=case_ids[start:start + ROLL_EVERY])

    # ---------------------------------------------------------------- one case

    def _case(self, plan: CasePlan, pk: int, number: str, calendar) -> _Built:
        hotline = self.actors[Role.DISPATCHER]
        now = plan.received_at
        try:
            fields = case_intake._clean_intake(hotline, plan.data)
        except Exception as exc:  # InvalidInput: a master changed since validation
            raise Refused(plan.row, str(exc)) from None
        reporter_input = fields.pop("reporter")
        code = confidential.new_query_code()
        case = Case(pk=pk, number=number, query_code_enc=confidential.encrypt(code),
                    query_code_hash=confidential.query_code_hash(pk, code), received_at=now,
                    created_by=hotline,
                    intake_key=f"{hotline.pk}:{self.key_prefix}{plan.external_id}",
                    intake_fingerprint=case_intake._fingerprint(plan.data), **fields)
        reporter = Reporter(case=case, protected=case.kind == Kind.REPORT,
                            accused_unit=case.subject_unit if case.kind == Kind.REPORT else None,
                            **case_intake._encrypted_reporter(reporter_input)
                            ) if reporter_input else None
        policy = self._policy(case)
        first = self._clock(case, Stage.DISPATCH, policy, calendar, now)
        clocks = [first]
        event = timeline.new_event(case, "create", hotline, now, "", State.RECEIVED, data={
            "kind": case.kind, "channel": case.channel, "category": case.category.code,
            "region": case.region.code, "anonymous": case.is_anonymous,
            "clocks": {"started": [deadlines.describe(first)]}})
        events = [event]
        co_units: list[int] = []
        for step in plan.steps:
            move = TABLE[step.action]
            if case.state not in move.sources:
                raise Refused(plan.row, _("%(where)s: not possible when the case is %(state)s")
                              % {"where": step.action, "state": State(case.state).label})
            actor, at = self.actors[step.role], step.at
            from_state = case.state
            try:  # the move's payload model, as perform validates a dict
                payload = case_services.validate_payload(step.action, step.payload)
            except Exception as exc:  # InvalidInput: validated by rows.py already
                raise Refused(plan.row, str(exc)) from None
            if move.name in _PURE:
                data, reason = move.handler(case, actor, payload, at)
            elif move.name == "dispatch":
                data, reason, co_units = self._dispatch(plan, case, payload)
            else:  # reply
                data, reason = self._reply(case, payload)
            stopped = []
            for clock in clocks:  # in the order they started (creation order)
                if clock.done_at is None and clock.stage in move.stops:
                    stopped.append({"stage": clock.stage, "on_time": at <= clock.due_at})
                    clock.done_at, clock.paused_at, clock.ended_by = at, None, move.name
                    clock.on_time = clock.due_at >= at
            started = []
            if move.starts:
                policy = self._policy(case)
                started = [self._clock(case, stage, policy, calendar, at)
                           for stage in move.starts]
                clocks.extend(started)
            described = {}
            if stopped:
                described["stopped"] = stopped
            if started:
                described["started"] = [deadlines.describe(clock) for clock in started]
            if described:
                data["clocks"] = described
            if move.target is not None:
                case.state = move.target
                if case.state == State.CLOSED:
                    case.closed_at = at
            event = timeline.new_event(case, move.name, actor, at, from_state, case.state,
                                       reason=reason, data=data, seq=event.seq + 1,
                                       prev_hash=event.hash)
            events.append(event)
        return _Built(case, reporter, clocks, events, co_units)

    def _policy(self, case: Case):
        # deadlines.policy_for, kept for the group (each call hands out a copy)
        key = (case.kind, case.urgency)
        if key not in self._policies:
            self._policies[key] = deadlines.policy_for(case.kind, case.urgency)
        return self._policies[key]

    @staticmethod
    def _clock(case: Case, stage: str, policy, calendar, now) -> StageClock:
        # deadlines.new_clock without its per-clock check of a provisional deadline
        # against the database: the calendar here was read fresh for the group.
        clock = StageClock(case=case, stage=stage, policy=policy, limit=policy.limit_for(stage),
                           started_at=now,
                           unit_id=case.lead_unit_id if stage in UNIT_STAGES else None)
        deadlines.schedule(clock, calendar)
        return clock

    def _dispatch(self, plan: CasePlan, case: Case, payload):
        # services.handlers.dispatch, with the units and the proposal from this run's
        # master data.
        units = self.masters.units
        lead = units.get(payload.lead_unit)
        co = [units.get(code) for code in payload.co_units]
        if lead is None or None in co:
            codes = [c for c in [payload.lead_unit, *payload.co_units] if c not in units]
            raise Refused(plan.row, _("unknown unit code %(codes)s")
                          % {"codes": ", ".join(map(str, codes))})
        co = [u for u in co if u.pk != lead.pk]
        # propose_assignment(case.category, case.region), kept per run by Masters
        proposed = self.masters.proposal(case.category.code, case.region.code)
        reason = payload.reason
        if proposed is not None and proposed != lead.code and not reason:
            raise Refused(plan.row, _("The catalogue proposes %(unit)s; give a reason to route "
                                      "elsewhere.") % {"unit": proposed})
        case.return_locked = False  # (a replay never has a return: see MOVES)
        case.lead_unit = lead
        return ({"lead_unit": lead.code, "co_units": [u.code for u in co],
                 "proposed": proposed, "objection_upheld": case.return_locked}, reason,
                [u.pk for u in co])

    @staticmethod
    def _reply(case: Case, payload):
        # services.handlers.reply for a case without requests or attachments (a replay
        # has none).
        case.answer = payload.answer
        return {"answer": case.answer, "attachments": list(payload.attachments)}, ""


def _insert(model, objs: list) -> None:
    """INSERT new rows: on PostgreSQL with COPY (each value as the ORM's INSERT would
    send it: cases.rowwrite's field plan), elsewhere with bulk_create."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    plan = rowwrite._plan(model, objs[0].pk is not None)
    columns = ", ".join(connection.ops.quote_name(field.column) for field, _a, _p in plan)
    value = rowwrite._value
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} "
                                f"({columns}) FROM STDIN") as copy:
            write = copy.write_row
            for obj in objs:
                write([value(obj, field, attname, passes) for field, attname, passes in plan])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _reserve_ids(n: int) -> list[int]:
    """n new case ids. PostgreSQL: from the table's sequence. SQLite: after the highest
    used (the caller's transaction holds the database's write lock: the number sequence
    was updated first)."""
    table = Case._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                           "FROM generate_series(1, %s)", [table, n])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT MAX(id) FROM {table}")
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + n))


def _reserve_numbers(years: list[int]) -> list[str]:
    """The case numbers of cases received in `years` (in order): each year's next ones of
    the "case" series (qinqing.cases.numbering), taken with one UPDATE of its row (locked
    until the transaction ends, as an intake locks it), in the order given."""
    wanted: dict[int, int] = defaultdict(int)
    for year in years:
        wanted[year] += 1
    first: dict[int, int] = {}
    table = NumberSequence._meta.db_table
    with connection.cursor() as cursor:
        for year in sorted(wanted):
            numbering.ensure_row(numbering.CASE, year, known=False)
            cursor.execute(f"UPDATE {table} SET last = last + %s WHERE series = %s AND year = %s "
                           "RETURNING last", [wanted[year], numbering.CASE, year])
            first[year] = cursor.fetchone()[0] - wanted[year] + 1
    numbers = []
    for year in years:
        numbers.append(f"QQ-{year}-{first[year]:06d}")
        first[year] += 1
    return numbers
