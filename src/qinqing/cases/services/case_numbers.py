"""Case numbers: QQ-<year>-<six digits>, the "case" series of the platform's gap-free
yearly numbering (qinqing.cases.numbering): a failed intake takes no number."""

from __future__ import annotations

from contextlib import nullcontext

from django.db import IntegrityError, connection, transaction

from qinqing.cases import numbering, rowwrite
from qinqing.cases.models import Case


def _insert_numbered(year: int, case: Case, dependents: list) -> str:
    """PostgreSQL: take the year's next number and write the case with it, and its
    dependent rows, in one statement; returns the number.

    The number comes from an UPDATE of the year's sequence row, which locks that row until
    the transaction ends; every intake needs that lock, so it is taken by the statement
    that also commits: outside a caller's transaction the statement is its own
    transaction (and needs no BEGIN or COMMIT round trip); inside one it runs within a
    savepoint. Gap-free: a statement that fails takes no number."""
    # (lpad would cut a seventh digit off: the case of a year's millionth case.)
    number = rowwrite.Expression(
        "(SELECT 'QQ-' || %s || '-' || CASE WHEN last < 1000000 THEN lpad(last::text, 6, '0') "
        "ELSE last::text END FROM n)", [str(year)])
    for attempt in range(2):
        numbering.ensure_row(numbering.CASE, year, known=attempt == 0)
        try:
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                return rowwrite.insert_together(
                    case, *dependents, before=[("n", numbering.take_sql(), [numbering.CASE, year])],
                    overrides={(case, "number"): number}, returning=(case, "number"))
        except IntegrityError as exc:
            # No sequence row (deleted since this process saw it: a database flushed in
            # tests) gives no number: create it and try again; anything else is real.
            diag = getattr(exc.__cause__, "diag", None)
            if attempt or getattr(diag, "column_name", None) != "number":
                raise
    raise AssertionError("unreachable")


def _format_number(year: int, last: int) -> str:
    return f"QQ-{year}-{last:06d}"


def _next_number(year: int) -> str:
    """The year's next case number (SQLite). One atomic statement, no read-then-write
    race; gap-free: a rolled-back intake rolls its increment back too."""
    return _format_number(year, numbering.next_value(numbering.CASE, year))
