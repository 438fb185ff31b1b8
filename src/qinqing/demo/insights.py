"""Demo publications: the bulletin of the last finished month, with typical cases.

An analyst would choose a few typical cases of the month (anonymised: the public text
names neither the caller nor the enterprise) and publish the month's bulletin once it
is over, so the public figures page of a fresh demo shows a bulletin. Everything goes
through insights.services, as the analyst's pages do, at the demo's moment.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import Case, Outcome, State
from qinqing.insights import queries, services
from qinqing.insights.models import Bulletin
from qinqing.org.models import User

TYPICAL = 3  # typical cases chosen for the bulletin


def last_finished_month(now: datetime) -> tuple[date, date]:
    """The first and last day of the month before the one `now` falls in (local time)."""
    first_of_this = timezone.localdate(now).replace(day=1)
    end = first_of_this - timedelta(days=1)
    return end.replace(day=1), end


def _typical_text(case: Case) -> tuple[str, str]:
    """A headline and a summary that name no person and no enterprise: the case's
    category, region and unit, which are public, and what the unit did."""
    region = case.region.short_name or case.region.name
    unit = case.lead_unit.short_name or case.lead_unit.name
    kind = case.get_kind_display()
    title = f"{region}一件“{case.category.name}”{kind}得到解决"
    summary = (f"{timezone.localtime(case.received_at):%-m月%-d日}，某企业通过"
               f"{case.get_channel_display()}反映{case.category.name}方面的问题。工单派{unit}"
               f"承办，{unit}核实情况后办理并答复，回访时企业表示满意。")
    return title[:services.TITLE_MAX], summary


def publish_demo_bulletin(now: datetime) -> dict[str, int]:
    """Choose typical cases among the month's resolved cases and publish the month's
    bulletin of the whole city, both as the demo analyst at `now`. Returns counts."""
    analyst = User.objects.filter(username="analyst", is_active=True).first()
    top = queries.top_region()
    if analyst is None or top is None:
        return {"typical": 0, "bulletins": 0}
    start, end = last_finished_month(now)
    chosen, categories = 0, set()
    candidates = (Case.objects.filter(
        state=State.CLOSED, outcome=Outcome.RESOLVED, satisfaction="satisfied",
        received_at__date__gte=start, received_at__date__lte=end, lead_unit__isnull=False,
        kind__in=["complaint", "help"])
        .select_related("category", "region", "lead_unit").order_by("received_at", "pk"))
    for case in candidates:
        if chosen >= TYPICAL:
            break
        if case.category_id in categories:
            continue  # one per category: a bulletin shows different matters
        title, summary = _typical_text(case)
        try:
            services.mark_typical(analyst, case.number, title=title, summary=summary, now=now)
        except InvalidInput:
            continue  # the text would name someone after all: the analyst picks another
        chosen += 1
        categories.add(case.category_id)
    exists = Bulletin.objects.filter(start=start, end=end, region=top, withdrawn_at=None)
    if not exists.exists():
        services.publish_bulletin(analyst, start, end, top.code, now=now)
    return {"typical": chosen, "bulletins": Bulletin.objects.filter(withdrawn_at=None).count()}
