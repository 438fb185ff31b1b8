from django.core.management.base import BaseCommand

from qinqing.cases.services import rotate_keys


class Command(BaseCommand):
    help = ("Re-encrypt every encrypted column of every app (each EncryptedTextField, found "
            "by field type) with the first key of QINQING_FIELD_KEYS; afterwards the older "
            "keys can be removed.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500,
                            help="rows per transaction (default 500)")

    def handle(self, *args, batch, **options):
        for label, count in rotate_keys(batch=max(1, batch)).items():
            self.stdout.write(f"{label}: re-encrypted {count} row(s)")
