"""Keeping what depends on master data right when an administrator edits it.

- The per-process master-data cache (qinqing.refdata) forgets everything on a save or
  delete of a category, unit, time-limit policy or calendar override, at once and again
  on commit.
- When the calendar changes, provisional deadlines are recomputed (domain.md §5).
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from qinqing.cases.models import Category, TimeLimitPolicy
from qinqing.org.models import Unit
from qinqing.refdata import refdata
from qinqing.worktime.models import CalendarOverride

refdata.watch(Category, Unit, TimeLimitPolicy)


@receiver(post_save, sender=CalendarOverride)
@receiver(post_delete, sender=CalendarOverride)
def recompute_after_calendar_change(using="default", **kwargs):
    from qinqing.cases.services import recompute_provisional_deadlines

    # One callback on commit: first the cache is emptied, then the recompute runs, so it
    # sees the override that was just saved.
    refdata.invalidate(using, then=recompute_provisional_deadlines)
