"""qinqing bulletin --from 2026-01-01 --to 2026-06-30 [--region CODE] --format json|xlsx|pdf
--out FILE: a bulletin of any period and region, as a file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qinqing.documents import DocumentUnavailable
from qinqing.insights import bulletins, exports, queries
from qinqing.insights.metrics import InvalidScope, Scope, validate


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise CommandError(f"{option} {text!r}: give a date as YYYY-MM-DD, e.g. 2026-01-01") from None


class Command(BaseCommand):
    help = ("Write the bulletin of a period (local dates, both included) and a region (a city, "
            "county or zone code; default: the whole city) as JSON, Excel (.xlsx) or PDF. The "
            "figures are those of qinqing.insights.metrics, as of the end of the period "
            "(overdue now: as of now); the summary is in Chinese.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD",
                            help="first day of the period")
        parser.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD",
                            help="last day of the period")
        parser.add_argument("--region", default="", help="region code (default: the whole city)")
        parser.add_argument("--format", dest="fmt", required=True, choices=exports.FORMATS,
                            help="json, xlsx or pdf")
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"],
                            help="language of the labels and formulas (default zh-hans)")

    def handle(self, *args, start, end, region, fmt, out, language, **options):
        first, last = _day(start, "--from"), _day(end, "--to")
        if last < first:
            raise CommandError(f"--to {last} is before --from {first}")
        if not region:
            top = queries.top_region()
            if top is None:
                raise CommandError("no organisation has been set up yet (run `qinqing demo` or "
                                   "enter the units in the admin)")
            region = top.code
        scope = Scope(first, last, region=region)
        try:
            validate(scope)
        except InvalidScope as exc:
            raise CommandError("; ".join(f"--{'to' if k == 'end' else k} {v}"
                                         for k, v in exc.fields.items())) from None
        path = Path(out)
        if path.is_dir():
            raise CommandError(f"--out {out} is a folder; give a file name")
        if not path.parent.exists():
            raise CommandError(f"--out {out}: the folder {path.parent} does not exist")
        doc = bulletins.document(scope, region_name=queries.region_name(region),
                                 language=language)
        try:
            data = exports.render(doc, fmt, language)
        except DocumentUnavailable as exc:
            raise CommandError(str(exc)) from None
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"--out {out}: cannot write ({exc.strerror})") from None
        received = next(f for f in doc["figures"] if f["name"] == "received")
        self.stdout.write(f"{path}: {doc['title']} ({received['value']} matters, "
                          f"{len(data):,} bytes)")
