# The encrypted columns become EncryptedTextField (qinqing.crypto_fields), so
# `qinqing rotate-keys` finds them by type. The column stays TEXT holding the same
# Fernet tokens: state only, no SQL (SQLite would otherwise copy the whole table).

import qinqing.crypto_fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='smsmessage',
                name='phone_enc',
                field=qinqing.crypto_fields.EncryptedTextField(),
            ),
        ]),
    ]
