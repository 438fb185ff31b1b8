"""The demo city's supervision codes: one on every service hall and window, and on a few
enterprises entered in the registry, so the managers' page (/codes/) lists them, the
sheets print, and a scan of any of them opens its page on `make run`.

The enterprises are fictional and their credit codes carry the demo's 99 region codes
(city.py), with a computed check character, so they pass the registry's check without
being any real business's."""

from __future__ import annotations

from stdnum.cn import uscc

from qinqing.codes.services import issue_missing
from qinqing.enterprises.models import Enterprise
from qinqing.enterprises.services import register
from qinqing.org.models import Unit, UnitKind

# (name, region code, organisation code: 9 characters of the code's own alphabet)
DEMO_ENTERPRISES = [
    ("示范市恒泰精密机械有限公司", "990171", "MA0HT0001"),
    ("示范市绿源食品有限公司", "990171", "MA0LY0002"),
    ("河阳区鑫达建材商行", "990102", "MA0XD0003"),
    ("云台县山泉农业专业合作社", "990121", "MA0GQ0004"),
]


def credit_code(region: str, organisation: str) -> str:
    """A unified social credit code: 9 (registered by market regulation), 1 (a company),
    the region, the organisation code, and the check character GB 32100 computes."""
    body = f"91{region}{organisation}"
    return body + uscc.calc_check_digit(body)


def build_demo_codes() -> dict[str, int]:
    """Enter the demo enterprises and give every hall, window and demo enterprise a code
    (those that have one keep it). Safe to run again."""
    regions = {u.code: u for u in Unit.objects.filter(code__in={r for _, r, _ in DEMO_ENTERPRISES})}
    for name, region, organisation in DEMO_ENTERPRISES:
        register(name, credit_code(region, organisation), regions[region])
    places = Unit.objects.filter(kind__in=(UnitKind.SERVICE_HALL, UnitKind.WINDOW),
                                 is_active=True).order_by("path")
    enterprises = Enterprise.objects.filter(
        credit_code__in=[credit_code(r, o) for _, r, o in DEMO_ENTERPRISES])
    return {"enterprises": len(DEMO_ENTERPRISES),
            "codes": issue_missing([*places, *enterprises], by=None)}
