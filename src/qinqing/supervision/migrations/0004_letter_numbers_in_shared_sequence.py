"""Reminder-letter numbers join the platform's one gap-free yearly numbering
(qinqing.cases.numbering): each year's last letter number becomes a row of the "letter"
series of cases.NumberSequence, so that no letter number is given twice."""

from django.db import migrations, models


def letters_into_series(apps, schema_editor):
    Old = apps.get_model("supervision", "LetterNumberSequence")
    New = apps.get_model("cases", "NumberSequence")
    New.objects.bulk_create(New(series="letter", year=row.year, last=row.last)
                            for row in Old.objects.all())


def series_into_letters(apps, schema_editor):
    Old = apps.get_model("supervision", "LetterNumberSequence")
    New = apps.get_model("cases", "NumberSequence")
    Old.objects.bulk_create(Old(year=row.year, last=row.last)
                            for row in New.objects.filter(series="letter"))
    New.objects.filter(series="letter").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("supervision", "0003_one_letter_per_case_and_rung"),
        ("cases", "0010_number_sequence"),
    ]

    operations = [
        migrations.RunPython(letters_into_series, series_into_letters),
        migrations.DeleteModel(name="LetterNumberSequence"),
    ]
