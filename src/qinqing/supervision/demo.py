"""Demo supervision: after the demo cases are filed, the escalation ladder runs once over
them (as the worker's tick would, through the same services), duty phones are given to
the busiest units, and the demo supervisor lists two late cases, so the notifications,
the letters and the public list are not empty in a fresh demo."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef
from django.utils import timezone

from qinqing.cases.models import StageClock
from qinqing.org.models import Unit, User
from qinqing.supervision import ladder, services
from qinqing.supervision.models import DutyPhone, Listing


def escalate_demo(now: datetime | None = None, listings: int = 2) -> dict[str, int]:
    from qinqing.background.worker import QinqingWorker

    now = now or timezone.now()
    busiest = (StageClock.objects.filter(done_at__isnull=True, case__lead_unit__isnull=False)
               .values("case__lead_unit").annotate(n=Count("pk")).order_by("-n")[:3])
    for i, row in enumerate(busiest):
        if not DutyPhone.objects.filter(unit_id=row["case__lead_unit"]).exists():
            duty = DutyPhone(unit=Unit.objects.get(pk=row["case__lead_unit"]),
                             note="演示数据（虚构号码）")
            duty.phone = f"1399900{i:04d}"
            duty.save()
    found = ladder.sweep(now=now)
    # The jobs the sweep queued, run here (a running worker would take them otherwise).
    ran = QinqingWorker(worker_id="demo", tick=False).run_pending()
    supervisor = User.objects.filter(username="supervisor", is_active=True).first()
    listed = 0
    if supervisor is not None:
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
        for number in list(late[:listings]):
            services.list_case(number, supervisor, now=now,
                               reason="演示：逾期时间较长，挂牌督办。")
            listed += 1
    return {**{k: v for k, v in found.items() if v}, "jobs": ran, "listed": listed,
            "listings": Listing.objects.count()}
