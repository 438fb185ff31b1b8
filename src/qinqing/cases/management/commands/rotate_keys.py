from django.core.management.base import BaseCommand

from qinqing.cases.services import rotate_reporter_keys


class Command(BaseCommand):
    help = ("Re-encrypt reporters' personal data with the first key of QINQING_FIELD_KEYS; "
            "afterwards the older keys can be removed.")

    def handle(self, *args, **options):
        self.stdout.write(f"re-encrypted {rotate_reporter_keys()} reporter record(s)")
