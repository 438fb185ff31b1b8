"""Indexes on django-tasks-db's job table for what Qinqing reads there every tick: the
RUNNING jobs (recovery of dead workers' jobs) and old finished ones (pruning). Partial,
so they stay as small as the rows they serve (SQLite and PostgreSQL both support it)."""

from django.db import migrations

TABLE = "django_tasks_database_dbtaskresult"


class Migration(migrations.Migration):
    dependencies = [
        ("background", "0001_initial"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX qq_task_running ON {TABLE} (started_at) WHERE status = 'RUNNING'",
            "DROP INDEX qq_task_running"),
        migrations.RunSQL(
            f"CREATE INDEX qq_task_finished ON {TABLE} (finished_at) "
            f"WHERE status IN ('SUCCESSFUL', 'FAILED')",
            "DROP INDEX qq_task_finished"),
    ]
