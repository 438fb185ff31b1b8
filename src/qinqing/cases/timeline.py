"""The case timeline, owned here: its vocabulary, its one way in, its chain, its hook.

Every change to a case ends with an event on the case's hash-chained timeline
(`models/ledger.py`). This module is the one place that

- **knows what events there are**: a registry of `EventKind`s (name, label, whether the
  public tracking view shows it, whether it can change a figure, how its data reads on
  the case page). Each app registers the kinds it appends in its `AppConfig.ready()`
  (`register(...)`); appending a kind nobody registered raises `UnknownEventKind`.
- **appends** events (`append` for one, `append_event` for a note that keeps the state,
  `append_events` for many cases at once) and builds the intake's first event
  (`new_event`), each covering the previous event's hash;
- **verifies** the chains (`broken_chains`, behind `qinqing verify-ledger`);
- **sends `case_changed`**, the one hook through which other apps react to a case
  change (the figures' facts, a listing closed with its case, hot-topic words of an
  edited case). It is sent by every append path, inside the caller's transaction, with
  the case, its new events and the clocks the change started; receivers are connected
  by name in their app's `ready()`. No ORM signal carries a consequence of a case change.

`cases` imports nothing above it: the hook and the registry point upwards only through
what other apps put into them at start-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.dispatch import Signal
from django.utils import timezone
from django.utils.functional import Promise

from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.models.ledger import GENESIS

if TYPE_CHECKING:
    from qinqing.cases.models import StageClock
    from qinqing.org.models import User

# How an event's data reads on the case page: given the event and a function that names a
# unit by its code, the pieces web/event_details.html shows (lead_unit, answer, letter, …).
Detail = Callable[[CaseEvent, Callable[[str | None], str | None]], dict]


@dataclass(frozen=True)
class EventKind:
    """One kind of timeline event.

    public: the public tracking view (`/api/v1/track`) lists it to the reporter.
    changes_figures: it can change a figure (a state, a clock, a dimension of the case);
    when False the figures' facts of the case are not rebuilt for it, and the bulk append
    path may write it (see `append_events`).
    detail: how its data reads on the case page (see `Detail`); None shows nothing more.
    """
    name: str
    label: Promise | str
    public: bool
    changes_figures: bool
    detail: Detail | None = None
    app: str = ""  # the app that registered it (filled in by register)


class UnknownEventKind(LookupError):
    pass


class Registry:
    """The event kinds, by name. Filled at start-up; read by pages, the API, the figures."""

    def __init__(self) -> None:
        self._kinds: dict[str, EventKind] = {}

    def register(self, app: str, *kinds: EventKind) -> None:
        max_length = CaseEvent._meta.get_field("action").max_length
        for kind in kinds:
            kind = EventKind(kind.name, kind.label, kind.public, kind.changes_figures,
                             kind.detail, app)
            if len(kind.name) > max_length:
                raise ValueError(f"event kind {kind.name!r} is longer than {max_length}")
            known = self._kinds.get(kind.name)
            if known is not None and known != kind:
                raise ValueError(f"event kind {kind.name!r} is registered by {known.app} "
                                 f"already; {app} may not register it again")
            self._kinds[kind.name] = kind

    def __getitem__(self, name: str) -> EventKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise UnknownEventKind(
                f"unknown timeline event kind {name!r}: register it in your app's "
                "AppConfig.ready() with qinqing.cases.timeline.register()") from None

    def get(self, name: str) -> EventKind | None:
        return self._kinds.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[EventKind]:
        return iter(self._kinds.values())

    def label(self, name: str) -> str:
        kind = self._kinds.get(name)
        # An event written before its kind was registered (or by a removed app) still
        # shows, under its name.
        return str(kind.label) if kind else name

    def public(self) -> frozenset[str]:
        return frozenset(k.name for k in self._kinds.values() if k.public)


registry = Registry()


def register(app: str, *kinds: EventKind) -> None:
    """Register the event kinds an app appends (call it from the app's ready())."""
    registry.register(app, *kinds)


# ------------------------------------------------------------------------- the hook

# Sent with sender=Case and:
#   case     the case (its row written, or about to be: see `created`);
#   events   its new events, in order (saved, except at intake, see `created`);
#   clocks   the stage clocks this change started (saved; at intake the first one);
#   created  True for a new case at intake. Its rows are not written yet (on PostgreSQL
#            the intake writes them all in one statement): a receiver must not read or
#            write the database, and instead returns the unsaved rows to write with the
#            case (e.g. its facts); they join the intake's statement. False otherwise: a
#            receiver does its work now, in the caller's transaction, and returns None.
# Sent inside the transaction of the change, so a consequence commits or rolls back with
# it. Receivers are connected by name, with a dispatch_uid, in their app's ready().
case_changed = Signal()


def _send(case: Case, events: list[CaseEvent], clocks: list, created: bool = False) -> list:
    responses = case_changed.send(sender=Case, case=case, events=events, clocks=clocks,
                                  created=created)
    return [row for _receiver, rows in responses for row in (rows or ())]


def intake_rows(case: Case, event: CaseEvent, clocks: list[StageClock]) -> list:
    """A new case's first event goes out on the hook (created=True); the rows the
    receivers return are written by the intake with the case, in its transaction."""
    return _send(case, [event], clocks, created=True)


# ------------------------------------------------------------------------ appending

def new_event(case: Case, action: str, actor: User | None, now: datetime, from_state: str,
              to_state: str, *, reason: str = "", data: dict | None = None, seq: int = 1,
              prev_hash: str = GENESIS) -> CaseEvent:
    """An event with its hash, not yet saved. The defaults make a case's first event,
    written without looking up a previous one (a case created in this transaction has
    none). An unregistered kind raises UnknownEventKind."""
    registry[action]  # noqa: B018 (refuses an unknown kind)
    event = CaseEvent(case=case, seq=seq, action=action, at=now, actor=actor,
                      actor_role=actor.role if actor else "",
                      actor_unit_id=actor.unit_id if actor else None,
                      from_state=from_state, to_state=to_state, reason=reason,
                      data=data or {}, prev_hash=prev_hash)
    event.hash = event.compute_hash()
    return event


def append(case: Case, action: str, actor: User | None, now: datetime, from_state: str,
           to_state: str, *, reason: str = "", data: dict | None = None,
           clocks: list | None = None) -> CaseEvent:
    """Append one event to the case's chain (after the last one, whose hash it covers),
    then send `case_changed`: every consequence of the change happens here.

    Inside the caller's transaction, the case row locked (select_for_update), so that two
    appends cannot take one seq."""
    last = (CaseEvent.objects.filter(case=case).order_by("-seq")
            .values_list("seq", "hash").first())
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = new_event(case, action, actor, now, from_state, to_state, reason=reason,
                      data=data, seq=seq, prev_hash=prev)
    event.save()
    _send(case, [event], list(clocks or ()))
    return event


def append_event(case: Case, action: str, actor: User | None, *, reason: str = "",
                 data: dict | None = None, now: datetime | None = None) -> CaseEvent:
    """Put something that happened around a case on its timeline without changing it (a
    joint meeting, an accountability record, a reminder): one event, state kept.

    For other apps' services: call it inside your transaction, after locking the case row
    (`select_for_update`), as perform() does."""
    return append(case, action, actor, now or timezone.now(), case.state, case.state,
                  reason=reason, data=data)


def append_events(entries: list[tuple[Case, str, dict]], action: str, actor: User | None, *,
                  now: datetime | None = None, chunk: int = 1000) -> int:
    """append_event for many cases at once — (case, reason, data) each — in two statements
    per `chunk` cases (read the last events, insert the new ones) instead of two per case:
    a sweep campaign takes a city's whole overdue backlog in one go. Same rules: inside
    the caller's transaction, the case rows locked.

    Only for kinds that change no figure (refused otherwise): the bulk path would have to
    rebuild each case's facts one by one, which is what it exists to avoid. The hook is
    still sent for each case, so no other consequence is skipped."""
    from django.db.models import OuterRef, Subquery

    if registry[action].changes_figures:
        raise ValueError(f"append_events writes only kinds that change no figure; "
                         f"{action!r} does: append it case by case with append()")
    now = now or timezone.now()
    done = 0
    for start in range(0, len(entries), chunk):
        part = entries[start:start + chunk]
        ids = [case.pk for case, _reason, _data in part]
        newest = (CaseEvent.objects.filter(case_id=OuterRef("case_id")).order_by("-seq")
                  .values("seq")[:1])
        last = {case_id: (seq, hash_) for case_id, seq, hash_ in CaseEvent.objects.filter(
            case_id__in=ids, seq=Subquery(newest)).values_list("case_id", "seq", "hash")}
        events = []
        for case, reason, data in part:
            seq, prev = last.get(case.pk, (0, GENESIS))
            events.append(new_event(case, action, actor, now, case.state, case.state,
                                    reason=reason, data=data, seq=seq + 1, prev_hash=prev))
        CaseEvent.objects.bulk_create(events)
        for (case, _reason, _data), event in zip(part, events):
            _send(case, [event], [])
        done += len(events)
    return done


# ------------------------------------------------------------------------ verifying

def broken_chains(batch: int = 2000) -> Iterator[tuple[str, int, str]]:
    """Yield (case number, event seq, problem) for every case whose history was altered.

    Streams events in case order, so memory stays flat whatever the ledger's size.
    """
    numbers = dict(Case.objects.values_list("pk", "number"))
    current, prev_hash, expected_seq, bad = None, GENESIS, 1, False
    events = CaseEvent.objects.order_by("case_id", "seq").iterator(chunk_size=batch)
    for event in events:
        if event.case_id != current:
            current, prev_hash, expected_seq, bad = event.case_id, GENESIS, 1, False
        if bad:
            continue
        problem = None
        if event.seq != expected_seq:
            problem = f"event {expected_seq} is missing"
        elif event.prev_hash != prev_hash:
            problem = "link to the previous event is broken"
        elif event.compute_hash() != event.hash:
            problem = "content does not match its hash"
        if problem:
            bad = True
            yield numbers.get(event.case_id, str(event.case_id)), event.seq, problem
        prev_hash, expected_seq = event.hash, expected_seq + 1
    # A case with no events at all lost its whole history.
    for pk in Case.objects.filter(events__isnull=True).values_list("pk", flat=True):
        yield numbers[pk], 0, "has no timeline"


def unit_codes(events) -> set[str]:
    """The unit codes the events' data names (routing), to be read as names."""
    codes: set[str] = set()
    for event in events:
        data = event.data or {}
        for key in ("lead_unit", "from_unit"):
            if isinstance(data.get(key), str):
                codes.add(data[key])
        codes.update(c for c in data.get("co_units") or [] if isinstance(c, str))
    return codes
