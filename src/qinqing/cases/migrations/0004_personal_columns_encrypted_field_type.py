# The encrypted columns become EncryptedTextField (qinqing.crypto_fields), so
# `qinqing rotate-keys` finds them by type. The column stays TEXT holding the same
# Fernet tokens: state only, no SQL (SQLite would otherwise copy the whole table).

import qinqing.crypto_fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_query_code_hash_by_case_id'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='case',
                name='query_code_enc',
                field=qinqing.crypto_fields.EncryptedTextField(editable=False),
            ),
            migrations.AlterField(
                model_name='reporter',
                name='contact_enc',
                field=qinqing.crypto_fields.EncryptedTextField(blank=True),
            ),
            migrations.AlterField(
                model_name='reporter',
                name='enterprise_enc',
                field=qinqing.crypto_fields.EncryptedTextField(blank=True),
            ),
            migrations.AlterField(
                model_name='reporter',
                name='id_number_enc',
                field=qinqing.crypto_fields.EncryptedTextField(blank=True),
            ),
            migrations.AlterField(
                model_name='reporter',
                name='name_enc',
                field=qinqing.crypto_fields.EncryptedTextField(blank=True),
            ),
            migrations.AlterField(
                model_name='reporter',
                name='phone_enc',
                field=qinqing.crypto_fields.EncryptedTextField(blank=True),
            ),
        ]),
    ]
