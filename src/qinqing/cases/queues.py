"""Reads: the work queue of each role, for the workbench pages.

A role's queue is the set of visible cases with an open stage clock of the stages that
role answers for (the dispatcher the dispatch stage, a unit the sign and resolve stages
and its head the review stage, the callback desk the callback stage). "New", "due today"
and "late" are then plain conditions on the stored deadlines, so the pages and the
figures agree by construction.

A home page (`workload`) lists what its user can move now: the cases for which the
transition table offers the user a move (transitions.movable_q), with their deadlines.
Roles the table gives no move (supervisor, inspector, analyst, administrator) see the
open cases of every stage instead, as an overview.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Case as Conditional
from django.db.models import Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from qinqing.cases.models import Case, ChangeRequest, Stage, StageClock, State, Urgency
from qinqing.cases.queries import visible_cases
from qinqing.cases.transitions import TABLE, movable_q
from qinqing.org.models import Role, User

ROLE_STAGES: dict[str, tuple[str, ...]] = {
    Role.INTAKE_AGENT: (Stage.DISPATCH,),
    Role.DISPATCHER: (Stage.DISPATCH,),
    Role.HANDLER: (Stage.SIGN, Stage.RESOLVE),
    # The unit head also reviews the unit's replies (the review stage, the unit's time).
    Role.UNIT_LEADER: (Stage.SIGN, Stage.RESOLVE, Stage.REVIEW),
    Role.CALLBACK_AGENT: (Stage.CALLBACK,),
    Role.SUPERVISOR: tuple(Stage.values),
    Role.DISCIPLINE_INSPECTOR: tuple(Stage.values),
    Role.ANALYST: tuple(Stage.values),
    Role.ADMINISTRATOR: tuple(Stage.values),
}
UNIT_ROLES = frozenset({Role.HANDLER, Role.UNIT_LEADER})
QUEUE_LIMIT = 100


def end_of_today(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time.min),
                               timezone.get_current_timezone())


def open_clocks(stages=None) -> QuerySet[StageClock]:
    qs = StageClock.objects.filter(done_at__isnull=True)
    return qs.filter(stage__in=stages) if stages else qs


def _with_clocks(qs: QuerySet[Case]) -> QuerySet[Case]:
    """The page's rows with what every row shows, in a fixed number of queries."""
    return (qs.select_related("category", "category__parent", "region", "lead_unit",
                              "subject_unit")
            .prefetch_related(Prefetch("clocks", queryset=open_clocks().order_by("due_at"),
                                       to_attr="open_clocks")))


def queue(user: User, stages=None, *, states=None) -> QuerySet[Case]:
    """Visible cases with an open clock of `stages` (default: the user's role's stages),
    soonest deadline first. Unit staff see only cases their unit leads, not co-units'."""
    stages = stages or ROLE_STAGES.get(user.role, tuple(Stage.values))
    clocks = open_clocks(stages).filter(case_id=OuterRef("pk"))
    qs = visible_cases(user).filter(Exists(clocks))
    if user.role in UNIT_ROLES and not user.is_superuser:
        qs = qs.filter(lead_unit__path__startswith=user.unit.path)
    if states:
        qs = qs.filter(state__in=states)
    return qs.annotate(next_due=Min("clocks__due_at", filter=Q(clocks__done_at__isnull=True,
                                                                 clocks__stage__in=stages)))


@dataclass
class Workload:
    """What a home page opens on: everything waiting for the user (`all`, soonest
    deadline first), and of it the new work, the work due today and the late work."""

    new: list[Case]
    due_today: list[Case]
    late: list[Case]
    counts: dict[str, int]
    all: list[Case] = field(default_factory=list)


def home_cases(user: User) -> QuerySet[Case]:
    """The cases a user's home lists: those the user can move now (the transition table,
    in SQL), or, for a role without moves, the open cases of every stage. Annotated with
    `next_due`, the soonest deadline of their open clocks."""
    soonest = Min("clocks__due_at", filter=Q(clocks__done_at__isnull=True))
    if any(user.role in move.roles for move in TABLE.values()):
        return (visible_cases(user).filter(movable_q(user)).annotate(next_due=soonest))
    return queue(user, ROLE_STAGES.get(user.role, tuple(Stage.values)))


