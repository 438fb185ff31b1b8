"""One notice or letter per case and rung: steps merged into another, and the list of
late stages a letter is about (an existing letter was about its one stage)."""

import django.db.models.deletion
from django.db import migrations, models


def stages_of_existing_letters(apps, schema_editor):
    ReminderLetter = apps.get_model("supervision", "ReminderLetter")
    for letter in ReminderLetter.objects.select_related("step__clock").iterator():
        started = letter.step.clock.started_at.isoformat() if letter.step_id else None
        letter.stages = [{"stage": letter.stage, "due": letter.due_at.isoformat(),
                          "started": started, "days_overdue": letter.days_overdue}]
        letter.save(update_fields=["stages"])


class Migration(migrations.Migration):

    dependencies = [
        ('supervision', '0002_duty_phone_encrypted_field_type'),
    ]

    operations = [
        migrations.AddField(
            model_name='escalationstep',
            name='merged_into',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged', to='supervision.escalationstep', verbose_name='Merged into step'),
        ),
        migrations.AddField(
            model_name='reminderletter',
            name='stages',
            field=models.JSONField(default=list, verbose_name='Late stages'),
        ),
        migrations.RunPython(stages_of_existing_letters, migrations.RunPython.noop),
    ]
