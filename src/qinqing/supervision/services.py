"""Writes of supervision: reminders (催办) to the units behind late stages."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import services as case_services
from qinqing.cases.errors import Forbidden, InvalidInput
from qinqing.cases.models import StageClock
from qinqing.cases.queries import visible_cases
from qinqing.org.models import Role, User

REMINDER_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER})
MAX_BATCH = 200


def send_reminders(numbers: list[str], actor: User, note: str = "",
                   now: datetime | None = None) -> list[str]:
    """Remind the units of the chosen cases about their late stages (bulk 催办).

    Only cases the actor may see and that have a stage in warning or overdue are
    reminded; each gets one `remind` event on its timeline naming the stages and their
    deadlines. Returns the numbers reminded. All or nothing: one transaction.
    """
    if not (actor.is_superuser or actor.role in REMINDER_ROLES):
        raise Forbidden(_("Your role may not send reminders."))
    numbers = sorted({str(n).strip().upper() for n in numbers if str(n).strip()})
    note = (note or "").strip()
    if not numbers:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"cases": _("Choose at least one case.")})
    if len(numbers) > MAX_BATCH:
        raise InvalidInput(_("Some fields need correcting."), fields={
            "cases": _("At most %(n)s cases at once.") % {"n": MAX_BATCH}})
    if len(note) > 500:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"note": _("At most %(n)s characters.") % {"n": 500}})
    now = now or timezone.now()
    reminded = []
    with transaction.atomic():
        cases = (visible_cases(actor).select_for_update(of=("self",))
                 .filter(number__in=numbers).order_by("pk"))
        late = {}
        for clock in (StageClock.objects.filter(case__in=cases, done_at__isnull=True,
                                                paused_at__isnull=True, warn_at__lte=now)
                      .order_by("due_at")):
            late.setdefault(clock.case_id, []).append(clock)
        for case in cases:
            clocks = late.get(case.pk)
            if not clocks:
                continue
            case_services._append(case, "remind", actor, now, case.state, case.state,
                                  reason=note, data={"stages": [
                                      {"stage": c.stage, "due": c.due_at.isoformat(),
                                       "overdue": c.due_at < now} for c in clocks]})
            reminded.append(case.number)
    return reminded
