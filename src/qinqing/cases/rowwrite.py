"""New rows written together: several INSERTs as one PostgreSQL statement.

Why this exists: an intake writes four new rows (the case, its reporter, its first stage
clock, its first timeline event) and takes the year's next case number. Through
`Model.save()` that is five statements plus BEGIN and COMMIT, with about half a
millisecond of ORM Python each (SQL compilation, signals, conversions) — most of an
intake's cost (docs/performance.md). Here each row's values still come from its fields
(what the ORM's INSERT sends: `pre_save` + `get_db_prep_save`, skipped only for plain
values those return unchanged), but the INSERTs travel as one statement of
data-modifying CTEs; the SQL text is built once per process and shape.

Limits, on purpose:
- New rows only, each with its primary key set where another row refers to it
  (`next_id`); other rows get theirs from the column default (not read back).
- `save()` overrides and model signals do not run: no `pre_save` (a receiver could
  change a row before it is written) and no `post_save` (`tests/cases/test_rowwrite.py`
  fails if either is connected to a model written here). Other apps react to a new case
  through the timeline's `case_changed` hook, which the intake sends before the statement
  and whose rows (the case's facts) the statement writes (qinqing.cases.timeline).
- Foreign keys are checked by PostgreSQL at the end of the transaction (Django declares
  them deferred), so rows of one statement may refer to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Model

# Values that get_db_prep_save hands back unchanged on PostgreSQL, by field type: for
# those the ORM's conversion is skipped (it costs more than the rest of the row). Types
# are compared exactly (a datetime is not a date here); a datetime passes only when
# aware. Anything else takes the ORM's path.
_SCALARS = frozenset({str, int, bool, type(None)})
_PLAIN_FIELDS = ((models.DateTimeField, _SCALARS | {datetime}),
                 (models.DateField, _SCALARS | {date}),
                 ((models.CharField, models.TextField, models.IntegerField,
                   models.BooleanField, models.ForeignKey), _SCALARS))


def _passes(field) -> frozenset | None:
    """The value types `field` takes as they are (None: every value is converted)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return None
    for types, values in _PLAIN_FIELDS:  # DateTimeField before its parent DateField
        if isinstance(field, types):
            return values
    return None


@dataclass(frozen=True)
class Expression:
    """SQL that computes a column's value in the statement (with its own parameters),
    e.g. a number taken from a row that an earlier part of the statement updated."""
    sql: str
    params: list


@cache
def _plan(model: type[Model], with_pk: bool) -> tuple:
    fields = tuple(f for f in model._meta.concrete_fields if with_pk or not f.primary_key)
    return tuple((f, f.attname, _passes(f)) for f in fields)


def _value(obj: Model, field, attname: str, passes: frozenset | None):
    # A new instance holds every field's value in its __dict__ (Model.__init__ sets them
    # all), so the attribute's descriptor need not be asked.
    value = obj.__dict__[attname]
    kind = type(value)
    if passes is not None and kind in passes and (kind is not datetime
                                                  or value.tzinfo is not None):
        return value
    # The connection itself, not django.db.connection: each attribute read through that
    # proxy looks up the thread's connection (a bulk load converts ~30,000 values a second).
    return field.get_db_prep_save(field.pre_save(obj, True), connections[DEFAULT_DB_ALIAS])


def insert_together(*objs: Model, before=(), overrides=None, returning=None):
    """INSERT every object in one statement (PostgreSQL), in the order given.

    before: (name, sql, params) parts that come first in the WITH list (an UPDATE …
    RETURNING, say), which `overrides` may read. overrides: {(obj, attname): Expression}
    for values the statement computes. returning: (obj, attname) — that column of that
    row is returned (and set on the object); otherwise nothing is returned."""
    assert connection.vendor == "postgresql", "data-modifying CTEs are PostgreSQL's"
    # By identity: a row without its primary key yet cannot be hashed.
    overrides = {(id(obj), attname): expr for (obj, attname), expr in (overrides or {}).items()}
    params, shape = [], []
    for _name, _sql, values in before:
        params.extend(values)
    back = None
    overridden = {key[0] for key in overrides}
    for i, obj in enumerate(objs):
        plan = _plan(type(obj), obj.pk is not None)
        computed = []
        if id(obj) in overridden:
            for field, attname, passes in plan:
                expression = overrides.get((id(obj), attname))
                if expression is not None:
                    computed.append((attname, expression.sql))
                    params.extend(expression.params)
                else:
                    params.append(_value(obj, field, attname, passes))
        else:
            params.extend([_value(obj, field, attname, passes)
                           for field, attname, passes in plan])
        if returning and returning[0] is obj:
            back = (i, obj, returning[1])
        shape.append((type(obj), obj.pk is not None, tuple(computed)))
    sql = _statement(tuple((name, sql) for name, sql, _values in before), tuple(shape),
                     (back[0], back[2]) if back else None)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        value = cursor.fetchone()[0]
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    if back:
        setattr(back[1], back[2], value)
        return value
    return None


@lru_cache(maxsize=64)  # an intake has one shape; bounded all the same
def _statement(before: tuple, shape: tuple, back: tuple | None) -> str:
    """The SQL of insert_together() for one shape of rows, built once per process (an
    intake's statement is the same every time; only its parameters change)."""
    quote = connection.ops.quote_name
    parts = [f"{name} AS ({sql})" for name, sql in before]
    for i, (model, with_pk, computed) in enumerate(shape):
        computed = dict(computed)
        cols, marks = [], []
        for field, attname, _plain in _plan(model, with_pk):
            cols.append(quote(field.column))
            marks.append(computed.get(attname, "%s"))
        ret = quote(model._meta.get_field(back[1]).column) if back and back[0] == i else "1"
        parts.append(f"w{i} AS (INSERT INTO {quote(model._meta.db_table)} ({', '.join(cols)}) "
                     f"VALUES ({', '.join(marks)}) RETURNING {ret})")
    final = f"SELECT (SELECT * FROM w{back[0]})" if back else "SELECT 1"
    return "WITH " + ", ".join(parts) + " " + final


def next_id(model: type[Model]) -> int:
    """A new primary key from the model's PostgreSQL sequence (not transactional)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))",
                       [model._meta.db_table, model._meta.pk.column])
        return cursor.fetchone()[0]
