"""The working calendar in force, built from the package, the settings and the overrides."""

from __future__ import annotations

import threading
from datetime import date

from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.worktime.calendar import OfficeHours, WorkingCalendar
from qinqing.worktime.models import CalendarOverride

_lock = threading.Lock()
_cached: tuple[tuple, WorkingCalendar] | None = None


def current_calendar() -> WorkingCalendar:
    """The calendar to compute deadlines with now.

    Rebuilt only when the overrides change. The check is one aggregate query, so every
    process (several server workers, the background worker) sees an administrator's edit
    at once without a shared cache.
    """
    global _cached
    stamp = CalendarOverride.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    key = (stamp["n"], stamp["latest"], settings.QINQING_OFFICE_HOURS)
    with _lock:
        if _cached is not None and _cached[0] == key:
            return _cached[1]
    overrides = dict(CalendarOverride.objects.values_list("date", "is_workday"))
    calendar = WorkingCalendar(OfficeHours.parse(settings.QINQING_OFFICE_HOURS), overrides)
    with _lock:
        _cached = (key, calendar)
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
