"""Fixtures of the history-import tests: the demo city once for the package (with the
handlers tests/insights/lives.py drives live cases with), and writers of history files."""

from __future__ import annotations

import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.worlds import package_world

SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(scope="package")
def _city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.demo.city import build_demo_organisation
        from tests.insights.lives import setup_staff

        build_demo_organisation()
        setup_staff()

    yield from package_world(django_db_blocker, build)


@pytest.fixture
def city(_city, db):
    """The demo city shared by the package (each test in its own savepoint)."""


def write_xlsx(path, header: list[str], rows: list[list]) -> str:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["示范市12345热线历史工单"])  # a title row above the header, as is common
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return str(path)


def write_jsonl(path, records: list[dict]) -> str:
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    return str(path)


def run(path, *args) -> tuple[str, str, str | None]:
    """(stdout, stderr, the CommandError's message or None) of `qinqing import-cases`."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_cases", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), str(exc)
    return out.getvalue(), err.getvalue(), None


@pytest.fixture
def drive(city):
    """The same cases handled live: tests/insights/lives.py's driver."""
    from tests.insights.lives import Driver

    return Driver()
