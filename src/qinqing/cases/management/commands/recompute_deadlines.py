from django.core.management.base import BaseCommand

from qinqing.cases.services import recompute_provisional_deadlines


class Command(BaseCommand):
    help = "Recompute open provisional deadlines with the calendar now in force."

    def handle(self, *args, **options):
        self.stdout.write(f"recomputed {recompute_provisional_deadlines()} deadline(s)")
