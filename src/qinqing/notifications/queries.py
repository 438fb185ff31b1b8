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
