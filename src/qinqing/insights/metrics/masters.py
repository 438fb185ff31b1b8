"""The organisation and the categories as the figures see them: every unit (code, short
name, kind, tree path) and every category (code, name, parent), read once per process
(qinqing.refdata forgets them on any change of a unit or category).

Also where a routed case went (its *destination*, domain.md §2, Linfen): the discipline
commission, the city departments, or the counties, districts and zones. The facts keep
it per lead unit (facts.py) and the breakdown "destination" groups by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from qinqing.cases.models import Category
from qinqing.org.models import Unit, UnitKind
from qinqing.refdata import refdata


@dataclass(frozen=True)
class UnitInfo:
    pk: int
    code: str
    label: str
    kind: str
    path: str


@dataclass(frozen=True)
class Masters:
    units: dict[int, UnitInfo]
    unit_by_code: dict[str, UnitInfo]
    categories: dict[int, tuple[str, str, int | None]]  # pk -> (code, name, parent pk)
    category_by_code: dict[str, int]

    def subtree(self, unit: UnitInfo) -> list[int]:
        return [u.pk for u in self.units.values() if u.path.startswith(unit.path)]

    def category_subtree(self, pk: int) -> list[int]:
        found, frontier = {pk}, {pk}
        while frontier:
            frontier = {c for c, (_, _, parent) in self.categories.items()
                        if parent in frontier and c not in found}
            found |= frontier
        return sorted(found)

    def destination(self, unit: UnitInfo) -> str:
        """Where a routed case went (domain.md §2, Linfen): the discipline commission, a
        county-level government (a county, district or development zone, or a unit below
        one), or a city department (any other unit)."""
        if unit.kind == UnitKind.DISCIPLINE_COMMISSION:
            return DISCIPLINE
        for code in unit.path.strip("/").split("/")[1:]:
            above = self.unit_by_code.get(code)
            if above is not None and above.kind in (UnitKind.COUNTY, UnitKind.DEVELOPMENT_ZONE):
                return COUNTIES
        return CITY_DEPARTMENTS


DISCIPLINE, CITY_DEPARTMENTS, COUNTIES = "discipline_commission", "city_departments", "counties"
DESTINATIONS = {
    DISCIPLINE: gettext_lazy("Discipline commission"),
    CITY_DEPARTMENTS: gettext_lazy("City departments"),
    COUNTIES: gettext_lazy("Counties, districts and zones"),
}


def master_data() -> Masters:
    """The units and categories, read once per process (see the module's docstring)."""
    return refdata.get(("insights masters",), _load_masters)


def _load_masters() -> Masters:
    units = {pk: UnitInfo(pk, code, short or name, kind, path) for pk, code, short, name, kind, path
             in Unit.objects.values_list("pk", "code", "short_name", "name", "kind", "path")}
    categories = {pk: (code, name, parent) for pk, code, name, parent
                  in Category.objects.values_list("pk", "code", "name", "parent_id")}
    return Masters(units, {u.code: u for u in units.values()}, categories,
                   {code: pk for pk, (code, _, _) in categories.items()})

