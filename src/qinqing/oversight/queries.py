"""Reads of oversight, shared by the pages (and the metrics to come): what a person may see,
campaign progress and burn-down, open and overdue decisions, accountability outcomes by
sanction, inspection figures.

Scope follows the case pipeline's rule: a member of a unit sees that unit and the units
below it; the top of the tree sees everything. A record about cases is visible to whoever
may see one of its cases, and to the units it names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from qinqing.cases import confidential
from qinqing.cases.models import Case, Outcome, State
from qinqing.cases.queries import visible_cases
from qinqing.org.models import Role, Unit, User
from qinqing.oversight.models import (
    AccountabilityRecord, Campaign, CampaignCase, Decision, Inspection, Meeting, Problem,
    ProblemType, SanctionType,
)
from qinqing.oversight.services import NAME_ROLES

# Roles with oversight pages. The hotline's intake and callback desks have none.
READ_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.HANDLER, Role.UNIT_LEADER,
                        Role.DISCIPLINE_INSPECTOR, Role.ANALYST, Role.ADMINISTRATOR})
PAGE_SIZE = 50
BURNDOWN_MAX_DAYS = 366
# Remaining cases listed on a campaign's page (counted in full, listed up to this).
LIST_LIMIT = 200


def may_read(user: User) -> bool:
    return user.is_active and user.role in READ_ROLES


def scope_unit_ids(user: User) -> list[int] | None:
    """The units a person's scope covers, or None for everything (the top of the tree)."""
    if user.is_superuser:
        return None
    if not user.is_active or user.unit_id is None:
        return []
    if user.unit.parent_id is None:
        return None
    return list(Unit.objects.subtree(user.unit).values_list("pk", flat=True))


def may_see_names(user: User) -> bool:
    return user.is_active and user.role in NAME_ROLES


def local_day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


# ------------------------------------------------------------------ sweep campaigns

def _uncleared(at: datetime) -> Q:
    """A member not cleared by `at`: one of its snapshot stages was still open then (not
    stopped, or stopped later), and the case had not been closed by then. The same rule
    as `cleared_moments`, as a filter the database evaluates."""
    through = CampaignCase.clocks.through
    still_open = through.objects.filter(
        Q(stageclock__done_at__isnull=True) | Q(stageclock__done_at__gt=at),
        campaigncase_id=OuterRef("pk"))
    return Q(Exists(still_open)) & ~Q(case__closed_at__lte=at)


def campaign_remaining(campaign: Campaign, at: datetime | None = None) -> int:
    return (CampaignCase.objects.filter(campaign=campaign)
            .filter(_uncleared(at or timezone.now())).count())


def campaigns(user: User) -> list[Campaign]:
    """Every campaign (their names and totals are not confidential), newest first, each
    with `remaining` now: two queries whatever the number of campaigns."""
    rows = list(Campaign.objects.select_related("region", "unit", "started_by")
                .order_by("-started_at", "-id")[:200])
    remaining = dict(CampaignCase.objects.filter(campaign__in=[c.pk for c in rows])
                     .filter(_uncleared(timezone.now())).values_list("campaign")
                     .annotate(n=Count("pk")).order_by())
    for c in rows:
        c.remaining = remaining.get(c.pk, 0)
    return rows


@dataclass
class BurnDay:
    day: date
    remaining: int
    cleared: int


@dataclass
class UnitGroup:
    unit: Unit | None
    count: int  # remaining cases of this unit the viewer may see
    members: list[CampaignCase]  # those listed (at most LIST_LIMIT over all groups)

    @property
    def unlisted(self) -> int:
        return self.count - len(self.members)


@dataclass
class Progress:
    campaign: Campaign
    total: int
    remaining: int
    days: list[BurnDay]
    groups: list[UnitGroup]
    hidden: int  # remaining cases the viewer may not see
    as_of: datetime
    cleared: int = field(init=False)

    def __post_init__(self):
        self.cleared = self.total - self.remaining


@dataclass(frozen=True)
class MemberRow:
    pk: int
    unit_id: int | None
    unit_path: str
    first_due_at: datetime
    cleared_at: datetime | None


def member_rows(campaign: Campaign) -> list[MemberRow]:
    """Every case of the campaign with when it was cleared (None: not yet), read from the
    stored timestamps in one query.

    Cleared: every stage clock that was overdue at the start has been stopped (its
    `done_at`), or the case is closed — at the latest of those stops, or the closing if
    that came first."""
    rows = (CampaignCase.objects.filter(campaign=campaign)
            .annotate(open_left=Count("clocks", filter=Q(clocks__done_at__isnull=True)),
                      last_done=Max("clocks__done_at"))
            .values_list("pk", "unit_id", "unit__path", "first_due_at", "open_left",
                         "last_done", "case__closed_at", "case__state"))
    result = []
    for pk, unit_id, path, first_due, open_left, last_done, closed_at, state in rows:
        moments = []
        if open_left == 0 and last_done is not None:
            moments.append(last_done)
        if state == State.CLOSED and closed_at is not None:
            moments.append(closed_at)
        result.append(MemberRow(pk, unit_id, path or "", first_due,
                                min(moments) if moments else None))
    return result


