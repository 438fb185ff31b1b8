"""The unit review stage (replied → reviewed) and its limit in the time-limit policy."""

import qinqing.cases.models.clocks
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0005_api_token_expiry_and_revocation'),
    ]

    operations = [
        migrations.AddField(
            model_name='timelimitpolicy',
            name='review_limit',
            field=models.CharField(default='1d', max_length=8, validators=[qinqing.cases.models.clocks.validate_limit], verbose_name='Unit review limit'),
        ),
        migrations.AlterField(
            model_name='stageclock',
            name='stage',
            field=models.CharField(choices=[('dispatch', 'Dispatch'), ('sign', 'Sign'), ('resolve', 'Resolve'), ('review', 'Unit review'), ('callback', 'Callback')], max_length=10, verbose_name='Stage'),
        ),
    ]
