"""Seed the sanction types with the default list (Linfen's, domain.md §2).

Master data: an administrator renames, reorders, adds or retires types in the admin
afterwards; a type given in a record cannot be deleted, only made inactive.
"""

from django.db import migrations

# (code, name, group), in the order a bulletin lists them.
SANCTIONS = [
    ("serious-party-warning", "党内严重警告", "party"),
    ("party-warning", "党内警告", "party"),
    ("administrative-warning", "政务警告", "administrative"),
    ("administrative-demerit", "政务记过", "administrative"),
    ("admonishment-talk", "诫勉谈话", "organisational"),
    ("written-self-criticism", "书面检查", "organisational"),
    ("reminder-talk", "提醒谈话", "organisational"),
    ("criticism-education", "批评教育", "organisational"),
    ("police-referral", "移送公安机关", "referral"),
]


def seed(apps, schema_editor):
    SanctionType = apps.get_model("oversight", "SanctionType")
    for i, (code, name, group) in enumerate(SANCTIONS, start=1):
        SanctionType.objects.get_or_create(code=code, defaults={
            "name": name, "group": group, "sort_order": i * 10})


class Migration(migrations.Migration):
    dependencies = [("oversight", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
