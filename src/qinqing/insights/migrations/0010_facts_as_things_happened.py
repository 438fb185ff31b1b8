"""Facts record the case as it was at each event: the move that stopped a clock (instead
of `signed`), the first rated callback. Facts and rollups are derived data: they are
emptied here and rebuilt by the new definition right after `migrate`
(facts.build_if_missing), from the clocks' units and stops (cases 0009) and the timeline.
"""

from django.db import migrations, models


def forget(apps, schema_editor):
    apps.get_model("insights", "Daily").objects.all().delete()
    apps.get_model("insights", "Fact").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0009_bulletin_issue_and_files'),
        ('cases', '0009_stage_clock_unit_and_ended_by'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='fact',
            name='signed',
        ),
        migrations.AddField(
            model_name='fact',
            name='ended_by',
            field=models.CharField(blank=True, max_length=24),
        ),
        migrations.AddField(
            model_name='fact',
            name='first_rated',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(forget, migrations.RunPython.noop),
    ]
