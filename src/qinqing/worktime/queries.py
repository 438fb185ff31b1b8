"""The working calendar in force, built from the package, the settings and the overrides."""

from __future__ import annotations

import threading
from datetime import date

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.refdata import refdata
from qinqing.worktime.calendar import OfficeHours, WorkingCalendar
from qinqing.worktime.models import CalendarOverride

_lock = threading.Lock()
_built: tuple[tuple, WorkingCalendar] | None = None


def current_calendar(*, verify: bool = False) -> WorkingCalendar:
    """The calendar to compute deadlines with now.

    Kept per process (qinqing.refdata): this process sees its own edit of an override at
    once, another process within QINQING_REFDATA_TTL seconds. verify=True asks the
    database now (one aggregate query) — for a result a stale calendar would leave wrong
    for good: a provisional deadline (cases.deadlines) and the recompute of them.
    """
    return refdata.get(("calendar",), _calendar_in_database, refresh=verify)


def _calendar_in_database() -> WorkingCalendar:
    # One aggregate query tells whether the overrides changed; they are read and the
    # calendar rebuilt only when they did.
    global _built
    stamp = CalendarOverride.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    key = (stamp["n"], stamp["latest"], settings.QINQING_OFFICE_HOURS)
    with _lock:
        if _built is not None and _built[0] == key:
            return _built[1]
    overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    calendar = WorkingCalendar(OfficeHours.parse(settings.QINQING_OFFICE_HOURS), overrides)
    with _lock:
        _built = (key, calendar)
    return calendar


def missing_years(calendar: WorkingCalendar, today: date | None = None) -> list[int]:
    """This year and next, where neither the package nor the overrides know the holidays."""
    today = today or timezone.localdate()
    return [y for y in (today.year, today.year + 1) if not calendar.is_known_year(y)]


def missing_year_warning(year: int) -> str:
    return _(
        "The statutory holidays and make-up working days of %(year)s have not been entered: "
        "deadlines in that year assume Monday to Friday and are marked provisional. Enter the "
        "State Council's %(year)s holiday and make-up working dates under Calendar overrides "
        "(or upgrade the chinesecalendar package)."
    ) % {"year": year}
