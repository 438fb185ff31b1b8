"""`qinqing deadline --start "2024-09-30 10:00" --limit 3d`: check the calendar from a shell."""

from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from qinqing.worktime.calendar import compute_deadline
from qinqing.worktime.limits import LimitFormatError, parse_limit
from qinqing.worktime.queries import current_calendar, missing_year_warning

START_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def parse_start(text: str) -> datetime:
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) < len("2024-09-30 10:00"):
        raise CommandError(
            f"start time {text!r} is not a date and time: write it as \"YYYY-MM-DD HH:MM\", "
            "e.g. \"2024-09-30 10:00\" (Beijing time)"
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


class Command(BaseCommand):
    help = "Print the deadline of a time limit counted from a start time, by the working calendar."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True,
                            help='start time, "YYYY-MM-DD HH:MM" in Beijing time (or ISO 8601 with offset)')
        parser.add_argument("--limit", required=True,
                            help="3d = working days, 2h = working hours, 24n = natural hours")

    def handle(self, *args, start: str, limit: str, **options):
        try:
            parsed_limit = parse_limit(limit)
        except LimitFormatError as exc:
            raise CommandError(str(exc)) from None
        result = compute_deadline(current_calendar(), parse_start(start), parsed_limit)
        self.stdout.write(result.due.isoformat())
        if result.provisional:
            for year in result.assumed_years:
                self.stderr.write(
                    f"provisional: no holiday data for {year}; Monday-Friday assumed. "
                    f"{missing_year_warning(year)}"
                )