def cleared_moments(campaign: Campaign) -> dict[int, datetime | None]:
    """Member id → when it was cleared (None: not yet)."""
    return {row.pk: row.cleared_at for row in member_rows(campaign)}


def campaign_progress(campaign: Campaign, user: User,
                      now: datetime | None = None) -> Progress:
    """The campaign's count, its burn-down per day and the remaining cases by unit.

    The burn-down is computed from the clocks' and cases' timestamps, so it is the same
    whenever it is asked for. Each day's figure is the count still unresolved at the end
    of that day (Asia/Shanghai), from the start day to today or the closing day. One
    query reads every member; the figures are counted from it, and only the LIST_LIMIT
    listed cases are read in full."""
    now = now or timezone.now()
    end = campaign.closed_at or now
    rows = member_rows(campaign)
    total = len(rows)
    first = timezone.localtime(campaign.started_at).date()
    last = timezone.localtime(end).date()
    if (last - first).days >= BURNDOWN_MAX_DAYS:
        first = last - timedelta(days=BURNDOWN_MAX_DAYS - 1)
    cleared_at = sorted(r.cleared_at for r in rows
                        if r.cleared_at is not None and r.cleared_at <= end)
    days, i, day = [], 0, first
    previous = total - sum(1 for m in cleared_at if m < local_day_start(first))
    while day <= last:
        limit = local_day_start(day + timedelta(days=1))
        while i < len(cleared_at) and cleared_at[i] < limit:
            i += 1
        remaining = total - i
        days.append(BurnDay(day, remaining, previous - remaining))
        previous = remaining
        day += timedelta(days=1)
    remaining_rows = [r for r in rows if r.cleared_at is None or r.cleared_at > end]
    if scope_unit_ids(user) is None:  # sees every case
        visible_rows = remaining_rows
    else:
        visible_ids = set(CampaignCase.objects.filter(
            campaign=campaign, case__in=visible_cases(user).values("pk"))
            .values_list("pk", flat=True))
        visible_rows = [r for r in remaining_rows if r.pk in visible_ids]
    per_unit = Counter(r.unit_id for r in visible_rows)
    order = sorted(visible_rows, key=lambda r: (r.unit_path, r.first_due_at, r.pk))
    listed_ids = [r.pk for r in order[:LIST_LIMIT]]
    position = {pk: n for n, pk in enumerate(listed_ids)}
    listed = sorted(CampaignCase.objects.filter(pk__in=listed_ids)
                    .select_related("case", "case__lead_unit", "case__region")
                    .prefetch_related("clocks"), key=lambda m: position[m.pk])
    units = Unit.objects.in_bulk([pk for pk in per_unit if pk is not None])
    groups = {pk: UnitGroup(units.get(pk), n, []) for pk, n in per_unit.items()}
    for member in listed:
        groups[member.unit_id].members.append(member)
    ordered = sorted(groups.values(), key=lambda g: (-g.count, g.unit.path if g.unit else ""))
    return Progress(campaign, total, len(remaining_rows), days, ordered,
                    len(remaining_rows) - len(visible_rows), end)


def campaigns_of_case(case: Case) -> list[CampaignCase]:
    return list(CampaignCase.objects.filter(case=case).select_related("campaign")
                .prefetch_related("clocks").order_by("-campaign__started_at"))


# ------------------------------------------------------------------- joint meetings

def visible_meetings(user: User) -> QuerySet[Meeting]:
    if not may_read(user) and not user.is_superuser:
        return Meeting.objects.none()
    units = scope_unit_ids(user)
    if units is None:
        return Meeting.objects.all()
    through = Meeting.cases.through
    on_case = through.objects.filter(meeting_id=OuterRef("pk"),
                                     case_id__in=visible_cases(user).values("pk"))
    attending = Meeting.units.through.objects.filter(meeting_id=OuterRef("pk"),
                                                     unit_id__in=units)
    owning = Decision.objects.filter(meeting_id=OuterRef("pk"), owner_unit_id__in=units)
    return Meeting.objects.filter(Exists(on_case) | Exists(attending) | Exists(owning))


