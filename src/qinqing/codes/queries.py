"""Reads about supervision codes: a scan, the managers' list, what a sheet prints.

Every read here runs a fixed number of statements whatever the number of halls, windows
or enterprises (tests/codes pin the counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from datetime import date, timedelta

from django.db.models import Q, Sum
from django.utils import timezone
from django.urls import reverse

from qinqing.codes import tokens
from qinqing.codes.models import LIVE, SupervisionCode
from qinqing.enterprises.models import Enterprise
from qinqing.org.models import REGION_KINDS, Role, Unit, UnitKind, User
from qinqing.org.queries import can_see_unit, visible_units

MANAGER_ROLES = frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR})
_RELATED = ("unit__parent", "staff__unit", "enterprise__region")


def may_manage(user) -> bool:
    """Administrators and supervisors (as for the halls' posters), and superusers."""
    return bool(user and user.is_active and (user.is_superuser or user.role in MANAGER_ROLES))


def home_unit(obj) -> Unit:
    """The unit an object belongs to, for scoping: a unit itself, a staff member's unit,
    an enterprise's region."""
    if isinstance(obj, Unit):
        return obj
    if isinstance(obj, Enterprise):
        return obj.region
    return obj.unit


def may_manage_object(user, obj) -> bool:
    """A manager manages the codes of their own unit and everything below it."""
    unit = home_unit(obj)
    return may_manage(user) and unit is not None and can_see_unit(user, unit)


def code_path(token: str) -> str:
    return reverse("codes:scan", args=[token])


def code_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + code_path(token)


# ------------------------------------------------------------------------------ a scan

@dataclass(frozen=True)
class Shown:
    """What the public page says about a code's object."""

    name: str
    belongs_to: str  # the hall of a window, the unit of a staff member, an enterprise's region
    complaint_url: str


def scan(text: str) -> SupervisionCode | None:
    """The code a scanned address names, with its object, in one statement; None for
    anything that is not an issued token. (Not with its replacement's too: the 13 joins
    took PostgreSQL ~2 ms to plan, on every scan, for the rare withdrawn code:
    `replacement` reads that one.)"""
    token = tokens.normalise(text)
    if token is None:
        return None
    # A token is unique: no ORDER BY to compile or run (first() would add the Meta's).
    found = SupervisionCode.objects.select_related(*_RELATED).filter(token=token).order_by()
    return next(iter(found[:1]), None)


def replacement(code: SupervisionCode) -> SupervisionCode | None:
    """The code that replaced a withdrawn one, with its object."""
    if code.replaced_by_id is None:
        return None
    return SupervisionCode.objects.select_related(*_RELATED).filter(
        pk=code.replaced_by_id).first()


def shown(code: SupervisionCode) -> Shown:
    submit = reverse("portal:submit")
    if code.unit_id:
        query = {"unit": code.unit.code}
    elif code.staff_id:
        query = {"unit": code.staff.unit.code}
    else:
        query = {"enterprise": code.enterprise.credit_code}
    return Shown(code.object_name, code.belongs_to, f"{submit}?{urlencode(query)}")


# --------------------------------------------------------------------- what gets printed

@dataclass
class Card:
    obj: object
    code: SupervisionCode | None = None


@dataclass
class HallSheet:
    hall: Card
    windows: list[Card] = field(default_factory=list)


@dataclass
class Sheet:
    """Everything printed for a unit: its halls with their windows, the enterprises of
    its region, and, for a unit with neither (a window, a department), its own card."""

    unit: Unit
    halls: list[HallSheet] = field(default_factory=list)
    enterprises: list[Card] = field(default_factory=list)
    own: Card | None = None

    def objects(self) -> list:
        found = [c.obj for h in self.halls for c in (h.hall, *h.windows)]
        found += [c.obj for c in self.enterprises]
        return found + ([self.own.obj] if self.own else [])

    def cards(self) -> list[Card]:
        return [c for h in self.halls for c in (h.hall, *h.windows)] + self.enterprises + (
            [self.own] if self.own else [])


RECENT_DAYS = 30  # the managers' page shows each code's scans over these last days


def _with_recent_scans(codes):
    since = timezone.localdate() - timedelta(days=RECENT_DAYS - 1)
    return codes.annotate(recent_scans=Sum("scan_days__scans",
                                           filter=Q(scan_days__day__gte=since), default=0))


def _live_codes(**filters) -> dict:
    return {c.unit_id or c.staff_id or c.enterprise_id: c
            for c in _with_recent_scans(SupervisionCode.objects.filter(LIVE, **filters))}


def scans(start: date, end: date, *, codes=None) -> int:
    """Scans counted on the local days start..end (of `codes`, a queryset, if given)."""
    from qinqing.codes.models import ScanDay

    rows = ScanDay.objects.filter(day__gte=start, day__lte=end)
    if codes is not None:
        rows = rows.filter(code__in=codes)
    return rows.aggregate(n=Sum("scans", default=0))["n"]


def sheet(unit: Unit) -> Sheet:
    """The halls, windows and enterprises within `unit`, each with its live code (None
    where it has none yet). Four statements."""
    result = Sheet(unit)
    places = list(Unit.objects.subtree(unit).active()
                  .filter(kind__in=[UnitKind.SERVICE_HALL, UnitKind.WINDOW])
                  .select_related("parent").order_by("path"))
    codes = _live_codes(unit__in=[u.pk for u in places]) if places else {}
    halls: dict[int, HallSheet] = {}
    for place in places:
        card = Card(place, codes.get(place.pk))
        if place.kind == UnitKind.SERVICE_HALL:
            halls[place.pk] = HallSheet(card)
        elif place.parent_id in halls:
            halls[place.parent_id].windows.append(card)
    for hall in halls.values():
        hall.windows.sort(key=lambda c: (c.obj.sort_order, c.obj.path))
    result.halls = list(halls.values())
    enterprises = list(Enterprise.objects.filter(is_active=True,
                                                 region__path__startswith=unit.path)
                       .select_related("region").order_by("name"))
    if enterprises:
        codes = _live_codes(enterprise__in=[e.pk for e in enterprises])
        result.enterprises = [Card(e, codes.get(e.pk)) for e in enterprises]
    if not result.halls and not result.enterprises and unit.is_active:
        if unit.kind == UnitKind.WINDOW and unit.parent_id:
            unit = Unit.objects.select_related("parent").get(pk=unit.pk)
        result.own = Card(unit, _live_codes(unit=unit).get(unit.pk))
    return result


def card_sheet(code: SupervisionCode) -> Sheet:
    """One code on its own (a reprint)."""
    result = Sheet(home_unit(code.object))
    card = Card(code.object, code)
    if code.enterprise_id:
        result.enterprises = [card]
    else:
        result.own = card
    return result


# ---------------------------------------------------------------------- managers' page

def manager_units(user) -> list[Unit]:
    """The regions and halls a manager may pick to list (their own unit and below)."""
    return list(visible_units(user).active()
                .filter(Q(kind__in=[*REGION_KINDS, UnitKind.SERVICE_HALL]) | Q(parent=None))
                .order_by("path").only("pk", "code", "name", "path", "kind"))


def default_unit(user) -> Unit | None:
    if user.is_superuser and user.unit_id is None:
        return Unit.objects.filter(parent=None).order_by("path").first()
    return user.unit


def get_code(pk) -> SupervisionCode | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return SupervisionCode.objects.select_related(*_RELATED).filter(pk=pk).first()


def find_object(kind: str, pk) -> Unit | User | Enterprise | None:
    model = {"unit": Unit, "staff": User, "enterprise": Enterprise}.get(kind)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if model is None:
        return None
    related = {"staff": ("unit",), "enterprise": ("region",), "unit": ()}[kind]
    return model.objects.select_related(*related).filter(pk=pk).first()


def other_codes(unit: Unit) -> list[SupervisionCode]:
    """Live codes within `unit` for staff members and for units that are neither halls
    nor windows (issued one by one)."""
    return list(_with_recent_scans(SupervisionCode.objects.filter(LIVE).filter(
        Q(staff__unit__path__startswith=unit.path)
        | Q(unit__path__startswith=unit.path) & ~Q(unit__kind__in=[UnitKind.SERVICE_HALL,
                                                                    UnitKind.WINDOW])))
        .select_related(*_RELATED).order_by("unit__path", "staff__unit__path", "pk"))


def staff_without_code(unit: Unit) -> list[User]:
    """Active staff members within `unit` who have no live code: the choices to issue one."""
    return list(User.objects.filter(is_active=True, unit__path__startswith=unit.path)
                .exclude(pk__in=SupervisionCode.objects.filter(LIVE, staff__isnull=False)
                         .values("staff_id"))
                .select_related("unit").order_by("unit__path", "full_name", "username"))
