"""qinqing rollup --check | --rebuild: the figures' fact table against the case tables."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from qinqing.insights import facts


class Command(BaseCommand):
    help = ("The figures are counted from a fact table kept up to date in the same transaction "
            "as every case change. --check compares it with what the case tables say now and "
            "lists the cases that differ (exit status 1 if any); --rebuild rewrites it for "
            "every case (after a bulk load or SQL written behind the services' back, or when "
            "the working calendar of past days was corrected).")

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true", help="compare; change nothing")
        group.add_argument("--rebuild", action="store_true", help="rewrite every case's facts")
        parser.add_argument("--batch", type=int, default=2000,
                            help="cases per transaction (default 2000)")

    def handle(self, *args, check, rebuild, batch, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        if rebuild:
            done = facts.rebuild(batch=batch, progress=lambda n: self.stderr.write(
                f"\r{n} cases", ending=""))
            self.stderr.write("")
            self.stdout.write(f"facts rebuilt for {done} cases")
            return
        wrong = facts.differences(batch=batch)
        if wrong:
            shown = ", ".join(str(pk) for pk in wrong[:20])
            more = f" and {len(wrong) - 20} more" if len(wrong) > 20 else ""
            raise CommandError(f"{len(wrong)} case(s) whose facts differ from their rows "
                               f"(ids {shown}{more}); run `qinqing rollup --rebuild`")
        self.stdout.write("facts agree with the case tables")
