"""Who may see a case's reporters, unmask them, and where a protected case may go.

The one place the confidentiality rule of domain.md §5a lives. Services, queries, the
API, the pages and the other apps ask these functions; none of them tests roles for
reporters itself.

The rule:

- A reporter received as the reporter of a report of misconduct (举报) is *protected*
  for good: `Reporter.protected`, set at intake (or when a case becomes a report),
  copied by a merge, never cleared, whatever the case's kind becomes later. Its
  `accused_unit` is the unit reported. A case is protected when its kind is report or
  it holds a protected reporter.
- A protected reporter: only the discipline commission (Role.DISCIPLINE_INSPECTOR) may
  unmask it; the hotline roles (intake, dispatch, callback, supervision) and the
  commission see it masked; everybody else — unit handlers and leaders, analysts,
  administrators — sees nothing of it.
- Any other reporter: the hotline roles, the commission, administrators and the unit
  staff who see the case see it masked; intake, dispatch, callback and the commission
  may unmask it with a reason; so may the handlers and leaders of the case's lead and
  co-units for a complaint, consultation, request for help or suggestion, to contact
  the person first (先行联系). Every unmasking is logged (UnmaskLog and the timeline).
- The superuser flag grants nothing here: a superuser counts as its role (as an
  administrator when it has none). Administrators maintain the platform; they do not
  read who reported misconduct.
- A protected case never reaches an accused unit or any unit inside it (its subtree):
  dispatching, co-assigning and merging toward them are refused, and staff of those
  units never see the case (`hidden_from`). Two exceptions keep the rule workable: a
  discipline commission is never "inside" the unit it supervises (it is drawn under its
  government in the tree but investigates it), and the top of the tree (the city's
  hotline and supervision) is never hidden from, or no one could route a report about
  the city government itself.
- Only the discipline commission may change a protected case's kind or accused unit
  (`services.reclassify_report`), with a reason, on the timeline.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import Case, Kind, Reporter
from qinqing.org.models import Role, Unit, UnitKind, User

HOTLINE_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.CALLBACK_AGENT,
                           Role.SUPERVISOR})
UNIT_ROLES = frozenset({Role.HANDLER, Role.UNIT_LEADER})
# Who sees a reporter masked.
MASKED_ROLES = HOTLINE_ROLES | UNIT_ROLES | {Role.DISCIPLINE_INSPECTOR, Role.ADMINISTRATOR}
PROTECTED_MASKED_ROLES = HOTLINE_ROLES | {Role.DISCIPLINE_INSPECTOR}
# Who may unmask (decrypt, with a reason, logged).
UNMASK_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.CALLBACK_AGENT,
                          Role.DISCIPLINE_INSPECTOR})
PROTECTED_UNMASK_ROLES = frozenset({Role.DISCIPLINE_INSPECTOR})
# Kinds whose reporter a handling unit may reveal to contact the person first.
UNIT_UNMASK_KINDS = frozenset({Kind.COMPLAINT, Kind.CONSULTATION, Kind.HELP, Kind.SUGGESTION})
# Who may change a protected case's kind or accused unit.
RECLASSIFY_ROLES = frozenset({Role.DISCIPLINE_INSPECTOR})


def role_of(user: User) -> str:
    """The role the rule reads: a superuser without a role counts as an administrator."""
    if not user.is_active:
        return ""
    return user.role or (Role.ADMINISTRATOR if user.is_superuser else "")


# ------------------------------------------------------------------ protected cases

def protected_cases_q() -> Q:
    """Cases that are protected, as a filter: kind report, or a protected reporter."""
    return Q(kind=Kind.REPORT) | Q(Exists(Reporter.objects.filter(
        case_id=OuterRef("pk"), protected=True)))


def _reporters(case: Case) -> list[Reporter]:
    # The prefetched list when there is one (case pages, the API), else one query.
    return list(case.reporters.all())


def is_protected_reporter(case: Case, reporter: Reporter) -> bool:
    return reporter.protected or case.kind == Kind.REPORT


def is_protected(case: Case) -> bool:
    if case.kind == Kind.REPORT:
        return True
    if "reporters" in getattr(case, "_prefetched_objects_cache", {}):
        return any(r.protected for r in case.reporters.all())
    return case.reporters.filter(protected=True).exists()


def accused_units(case: Case) -> list[Unit]:
    """The units a protected case must never reach: the unit a report is about, and the
    unit each protected reporter (its own or merged in) reported."""
    units = {}
    if case.kind == Kind.REPORT and case.subject_unit_id:
        units[case.subject_unit_id] = case.subject_unit
    ids = [r.accused_unit_id for r in _reporters(case) if r.protected and r.accused_unit_id]
    for unit in Unit.objects.filter(pk__in=[i for i in ids if i not in units]):
        units[unit.pk] = unit
    return list(units.values())


def inside_accused(unit: Unit, accused: list[Unit]) -> bool:
    """Whether `unit` is an accused unit or inside one (a discipline commission never is)."""
    if unit.kind == UnitKind.DISCIPLINE_COMMISSION:
        return False
    return any(unit.is_within(a) for a in accused)


def check_routing(case: Case, units: list[Unit], field: str = "lead_unit") -> None:
    """Refuse to send a protected case to an accused unit or any unit inside it."""
    accused = accused_units(case)
    if accused and any(inside_accused(u, accused) for u in units):
        raise InvalidInput(_("Some fields need correcting."), fields={field: _(
            "A report of misconduct cannot be routed to the unit it is about, nor to any "
            "unit inside it.")}, code="protected_reporter")


def check_merge(source: Case, target: Case) -> None:
    """A protected case may not be merged into a case that an accused unit (or a unit
    inside one) leads or helps: its reporter would reach them through that case."""
    accused = accused_units(source)
    if not accused:
        return
    units = [u for u in [target.lead_unit, *target.co_units.all()] if u is not None]
    if any(inside_accused(u, accused) for u in units):
        raise InvalidInput(_("Some fields need correcting."), fields={"into": _(
            "That case is with the unit this report of misconduct is about, or a unit "
            "inside it: it cannot take this report.")}, code="protected_reporter")


def hidden_from(user: User) -> Q | None:
    """Protected cases the user may never see because their unit is an accused unit or
    inside one, as a filter to exclude; None when nothing is hidden by this rule."""
    unit = user.unit
    if unit is None or unit.parent_id is None or unit.kind == UnitKind.DISCIPLINE_COMMISSION:
        return None
    # The unit and its ancestors, from the materialised path "/a/b/c/".
    codes = unit.path.strip("/").split("/")
    paths = ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes) + 1)]
    # Subqueries, not joins: callers lock these rows (select_for_update), and PostgreSQL
    # cannot lock the nullable side of an outer join.
    above = Unit.objects.filter(path__in=paths).values("pk")
    mine = Reporter.objects.filter(case_id=OuterRef("pk"), protected=True,
                                   accused_unit_id__in=above)
    return Q(kind=Kind.REPORT, subject_unit_id__in=above) | Q(Exists(mine))


def commission_q(user: User) -> Q | None:
    """The protected cases a discipline inspector oversees beyond their own unit's: those
    registered or located within the government their commission belongs to."""
    unit = user.unit
    if role_of(user) != Role.DISCIPLINE_INSPECTOR or unit is None or unit.parent_id is None:
        return None
    parent_path = unit.path[:unit.path.rstrip("/").rfind("/") + 1]
    within = Unit.objects.filter(path__startswith=parent_path).values("pk")  # (no join)
    return protected_cases_q() & (Q(owner_unit_id__in=within) | Q(region_id__in=within))


# ------------------------------------------------------------------------ reporters

def may_see_reporter(user: User, case: Case, reporter: Reporter) -> bool:
    """Whether `user` (who can see the case) sees this reporter, masked."""
    role = role_of(user)
    if is_protected_reporter(case, reporter):
        return role in PROTECTED_MASKED_ROLES
    return role in MASKED_ROLES


def may_unmask_reporter(user: User, case: Case, reporter: Reporter) -> bool:
    """Whether `user` (who can see the case) may reveal this reporter, with a reason."""
    role = role_of(user)
    if is_protected_reporter(case, reporter):
        return role in PROTECTED_UNMASK_ROLES
    if role in UNMASK_ROLES:
        return True
    return role in UNIT_ROLES and case.kind in UNIT_UNMASK_KINDS and _in_charge(user, case)


def _in_charge(user: User, case: Case) -> bool:
    """The user's unit is the case's lead unit or a co-unit, or inside one of them."""
    if user.unit is None:
        return False
    units = [u for u in [case.lead_unit, *case.co_units.all()] if u is not None]
    return any(user.unit.is_within(u) for u in units)


def may_see_reporters(user: User, case: Case) -> bool:
    """Whether the user sees any of the case's reporters (or would, if it had one)."""
    reporters = _reporters(case)
    if not reporters:
        role = role_of(user)
        return role in (PROTECTED_MASKED_ROLES if is_protected(case) else MASKED_ROLES)
    return any(may_see_reporter(user, case, r) for r in reporters)


def may_unmask(user: User, case: Case) -> bool:
    """Whether the user may reveal at least one of the case's reporters."""
    return any(may_unmask_reporter(user, case, r) for r in _reporters(case))


def may_see_protected_reporters(user: User) -> bool:
    """Whether the user may meet protected reporters at all (e.g. find their cases by
    phone): a filter for lists that match on reporters without showing them."""
    return role_of(user) in PROTECTED_MASKED_ROLES


def may_reclassify(user: User) -> bool:
    return role_of(user) in RECLASSIFY_ROLES


def may_check_against_reporters(user: User, case: Case) -> bool:
    """Whether a check may compare a text with this case's hidden reporter data and tell
    this user the outcome. For a protected case only someone who may unmask it: to
    anyone else, "your text contains the reporter's name" confirms a guess."""
    return not is_protected(case) or may_unmask(user, case)
