"""When the calendar changes, provisional deadlines are recomputed (domain.md §5)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from qinqing.worktime.models import CalendarOverride


@receiver(post_save, sender=CalendarOverride)
@receiver(post_delete, sender=CalendarOverride)
def recompute_after_calendar_change(**kwargs):
    from qinqing.cases.services import recompute_provisional_deadlines

    # After commit, so the recompute sees the override that was just saved.
    transaction.on_commit(recompute_provisional_deadlines)
