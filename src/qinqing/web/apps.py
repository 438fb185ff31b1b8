from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WebConfig(AppConfig):
    name = "qinqing.web"
    label = "web"
    verbose_name = "Web"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from qinqing.web.middleware import mark_signed_in

        # No sender: Django sends post_migrate once per app *with models*, and this app has
        # none, so a handler tied to it never ran (found 2026-12-07: on a fresh install
        # the table was missing and public tracking answered 500).
        post_migrate.connect(_create_cache_table, dispatch_uid="qinqing-cache-table")
        user_logged_in.connect(mark_signed_in, dispatch_uid="qinqing-idle-session")


def _create_cache_table(using="default", **kwargs):
    # The database cache's table (settings: CACHES) is not a model, so no migration makes
    # it; `qinqing migrate` does, every time (createcachetable skips a table that exists).
    from django.conf import settings
    from django.core.management import call_command

    if any(cache["BACKEND"].endswith("DatabaseCache") for cache in settings.CACHES.values()):
        call_command("createcachetable", database=using, verbosity=0)
