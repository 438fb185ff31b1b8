"""Reads about the organisation shared by pages, the API and other apps."""

from __future__ import annotations

from collections import Counter

from qinqing.org.models import REGION_KINDS, Unit, UnitKind, UnitQuerySet, User
from qinqing.pickers import Option, abbreviation_keys, search_keys


def visible_units(user: User) -> UnitQuerySet:
    """Units a staff member may see: their own unit and every unit below it.

    Superusers see everything; an account with no unit sees nothing.
    """
    if user.is_superuser:
        return Unit.objects.all()
    if not user.is_active or user.unit_id is None:
        return Unit.objects.none()
    return Unit.objects.subtree(user.unit)


def can_see_unit(user: User, unit: Unit) -> bool:
    if user.is_superuser:
        return True
    if not user.is_active or user.unit_id is None:
        return False
    return unit.is_within(user.unit)


def region_of(unit: Unit) -> Unit | None:
    """The nearest county, development zone or city at or above a unit."""
    from qinqing.org.models import REGION_KINDS

    codes = [c for c in unit.path.strip("/").split("/") if c]
    ancestors = {u.code: u for u in Unit.objects.filter(code__in=codes, kind__in=REGION_KINDS)}
    for code in reversed(codes):
        if code in ancestors:
            return ancestors[code]
    return None


def region_choices(*, include_inactive: bool = False) -> list[tuple[str, str]]:
    """The city, its counties and the development zone, in the tree's order: (code, name).

    Figures' filters include regions no longer active: their past figures stay reachable."""
    regions = Unit.objects.filter(kind__in=REGION_KINDS)
    if not include_inactive:
        regions = regions.filter(is_active=True)
    return list(regions.order_by("path").values_list("code", "name"))


def unit_options() -> list[tuple[str, str]]:
    """Every active unit a case may be about (departments, halls and windows): code, name."""
    return list(Unit.objects.active().exclude(kind=UnitKind.CITY_GOVERNMENT).order_by("path")
                .values_list("code", "name"))


def unit_picker_options() -> list[Option]:
    """The units of `unit_options`, for a search-as-you-type picker (qinqing.pickers)
    where people read names, never codes: each shown by its name (with its parent's name
    when two units share one), the kind of unit as the hint, and found by its name, its
    short name, their pinyin and initials, or an abbreviation (审批局, spj). One query."""
    rows = list(Unit.objects.active().exclude(kind=UnitKind.CITY_GOVERNMENT).order_by("path")
                .values_list("code", "name", "short_name", "kind", "parent__name"))
    seen = Counter(name for _code, name, *_rest in rows)
    repeated = {name for name, count in seen.items() if count > 1}
    kinds = dict(UnitKind.choices)
    options = []
    for code, name, short_name, kind, parent in rows:
        display = f"{name}（{parent}）" if name in repeated and parent else name
        options.append(Option(code, display, str(kinds.get(kind, "")),
                              search_keys(name, short_name),
                              abbreviation_keys(name, short_name)))
    return options


def resolve_unit(text: str) -> str:
    """A unit picked by code, by 'code name' or by its exact name; otherwise what was typed
    (the service then says no unit has that code)."""
    typed = (text or "").strip()
    if not typed:
        return ""
    code = typed.split()[0]
    if Unit.objects.filter(code=code).exists():
        return code
    by_name = list(Unit.objects.active().filter(name=typed).values_list("code", flat=True)[:2])
    return by_name[0] if len(by_name) == 1 else typed
