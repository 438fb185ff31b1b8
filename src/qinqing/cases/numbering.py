"""Gap-free yearly numbering, one for the whole platform: case numbers (QQ-2026-000123)
and reminder-letter numbers (督办〔2026〕第12号) are series of one table, `NumberSequence`
(a row per series and year, holding the last number given out).

A number is taken by one UPDATE … RETURNING of its row, in the caller's transaction: the
row stays locked until that transaction ends, and a transaction that rolls back rolls its
increment back, so a year's numbers have no gaps and none is given twice. The first
number of a year creates the row (INSERT … ON CONFLICT DO NOTHING: two first takers
create it once).
"""

from __future__ import annotations

from django.db import connection, transaction

from qinqing.cases.models import NumberSequence

CASE = "case"
LETTER = "letter"


def _table() -> str:
    return NumberSequence._meta.db_table


def take_sql() -> str:
    """The statement that takes the next number of a series' year (parameters: series,
    year), for a caller that runs it inside a larger one (the PostgreSQL intake writes
    the case with its number in one statement)."""
    return (f"UPDATE {_table()} SET last = last + 1 WHERE series = %s AND year = %s "
            "RETURNING last")


def next_value(series: str, year: int) -> int:
    """The next number of `series` in `year`, within the caller's transaction."""
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(take_sql(), [series, year])
            row = cursor.fetchone()
        if row:
            return row[0]
        ensure_row(series, year, known=False)
    raise RuntimeError(f"could not take a number of {series} {year}")


def last_value(series: str, year: int) -> int:
    """The last number of `series` given out in `year` (0: none yet); a read, no lock."""
    return (NumberSequence.objects.filter(series=series, year=year)
            .values_list("last", flat=True).first()) or 0


# (series, year) whose row this process has seen committed (rows are never deleted in
# use), so that a taker does not write it again each time.
_rows_seen: set[tuple[str, int]] = set()


def ensure_row(series: str, year: int, *, known: bool = True) -> None:
    """Create the row of `series` in `year` unless it exists (`known`: trust this
    process's memory of having seen it; a test database flushed since forgets it)."""
    if known and (series, year) in _rows_seen:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table()} (series, year, last) VALUES (%s, %s, 0) "
                       "ON CONFLICT (series, year) DO NOTHING", [series, year])
    transaction.on_commit(lambda: _rows_seen.add((series, year)))  # not if rolled back
