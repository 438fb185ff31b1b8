"""qinqing codes sheet --unit UNIT_CODE --out FILE.pdf [--base-url https://host]

Prints every supervision code of a hall or a region (its halls and windows, the enterprises
registered there) as one PDF, issuing the missing codes first. The address printed in the
QR codes is --base-url, or QINQING_PUBLIC_URL.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qinqing.codes import queries, services, sheets
from qinqing.documents import DocumentUnavailable
from qinqing.org.models import Unit


def _base_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise CommandError(f"--base-url {text!r}: give the site's public address, e.g. "
                           "https://qinqing.example.gov.cn")
    if not text.isascii():
        raise CommandError(f"--base-url {text!r}: use the ASCII (punycode) form of the host; "
                           "QR readers garble other text")
    return text.rstrip("/")


class Command(BaseCommand):
    help = "Supervision codes. `sheet`: print every code of a hall or a region as one PDF."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="sheet")
        sheet = sub.add_parser("sheet", help="print every code of a hall or a region (PDF), "
                                             "issuing the missing codes first")
        sheet.add_argument("--unit", required=True, help="code of the hall, region or unit")
        sheet.add_argument("--out", required=True, help="PDF file to write")
        sheet.add_argument("--base-url", default="", help="the site's public address "
                                                          "(default: QINQING_PUBLIC_URL)")

    def handle(self, *args, action, **options):
        if action == "sheet":
            self.sheet(options["unit"], options["out"], options["base_url"])

    def sheet(self, unit_code: str, out: str, base_url: str) -> None:
        base_url = base_url or settings.QINQING_PUBLIC_URL
        if not base_url:
            raise CommandError("give --base-url https://HOST (or set QINQING_PUBLIC_URL): "
                               "the address printed in the QR codes")
        base = _base_url(base_url)
        unit = Unit.objects.filter(code=unit_code.strip()).first()
        if unit is None:
            raise CommandError(f"--unit {unit_code!r}: no unit has this code")
        path = Path(out)
        if path.is_dir():
            raise CommandError(f"--out {out} is a folder; give a file name")
        if not path.parent.exists():
            raise CommandError(f"--out {out}: the folder {path.parent} does not exist")
        issued = services.issue_missing(queries.sheet(unit).objects(), by=None)
        sheet = queries.sheet(unit)
        printed = sum(1 for card in sheet.cards() if card.code)
        if not printed:
            raise CommandError(f"--unit {unit_code}: {unit.name} has no hall, window or "
                               "enterprise to print, and is not active itself")
        try:
            data = sheets.render(sheet, base)
        except DocumentUnavailable as exc:
            raise CommandError(str(exc)) from None
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise CommandError(f"--out {out}: cannot write ({exc.strerror})") from None
        self.stdout.write(f"{path}: {printed} codes of {unit.name} ({issued} newly issued, "
                          f"{len(data):,} bytes)")
