# API tokens get an expiry and a record of their revocation. Tokens issued before get
# QINQING_TOKEN_DAYS from the migration (not from their issue), so no integration stops
# working on the day of the upgrade; revoked ones keep no revocation time (unknown).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def give_existing_tokens_a_term(apps, schema_editor):
    from datetime import timedelta

    from django.utils import timezone

    ApiToken = apps.get_model("cases", "ApiToken")
    expires = timezone.now() + timedelta(days=settings.QINQING_TOKEN_DAYS)
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=expires)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0004_personal_columns_encrypted_field_type'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(null=True, verbose_name='Expires'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='revoked_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='Revoked'),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='revoked_by',
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name='+', to=settings.AUTH_USER_MODEL,
                                    verbose_name='Revoked by'),
        ),
        migrations.RunPython(give_existing_tokens_a_term, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(verbose_name='Expires'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='Issued'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='is_active',
            field=models.BooleanField(default=True, verbose_name='Active'),
        ),
        migrations.AlterField(
            model_name='apitoken',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                    related_name='api_tokens', to=settings.AUTH_USER_MODEL,
                                    verbose_name='Account'),
        ),
    ]
