"""Give every existing time-limit policy the default unit-review limit: 1 working day
(domain.md §5). The review stage is new: no site has chosen a limit for it yet.

0004 adds the column with this default, which the database uses to fill the existing
rows; the value is written here explicitly so that it does not depend on the model's
default (which a later migration may change) but on this decision, taken when the stage
was introduced.
"""

from django.db import migrations

DEFAULT_REVIEW_LIMIT = "1d"


def give_default(apps, schema_editor):
    TimeLimitPolicy = apps.get_model("cases", "TimeLimitPolicy")
    TimeLimitPolicy.objects.update(review_limit=DEFAULT_REVIEW_LIMIT)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_review_stage_and_limit")]
    operations = [migrations.RunPython(give_default, migrations.RunPython.noop)]
