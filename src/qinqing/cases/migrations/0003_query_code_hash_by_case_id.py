"""Query-code hashes cover the case's id instead of its number (cases/confidential.py).

Each case's code is kept encrypted (a retried intake returns it again), so every hash is
recomputed from it here; nothing is lost and every code a caller holds keeps working."""

from django.db import migrations


def rehash(apps, schema_editor):
    from qinqing.cases import confidential

    Case = apps.get_model("cases", "Case")
    batch = []
    for case in Case.objects.only("pk", "query_code_enc").iterator(chunk_size=2000):
        if not case.query_code_enc:
            continue
        case.query_code_hash = confidential.query_code_hash(
            case.pk, confidential.decrypt(case.query_code_enc))
        batch.append(case)
        if len(batch) == 2000:
            Case.objects.bulk_update(batch, ["query_code_hash"])
            batch = []
    if batch:
        Case.objects.bulk_update(batch, ["query_code_hash"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_seed_categories_and_policy")]
    operations = [migrations.RunPython(rehash, migrations.RunPython.noop, elidable=True)]
