"""The Linfen line of domain.md §2 as cases (the business-environment hotline's figures):

1,622 matters: 1,437 consultations, all answered directly; 185 complaints and reports
routed — 20 to the discipline commission, 49 to city departments, 116 to counties; 158
closed, 27 in progress. The press release adds: closure rate 98.4 %, satisfaction 98.7 %.

Each distinct life below is driven once through services.create_case / services.perform
(the prototypes), then copied with lives.clone() to its count. Satisfaction 98.7 % is
reproduced as 156 satisfied or basically satisfied callbacks out of 158 rated ones: the
2 others were dissatisfied, and those 2 cases are back in handling (reopened); 2 closed
cases could not be reached and were closed unrated.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from qinqing.insights.metrics import Scope
from tests.insights.lives import CITY_DEPT, COUNTY_UNIT, DISCIPLINE, FULL, Driver, clone

SH = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # a Monday, a working day
PERIOD = Scope(date(2026, 1, 1), date(2026, 6, 30))

IN_HANDLING = [("dispatch", 10), ("sign", 30)]
BASIC = FULL[:4] + [("callback", 700, {"satisfaction": "basically_satisfied"})]
UNRATED = FULL[:4] + [("close_unrated", 700)]
REOPENED = FULL[:4] + [("reopen", 700)]

# (kind, lead unit, steps, how many)
LIVES = [
    ("consultation", None, [("answer", 5)], 1437),
    ("report", DISCIPLINE, FULL, 17),
    ("report", DISCIPLINE, IN_HANDLING, 3),
    ("complaint", CITY_DEPT, FULL, 44),
    ("complaint", CITY_DEPT, IN_HANDLING, 5),
    ("complaint", COUNTY_UNIT, FULL, 85),
    ("complaint", COUNTY_UNIT, BASIC, 10),
    ("complaint", COUNTY_UNIT, UNRATED, 2),
    ("complaint", COUNTY_UNIT, REOPENED, 2),
    ("complaint", COUNTY_UNIT, IN_HANDLING, 17),
]

EXPECTED = {
    "received": 1622, "consultations": 1437, "direct_answers": 1437, "routed": 185,
    "closed": 158, "in_progress": 27, "rated_callbacks": 158,
}
DESTINATIONS = {"discipline_commission": 20, "city_departments": 49, "counties": 116}


def build(scale: int | None = None) -> dict[str, list[int]]:
    """Drive each life once; copy it to its count (scale=1: only the driven prototypes).
    Returns the case ids per life (prototype first)."""
    drive = Driver()
    made: dict[str, list[int]] = {}
    for i, (kind, lead, steps, count) in enumerate(LIVES):
        case = drive(RECEIVED, kind=kind, lead=lead or COUNTY_UNIT, steps=steps,
                     content=f"临汾专线事项第{i}类")
        wanted = count if scale is None else 1
        made[f"{kind}:{lead}:{i}"] = [case.pk] + (clone(case, wanted - 1) if wanted > 1 else [])
    return made
