"""Each stage clock records the unit whose time it measures and the move that stopped it.

Existing clocks are filled in from the timeline: a unit stage's unit is the lead unit of
the last dispatch or redispatch at or before its start (else the case's lead unit now);
a stopped clock's move is the event at its stop that lists it among the clocks stopped.
"""

import django.db.models.deletion
from django.db import migrations, models


UNIT_STAGES = ("sign", "resolve", "review")
# The moves of the transition table that stop or route (as of this migration).
MOVES = ("answer", "not_accept", "reject", "merge", "dispatch", "redispatch", "sign",
         "return", "reply", "review", "send_back", "callback", "close_unrated", "reopen")


def fill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    StageClock = apps.get_model("cases", "StageClock")
    Unit = apps.get_model("org", "Unit")
    unit_ids = dict(Unit.objects.values_list("code", "pk"))
    last = 0
    while True:
        cases = dict(Case.objects.filter(pk__gt=last).order_by("pk")
                     .values_list("pk", "lead_unit_id")[:1000])
        if not cases:
            break
        events: dict[int, list] = {pk: [] for pk in cases}
        for event in (CaseEvent.objects.filter(case_id__in=list(cases), action__in=MOVES)
                      .order_by("case_id", "seq").only("case_id", "action", "at", "data")):
            events[event.case_id].append(event)
        clocks = list(StageClock.objects.filter(case_id__in=list(cases)))
        for clock in clocks:
            timeline = events[clock.case_id]
            if clock.stage in UNIT_STAGES:
                routed = [e for e in timeline if e.action in ("dispatch", "redispatch")
                          and e.at <= clock.started_at]
                code = routed[-1].data.get("lead_unit") if routed else None
                clock.unit_id = unit_ids.get(code) or cases[clock.case_id]
            if clock.done_at is not None:
                for event in timeline:
                    stopped = ((event.data or {}).get("clocks") or {}).get("stopped") or []
                    if event.at == clock.done_at and any(
                            s.get("stage") == clock.stage for s in stopped):
                        clock.ended_by = event.action
                        break
        StageClock.objects.bulk_update(clocks, ["unit", "ended_by"], batch_size=1000)
        last = max(cases)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_reporter_protection'),
        ('org', '0002_labels'),
    ]

    operations = [
        migrations.AddField(
            model_name='stageclock',
            name='ended_by',
            field=models.CharField(blank=True, max_length=24, verbose_name='Ended by'),
        ),
        migrations.AddField(
            model_name='stageclock',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.unit', verbose_name='Unit'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
