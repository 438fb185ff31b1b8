"""Demo supervision: the escalation ladder replayed over the demo's past, duty phones for
three units many demo cases go to, and two cases a supervisor lists, so the notices, the
letters and the public list of a fresh demo are not empty, and carry the dates they
would have had.

A running worker sweeps the ladder every minute, so a case late since September got its
reminder in September. The demo files months of back-dated history at once; a single
sweep at the end would remind every late case today. `LadderReplay` instead runs the
same sweep (ladder.sweep, with the steps done at once through the same job function)
at each working day's office start from the first demo move on, with `now` set to that
moment, so every notice, letter and listing carries the moment it would have had. The
demo builders call `advance(moment)` before each back-dated move, so the replay and the
moves stay in one chronological order and each case's timeline reads in time order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from qinqing.cases.models import StageClock
from qinqing.demo.city import CITY_CODE, CITY_DEPARTMENTS
from qinqing.org.models import Unit, User
from qinqing.supervision import ladder, services
from qinqing.supervision.models import (
    DutyPhone, EscalationPolicy, EscalationStep, LadderCursor, Listing, Rung, StepStatus,
)
from qinqing.worktime.calendar import SHANGHAI
from qinqing.worktime.queries import current_calendar

# Units that get a (fictional) duty phone, so the ladder's SMS are shown: the city
# departments most demo cases are routed to, and the demo handler's own unit.
DUTY_UNITS = tuple(f"{CITY_CODE}-D{CITY_DEPARTMENTS.index(name) + 1:02d}"
                   for name in ("行政审批服务管理局", "市场监督管理局")) + ("990102-SCJG",)


class LadderReplay:
    """The ladder's sweeps at the moments a running worker would have made them: each
    working day at office start, between the first moment `advance` is given and `now`
    (and once at `now` itself, by `finish`). Forward only: a moment already passed is
    not swept again."""

    def __init__(self, now: datetime):
        self.now = now
        self.calendar = current_calendar()
        self.start = self.calendar.office_hours.periods[0][0]
        self.swept_to: datetime | None = None
        self.last_sweep: datetime | None = None
        self.sweeps = 0
        self.found: dict[str, int] = {}

    def _moments(self, after: datetime, until: datetime):
        day = timezone.localtime(after, SHANGHAI).date()
        last = timezone.localtime(until, SHANGHAI).date()
        while day <= last:
            moment = datetime.combine(day, self.start, tzinfo=SHANGHAI)
            if after < moment <= until and self.calendar.is_workday(day):
                yield moment
            day += timedelta(days=1)

    def advance(self, to: datetime) -> None:
        """Sweep at every replay moment up to `to` (never beyond `now`)."""
        to = min(to, self.now)
        if self.swept_to is None:
            # The cursors say up to where earlier sweeps read; going back in time, they
            # would hide the clocks late at the replayed moments. Without them, a sweep
            # reads everything up to its moment (ladder.find_due).
            LadderCursor.objects.all().delete()
            self.swept_to = to - timedelta(microseconds=1)
            return
        for moment in self._moments(self.swept_to, to):
            if self._may_find(moment):
                self.sweep(moment)
        self.swept_to = max(self.swept_to, to)

    def _may_find(self, moment: datetime) -> bool:
        """Whether a sweep at `moment` could find anything: an open, running clock in
        warning without its warning step, or overdue without the step of a later rung the
        policy uses, or a step to retry. Most replayed mornings find nothing (the late
        stages have had every rung); one query skips their sweep of a dozen."""
        policy = EscalationPolicy.current()

        def missing(rung):
            return ~Exists(EscalationStep.objects.filter(clock=OuterRef("pk"), rung=rung))

        wanted = Q(pk__in=[])
        if policy.notify_warning:
            wanted |= Q(warn_at__lte=moment, due_at__gt=moment) & missing(Rung.WARNING)
        for rung, used in ((Rung.REMINDER, policy.remind_overdue),
                           (Rung.LETTER, policy.letter_after_days),
                           (Rung.LISTING, policy.auto_list_after_days)):
            if used:
                wanted |= Q(due_at__lte=moment) & missing(rung)
        return (StageClock.objects.filter(done_at=None, paused_at=None).filter(wanted).exists()
                or EscalationStep.objects.exclude(status=StepStatus.DONE).exists())

    def sweep(self, moment: datetime) -> None:
        from qinqing.supervision.tasks import process_steps

        def run_at_once(ids: list[int]) -> None:
            # The job function itself, told the sweep's moment (a worker runs it with none).
            process_steps.call(ids, now=moment.isoformat())

        found = ladder.sweep(now=moment, enqueue=run_at_once)
        self.sweeps += 1
        self.last_sweep = moment
        for key, value in found.items():
            self.found[key] = self.found.get(key, 0) + value

    def finish(self) -> None:
        """Every moment up to `now`, and the sweep at `now` a worker makes this minute
        (only that one if nothing was replayed)."""
        if self.swept_to is not None:
            self.advance(self.now)
        if self.last_sweep != self.now:
            self.sweep(self.now)
        self.swept_to = self.now


def give_duty_phones() -> int:
    """Fictional duty phones for DUTY_UNITS (before the replay, so it texts them)."""
    made = 0
    for i, code in enumerate(DUTY_UNITS):
        unit = Unit.objects.filter(code=code).first()
        if unit is None or DutyPhone.objects.filter(unit=unit).exists():
            continue
        duty = DutyPhone(unit=unit, note="演示数据（虚构号码）")
        duty.phone = f"1399900{i:04d}"
        duty.save()
        made += 1
    return made


def list_late_cases(now: datetime, listings: int = 2) -> int:
    """The demo supervisor lists the `listings` longest-late cases not listed yet."""
    supervisor = User.objects.filter(username="supervisor", is_active=True).first()
    if supervisor is None:
        return 0
    late = (StageClock.objects.filter(done_at__isnull=True, paused_at__isnull=True,
                                      due_at__lt=now, case__lead_unit__isnull=False)
            .exclude(Exists(Listing.objects.filter(case=OuterRef("case"),
                                                   closed_at__isnull=True)))
            # One row per case, the longest late first: ordering the clocks by their
            # own deadline would put it into the DISTINCT, and a case late at two
            # stages would come back twice (and be listed twice).
            .values("case__number").annotate(first_due=Min("due_at"))
            .order_by("first_due", "case__number")
            .values_list("case__number", flat=True))
    listed = 0
    for number in list(late[:listings]):
        services.list_case(number, supervisor, now=now, reason="演示：逾期时间较长，挂牌督办。")
        listed += 1
    return listed


def escalate_demo(now: datetime | None = None, listings: int = 2,
                  replay: LadderReplay | None = None) -> dict[str, int]:
    """Finish the ladder's replay up to `now` (a replay that starts now, without one: a
    single sweep) and list the longest-late cases; returns counts."""
    now = now or timezone.now()
    give_duty_phones()
    replay = replay or LadderReplay(now)
    replay.finish()
    listed = list_late_cases(now, listings)
    return {**{k: v for k, v in replay.found.items() if v}, "sweeps": replay.sweeps,
            "listed": listed, "listings": Listing.objects.count()}
