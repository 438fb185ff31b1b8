"""One gap-free yearly numbering for the platform (qinqing.cases.numbering): the case
numbers' sequence rows become the "case" series of NumberSequence, with their last
numbers, so that no number is given twice. (Reminder letters move theirs in
supervision 0004.)"""

from django.db import migrations, models


def cases_into_series(apps, schema_editor):
    Old = apps.get_model("cases", "CaseNumberSequence")
    New = apps.get_model("cases", "NumberSequence")
    New.objects.bulk_create(New(series="case", year=row.year, last=row.last)
                            for row in Old.objects.all())


def series_into_cases(apps, schema_editor):
    Old = apps.get_model("cases", "CaseNumberSequence")
    New = apps.get_model("cases", "NumberSequence")
    Old.objects.bulk_create(Old(year=row.year, last=row.last)
                            for row in New.objects.filter(series="case"))


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0009_stage_clock_unit_and_ended_by"),
    ]

    operations = [
        migrations.CreateModel(
            name="NumberSequence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                           serialize=False, verbose_name="ID")),
                ("series", models.CharField(max_length=20)),
                ("year", models.PositiveIntegerField()),
                ("last", models.PositiveIntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("series", "year"),
                                                        name="number_sequence_series_year")],
            },
        ),
        migrations.RunPython(cases_into_series, series_into_cases),
        migrations.DeleteModel(name="CaseNumberSequence"),
    ]
