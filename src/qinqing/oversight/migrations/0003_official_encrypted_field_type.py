# The encrypted columns become EncryptedTextField (qinqing.crypto_fields), so
# `qinqing rotate-keys` finds them by type. The column stays TEXT holding the same
# Fernet tokens: state only, no SQL (SQLite would otherwise copy the whole table).

import qinqing.crypto_fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('oversight', '0002_seed_sanction_types'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='accountabilityrecord',
                name='name_enc',
                field=qinqing.crypto_fields.EncryptedTextField(editable=False),
            ),
            migrations.AlterField(
                model_name='accountabilityrecord',
                name='notes_enc',
                field=qinqing.crypto_fields.EncryptedTextField(blank=True, editable=False),
            ),
            migrations.AlterField(
                model_name='accountabilityrecord',
                name='position_enc',
                field=qinqing.crypto_fields.EncryptedTextField(blank=True, editable=False),
            ),
        ]),
    ]
