"""Reads of notifications, shared by pages and the API to come."""

from __future__ import annotations

from qinqing.notifications.models import Notification


def unread(user, limit: int = 50) -> list[Notification]:
    """The user's unread notifications, newest first, with their cases."""
    return list(
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .select_related("case").order_by("-created_at", "-pk")[:limit]
    )


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


PAGE_SIZE = 50


def page(user, *, unread_only: bool = False, before: int | None = None,
         size: int = PAGE_SIZE) -> tuple[list[Notification], int | None]:
    """A page of the user's notifications, newest first (keyset on id: the same cost on
    page 1 and page 100), and the id to continue from (None on the last page)."""
    qs = Notification.objects.filter(recipient=user).select_related("case")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-pk")[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].pk if more and rows else None)
