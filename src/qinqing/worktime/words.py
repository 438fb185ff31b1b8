"""Time limits and lateness in the words a person reads: working days and working hours.

Every page that says how late (or how early) a stage is uses `working_span`, so the
board, the case page, the campaign and the reminder letter count lateness alike: the
whole working days are those of `supervision.ladder.working_days_overdue` (which the
letter prints), and under one working day the working hours. A limit such as ``3d`` reads
"3 个工作日"; a natural-hours limit (``24n``) is the one counted in clock hours.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qinqing.worktime.calendar import WorkingCalendar, elapsed, office_time_between
from qinqing.worktime.limits import LimitFormatError, LimitUnit, parse_limit


def amount_words(amount: int, unit: LimitUnit) -> str:
    if unit is LimitUnit.WORKING_DAYS:
        return ngettext("%(n)s working day", "%(n)s working days", amount) % {"n": amount}
    if unit is LimitUnit.WORKING_HOURS:
        return ngettext("%(n)s working hour", "%(n)s working hours", amount) % {"n": amount}
    return ngettext("%(n)s hour", "%(n)s hours", amount) % {"n": amount}


def limit_words(text: str) -> str:
    """``3d`` → "3 working days" (3 个工作日); a text that is not a limit is shown as is."""
    try:
        limit = parse_limit(text)
    except (LimitFormatError, TypeError, AttributeError):
        return text or ""
    return amount_words(limit.amount, limit.unit)


def working_span(calendar: WorkingCalendar, start: datetime, end: datetime,
                 unit: str = LimitUnit.WORKING_DAYS) -> str:
    """The time from `start` to `end` in words: whole working days when there is at
    least one, else whole working hours, else "under 1 working hour". For a stage with a
    natural-hours limit (`unit` "n"), clock hours."""
    if end <= start:
        return amount_words(0, LimitUnit.WORKING_HOURS)
    if unit == LimitUnit.NATURAL_HOURS:
        hours = int((end - start) // timedelta(hours=1))
        if hours:
            return amount_words(hours, LimitUnit.NATURAL_HOURS)
        return _("under 1 hour")
    days = math.floor(elapsed(calendar, start, end, LimitUnit.WORKING_DAYS).amount)
    if days >= 1:
        return amount_words(days, LimitUnit.WORKING_DAYS)
    hours = int(office_time_between(calendar, start, end) // timedelta(hours=1))
    if hours >= 1:
        return amount_words(hours, LimitUnit.WORKING_HOURS)
    return _("under 1 working hour")


def lateness(calendar: WorkingCalendar, due: datetime, moment: datetime,
             unit: str = LimitUnit.WORKING_DAYS) -> str:
    """"超期 3 个工作日": how far past `due` `moment` is, in working time."""
    return _("late by %(span)s") % {"span": working_span(calendar, due, moment, unit)}
