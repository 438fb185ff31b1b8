"""qinqing ratings export --from YYYY-MM-DD --to YYYY-MM-DD --out FILE.xlsx
[--reversed] [--full-phones]

The period's ratings in GB/T 39046's layout (ratings/export.py). --reversed writes the
level as interfaces numbering the other way read it (1 = 非常不满意); --full-phones writes
whole phone numbers instead of masked ones (for an upload that needs them; the file is
then personal data: keep it as such).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qinqing.ratings import export


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r}: give a date as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Ratings (好差评). `export`: a period's ratings in GB/T 39046's layout (.xlsx)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="export")
        out = sub.add_parser("export", help="a period's ratings in GB/T 39046's layout")
        out.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        out.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        out.add_argument("--out", required=True, help=".xlsx file to write")
        out.add_argument("--reversed", action="store_true",
                         help="level numbered 1 = 非常不满意 … 5 = 非常满意")
        out.add_argument("--full-phones", action="store_true",
                         help="whole phone numbers of the raters (default masked)")

    def handle(self, *args, action, **options):
        if action == "export":
            self.export(options)

    def export(self, options) -> None:
        try:
            span = export.period(_day(options["start"]), _day(options["end"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        path = Path(options["out"])
        if path.is_dir():
            raise CommandError(f"--out {path} is a folder; give a file name")
        if not path.parent.exists():
            raise CommandError(f"--out {path}: the folder {path.parent} does not exist")
        with path.open("wb") as out:
            count = export.write(out, span, reversed_levels=options["reversed"],
                                 full_phones=options["full_phones"])
        self.stdout.write(f"{count} ratings → {path}")