def workload(user: User, now: datetime | None = None, limit: int = 10) -> Workload:
    now = now or timezone.now()
    base = home_cases(user)
    late_q = Exists(open_clocks().filter(case_id=OuterRef("pk"), due_at__lt=now,
                                         paused_at__isnull=True))
    today_q = Exists(open_clocks().filter(case_id=OuterRef("pk"), due_at__gte=now,
                                          due_at__lt=end_of_today(now),
                                          paused_at__isnull=True))
    new_q = Exists(open_clocks().filter(case_id=OuterRef("pk"),
                                        started_at__gte=now - timedelta(hours=24)))
    parts = {"new": base.filter(new_q).order_by("-received_at", "-id"),
             "due_today": base.filter(today_q).order_by("next_due", "id"),
             "late": base.filter(late_q).order_by("next_due", "id")}
    rows = {name: list(_with_clocks(qs)[:limit]) for name, qs in parts.items()}
    counts = {name: qs.count() for name, qs in parts.items()}
    everything = list(_with_clocks(base.order_by(F("next_due").asc(nulls_last=True), "id"))
                      [:QUEUE_LIMIT])
    counts["all"] = base.count()
    came_back([*everything, *rows["new"], *rows["due_today"], *rows["late"]])
    return Workload(rows["new"], rows["due_today"], rows["late"], counts, everything)


def came_back(cases: list[Case]) -> list[Case]:
    """Mark the cases that came back to the hotline: `case.came_back` is {"kind":
    "returned" | "reopened", "reason", "at"} for a case a unit returned (waiting for the
    dispatcher's decision) or one reopened after a dissatisfied callback (still open),
    from its latest return or reopen event; None otherwise. One query for all rows."""
    from qinqing.cases.models import CaseEvent

    wanted = {c.pk for c in cases if c.state == State.RETURNED
              or (c.reopen_count and c.state != State.CLOSED)}
    latest: dict[tuple[int, str], CaseEvent] = {}
    if wanted:
        for event in (CaseEvent.objects.filter(case_id__in=wanted,
                                               action__in=("return", "reopen"))
                      .only("case_id", "action", "at", "reason", "seq").order_by("seq")):
            latest[(event.case_id, event.action)] = event
    for case in cases:
        action = ("return" if case.state == State.RETURNED
                  else "reopen" if case.pk in wanted else None)
        event = latest.get((case.pk, action)) if action else None
        case.came_back = ({"kind": "returned" if action == "return" else "reopened",
                           "reason": event.reason, "at": event.at} if event else None)
    return cases


def dispatch_queue(user: User) -> list[Case]:
    """Received and returned cases: urgent first, then oldest first (fair to callers)."""
    qs = queue(user, (Stage.DISPATCH,), states=[State.RECEIVED, State.RETURNED])
    urgent_first = When(urgency=Urgency.URGENT, then=Value(0))
    return came_back(list(_with_clocks(qs).annotate(rank=Conditional(urgent_first,
                                                                     default=Value(1)))
                          .order_by("rank", "received_at", "id")[:QUEUE_LIMIT]))


def pending_requests(user: User) -> list[ChangeRequest]:
    """Extension and suspension requests waiting for the dispatcher's decision."""
    cases = visible_cases(user).values("pk")
    return list(ChangeRequest.objects.filter(decided_at__isnull=True, case__in=cases)
                .select_related("case", "case__lead_unit", "requested_by")
                .order_by("requested_at")[:QUEUE_LIMIT])


def unit_inbox(user: User) -> dict[str, list[Case]]:
    """A unit's cases by what to do next: sign, handle, (leader) review."""
    base = visible_cases(user)
    if not user.is_superuser:
        base = base.filter(lead_unit__path__startswith=user.unit.path)
    soonest = Min("clocks__due_at", filter=Q(clocks__done_at__isnull=True))
    sections = {
        "to_sign": base.filter(state=State.DISPATCHED),
        "handling": base.filter(state=State.HANDLING),
        "to_review": base.filter(state=State.REPLIED),
    }
    return {name: list(_with_clocks(qs.annotate(next_due=soonest))
                       .order_by("next_due", "id")[:QUEUE_LIMIT])
            for name, qs in sections.items()}


def callback_queue(user: User) -> list[Case]:
    qs = queue(user, (Stage.CALLBACK,), states=[State.REVIEWED])
    return list(_with_clocks(qs).order_by("next_due", "id")[:QUEUE_LIMIT])
