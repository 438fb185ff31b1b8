from django.apps import apps
from django.core.management.base import BaseCommand

from qinqing.cases.services import rotate_reporter_keys


class Command(BaseCommand):
    help = ("Re-encrypt reporters' personal data (and every other app's: an app config with "
            "a rotate_personal_data() method) with the first key of QINQING_FIELD_KEYS; "
            "afterwards the older keys can be removed.")

    def handle(self, *args, **options):
        self.stdout.write(f"re-encrypted {rotate_reporter_keys()} reporter record(s)")
        for config in apps.get_app_configs():
            rotate = getattr(config, "rotate_personal_data", None)
            if callable(rotate):
                self.stdout.write(rotate())
