from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class BackgroundConfig(AppConfig):
    name = "qinqing.background"
    verbose_name = _("Background work")


class TaskResultsConfig(TasksAppConfig):
    """django-tasks' database backend, named in Chinese in the admin (its own name,
    "Tasks Database Backend", is not translatable; its models' names are, in the shared
    catalogue src/qinqing/locale)."""

    verbose_name = _("Background job records")