def _meeting_rows(qs: QuerySet[Meeting], today: date) -> QuerySet[Meeting]:
    return (qs.select_related("convened_by")
            .prefetch_related(Prefetch("cases", queryset=Case.objects.only("pk", "number")
                                       .order_by("number")),
                              Prefetch("units", queryset=Unit.objects.order_by("path")))
            .annotate(decision_count=Count("decisions", distinct=True),
                      done_count=Count("decisions", filter=Q(decisions__done_at__isnull=False),
                                       distinct=True),
                      overdue_count=Count("decisions", filter=Q(
                          decisions__done_at__isnull=True, decisions__due_on__lt=today),
                          distinct=True)))


def meetings(user: User, *, today: date, case_number: str = "") -> QuerySet[Meeting]:
    qs = visible_meetings(user)
    if case_number:
        qs = qs.filter(cases__number=case_number)
    return _meeting_rows(qs, today).order_by("-held_on", "-id")


def open_decisions(user: User, *, today: date, overdue_only: bool = False,
                   limit: int = 200) -> list[Decision]:
    """Decisions not done yet, due first; those of the viewer's own unit and below when
    the viewer is a unit's staff."""
    qs = Decision.objects.filter(done_at__isnull=True, meeting__in=visible_meetings(user))
    if overdue_only:
        qs = qs.filter(due_on__lt=today)
    return list(qs.select_related("meeting", "owner_unit").order_by("due_on", "id")[:limit])


def meeting_detail(user: User, pk: int) -> Meeting | None:
    return (visible_meetings(user).filter(pk=pk).select_related("convened_by")
            .prefetch_related(
                Prefetch("cases", queryset=Case.objects.select_related("lead_unit")
                         .order_by("number")),
                Prefetch("units", queryset=Unit.objects.order_by("path")),
                Prefetch("decisions", queryset=Decision.objects.select_related(
                    "owner_unit", "done_by").order_by("due_on", "id")))
            .first())


# -------------------------------------------------------------- accountability (问责)

def visible_records(user: User) -> QuerySet[AccountabilityRecord]:
    if not may_read(user) and not user.is_superuser:
        return AccountabilityRecord.objects.none()
    units = scope_unit_ids(user)
    if units is None:
        return AccountabilityRecord.objects.all()
    on_case = AccountabilityRecord.cases.through.objects.filter(
        accountabilityrecord_id=OuterRef("pk"), case_id__in=visible_cases(user).values("pk"))
    return AccountabilityRecord.objects.filter(
        Exists(on_case) | Q(official_unit_id__in=units) | Q(recorded_unit_id__in=units))


@dataclass
class RecordFilters:
    start: date | None = None
    end: date | None = None
    region: Unit | None = None
    sanction: SanctionType | None = None


def _filtered_records(qs, f: RecordFilters):
    if f.start:
        qs = qs.filter(decided_on__gte=f.start)
    if f.end:
        qs = qs.filter(decided_on__lte=f.end)
    if f.region is not None:
        qs = qs.filter(official_unit__path__startswith=f.region.path)
    if f.sanction is not None:
        qs = qs.filter(sanction=f.sanction)
    return qs


def records(user: User, f: RecordFilters) -> QuerySet[AccountabilityRecord]:
    return (_filtered_records(visible_records(user), f)
            .select_related("official_unit", "sanction")
            .prefetch_related(Prefetch("cases", queryset=Case.objects.only("pk", "number")
                                       .order_by("number")))
            .order_by("-decided_on", "-id"))


@dataclass(frozen=True)
class Official:
    """An official as the viewer may see them: `shown` False means withheld."""

    shown: bool
    name: str = ""
    position: str = ""
    notes: str = ""


def official(record: AccountabilityRecord, user: User) -> Official:
    """Decrypted only for the roles that may see names; for anyone else nothing is
    decrypted at all."""
    if not may_see_names(user):
        return Official(False)
    return Official(True, confidential.decrypt(record.name_enc),
                    confidential.decrypt(record.position_enc),
                    confidential.decrypt(record.notes_enc))


@dataclass
class SanctionCount:
    sanction: SanctionType
    count: int


def outcomes_by_sanction(start: date | None = None, end: date | None = None, *,
                         region: Unit | None = None,
                         user: User | None = None) -> list[SanctionCount]:
    """How many accountability records gave each sanction, decided between `start` and
    `end` (both days included), for officials of `region`'s units (None: everywhere),
    among the records `user` may see (None: all, for published figures). Every active
    sanction type is listed, with 0 where none; an inactive one only if it was given."""
    qs = visible_records(user) if user is not None else AccountabilityRecord.objects.all()
    qs = _filtered_records(qs, RecordFilters(start=start, end=end, region=region))
    counts = dict(qs.values_list("sanction").annotate(n=Count("pk")).order_by())
    return [SanctionCount(s, counts.get(s.pk, 0))
            for s in SanctionType.objects.order_by("sort_order", "code")
            if s.is_active or counts.get(s.pk)]


