"""A listed case's listing closes when the case closes, in the same transaction.

The case pipeline does not know about supervision; it appends a timeline event for every
move, and the event that takes a case to `closed` is the moment to close its listing.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from qinqing.cases.models import CaseEvent, State


@receiver(post_save, sender=CaseEvent, dispatch_uid="supervision.close_listing_on_close")
def close_listing_when_case_closes(sender, instance: CaseEvent, created: bool, **kwargs):
    if not created or instance.to_state != State.CLOSED or instance.from_state == State.CLOSED:
        return
    from qinqing.supervision import services
    from qinqing.supervision.models import Listing

    if Listing.objects.filter(case_id=instance.case_id, closed_at__isnull=True).exists():
        services.close_listings(instance.case, instance.at, instance.action)
