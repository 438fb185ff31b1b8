"""Default ratings (默认评价, issue 17 §3): an invited case not rated within its window
gets QINQING_RATING_DEFAULT_LEVEL (基本满意 by default), marked `is_default` and counted
apart from the real ones.

- Once: the rating's unique (rated_case, round) decides. A real rating committed at the
  same moment wins or loses as a whole: if it came first the default is skipped, and a
  default that came first makes the late form read "the time to rate has passed".
- Never a bad default: the setting allows 1-3 only, and the database refuses a default
  rating of 4 or 5 (Rating's constraints); a default opens no rectification case.
- Channel: GB/T 39046's 评价渠道 has no value for a system default (a Zhejiang interface's
  7 = 系统默认评价 is its own), so a default carries the invitation's channel (短信) and
  is told apart by `is_default`, in its own export column.
- The rated moment is the end of the window (`due_at`), not when the tick ran.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qinqing.ratings.invitation_model import Invitation
from qinqing.ratings.levels import Channel, Level, is_bad
from qinqing.ratings.models import Rating

BATCH = 500


def default_level() -> Level:
    level = Level(settings.QINQING_RATING_DEFAULT_LEVEL)
    if is_bad(level):  # the setting refuses it already; a default is never a bad rating
        raise ValueError("a default rating cannot be a bad one")
    return level


def give_due(now: datetime | None = None) -> int:
    """Give the default rating to every invitation whose window ended by `now` without a
    rating; return how many were given. Safe to run again."""
    now = now or timezone.now()
    level = default_level()
    given = 0
    due = list(Invitation.objects.select_related("case")
               .filter(rating__isnull=True, sends__gte=1, due_at__lte=now)
               .order_by("due_at", "pk")[:BATCH])
    for invitation in due:
        if give(invitation, level):
            given += 1
    return given


def give(invitation: Invitation, level: Level) -> Rating | None:
    """The default rating of one invitation, or None when the case was rated meanwhile."""
    case = invitation.case
    rating = Rating(
        code=None, rated_case=case, answerable_unit_id=invitation.unit_id,
        region_id=case.region_id, object_key=f"case:{case.pk}", level=level,
        channel=Channel.SMS_LINK, round=invitation.round, is_default=True,
        rated_at=invitation.due_at, visit_day=timezone.localdate(invitation.due_at),
        form_token=uuid.uuid4().hex)
    try:
        with transaction.atomic():
            rating.save(force_insert=True)
            Invitation.objects.filter(pk=invitation.pk).update(rating=rating,
                                                               next_send_at=None)
    except IntegrityError:
        return None  # a real rating came first: it stands
    return rating
