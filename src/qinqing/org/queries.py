"""Reads about the organisation shared by pages, the API and other apps."""

from __future__ import annotations

from qinqing.org.models import Unit, UnitQuerySet, User


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