def record_detail(user: User, pk: int) -> AccountabilityRecord | None:
    return (visible_records(user).filter(pk=pk)
            .select_related("official_unit", "sanction", "recorded_by")
            .prefetch_related(Prefetch("cases", queryset=Case.objects.select_related(
                "lead_unit").order_by("number")))
            .first())


# --------------------------------------------------------------------- inspections

def visible_inspections(user: User) -> QuerySet[Inspection]:
    if not may_read(user) and not user.is_superuser:
        return Inspection.objects.none()
    units = scope_unit_ids(user)
    if units is None:
        return Inspection.objects.all()
    visited = Inspection.units.through.objects.filter(inspection_id=OuterRef("pk"),
                                                      unit_id__in=units)
    return Inspection.objects.filter(Exists(visited) | Q(recorded_unit_id__in=units))


def _rectified(prefix: str = "") -> Q:
    """Rectified: the problem's case is closed with the outcome `resolved`."""
    return Q(**{f"{prefix}case__state": State.CLOSED, f"{prefix}case__outcome": Outcome.RESOLVED})


def inspections(user: User) -> QuerySet[Inspection]:
    return (visible_inspections(user)
            .select_related("recorded_by")
            .prefetch_related(Prefetch("units", queryset=Unit.objects.order_by("path")))
            .annotate(found=Count("problems", distinct=True),
                      rectified=Count("problems", filter=_rectified("problems__"),
                                      distinct=True))
            .order_by("-held_on", "-id"))


def inspection_detail(user: User, pk: int) -> Inspection | None:
    return (visible_inspections(user).filter(pk=pk).select_related("recorded_by")
            .prefetch_related(
                Prefetch("units", queryset=Unit.objects.order_by("path")),
                Prefetch("problems", queryset=Problem.objects.select_related(
                    "unit", "case", "case__lead_unit").order_by("pk")))
            .first())


@dataclass
class InspectionFigures:
    inspections: int
    undercover: int
    found: dict[str, int]  # by problem type
    found_total: int
    rectified: int


def inspection_figures(start: date | None = None, end: date | None = None, *,
                       region: Unit | None = None, user: User | None = None,
                       as_of: datetime | None = None) -> InspectionFigures:
    """Inspections held between `start` and `end` (days included) — in `region` when
    given, i.e. that visited a unit there — the problems they found there by type, and
    how many of those were rectified by `as_of` (default now): closed, outcome resolved."""
    qs = visible_inspections(user) if user is not None else Inspection.objects.all()
    if start:
        qs = qs.filter(held_on__gte=start)
    if end:
        qs = qs.filter(held_on__lte=end)
    problems = Problem.objects.filter(inspection__in=qs.values("pk"))
    if region is not None:
        visited = Inspection.units.through.objects.filter(
            inspection_id=OuterRef("pk"), unit__path__startswith=region.path)
        qs = qs.filter(Exists(visited))
        problems = problems.filter(unit__path__startswith=region.path)
    counts = qs.aggregate(n=Count("pk"), undercover=Count("pk", filter=Q(undercover=True)))
    as_of = as_of or timezone.now()
    by_type = dict(problems.values_list("type").annotate(n=Count("pk")).order_by())
    rectified = problems.filter(_rectified(), case__closed_at__lte=as_of).count()
    found = {t: by_type.get(t, 0) for t in ProblemType.values}
    return InspectionFigures(counts["n"], counts["undercover"], found, sum(found.values()),
                             rectified)


def is_rectified(problem: Problem) -> bool:
    return problem.case.state == State.CLOSED and problem.case.outcome == Outcome.RESOLVED


# --------------------------------------------------------------------- case page

@dataclass
class CasePanel:
    meetings: list[Meeting]
    records: list[AccountabilityRecord]
    campaigns: list[CampaignCase]
    problem: Problem | None

    @property
    def empty(self) -> bool:
        return not (self.meetings or self.records or self.campaigns or self.problem)


def case_panel(case: Case, user: User) -> CasePanel | None:
    """What oversight knows about a case the viewer is looking at (None: no oversight
    pages for this role). The case is visible to the viewer, so everything linked to it
    is too; names stay withheld (the panel never shows them)."""
    if not may_read(user):
        return None
    return CasePanel(
        meetings=list(Meeting.objects.filter(cases=case).order_by("-held_on", "-id")),
        records=list(AccountabilityRecord.objects.filter(cases=case)
                     .select_related("sanction", "official_unit")
                     .order_by("-decided_on", "-id")),
        campaigns=campaigns_of_case(case),
        problem=Problem.objects.filter(case=case).select_related("inspection").first())
