from django.core.management.base import BaseCommand, CommandError

from qinqing.cases.timeline import broken_chains


class Command(BaseCommand):
    help = "Check every case's timeline hash chain; name each case whose history was altered."

    def handle(self, *args, **options):
        broken = 0
        for number, seq, problem in broken_chains():
            broken += 1
            self.stdout.write(f"{number}: event {seq}: {problem}")
        if broken:
            raise CommandError(f"{broken} case(s) with an altered timeline")
        self.stdout.write("ledger intact: every timeline chain verifies")
