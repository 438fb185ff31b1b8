"""Importing the assignment catalogue (派单目录) from an Excel workbook.

A city keeps its catalogue as a spreadsheet compiled from the departments' lists of
powers and duties. One row per (category, region):

    类别编码 | 区划代码 | 主办单位编码 | 协办单位编码 | 依据
    SPFW     |          | 990000-D25   |              | 市行政审批服务管理局“三定”方案
    ZFJG     | 990102   | 990102-SCJG  | 990000-D07   | …

English headers (category, region, lead_unit, co_units, basis) are accepted too. An
empty region means "any region without a rule of its own". Co-unit codes are separated
by , ， 、 or ;.

The three steps are separate functions so the command can print every problem before
anything is written: `read_rules(path)` parses (and raises ImportFileError for a file
that cannot be read at all), `validate(rows)` returns every problem found, with its row
number, and `import_assignment_rules(rows)` writes, all or nothing. Rules the file does
not mention are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from qinqing.cases.models import AssignmentRule, Category
from qinqing.org.models import REGION_KINDS, Unit

# Column → accepted headers, compared after normalising (case, spaces, _ and -).
COLUMNS = {
    "category": ("类别编码", "类别代码", "category", "category code", "category_code"),
    "region": ("区划代码", "区划编码", "region", "region code", "region_code"),
    "lead_unit": ("主办单位编码", "主办单位代码", "lead unit", "lead_unit", "lead unit code",
                  "lead_unit_code", "lead"),
    "co_units": ("协办单位编码", "协办单位代码", "co units", "co-units", "co_units",
                 "co unit codes", "co-unit codes", "co_unit_codes"),
    "basis": ("依据", "basis"),
}
REQUIRED_COLUMNS = ("category", "region", "lead_unit")
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in such sheets
_CO_UNIT_SEPARATORS = re.compile(r"[,，、;；\s]+")


class ImportFileError(Exception):
    """The file cannot be read as a catalogue at all (one line, for the command line)."""


class InvalidCatalogue(Exception):
    """Rows failed validation; `errors` lists each problem with its row number."""

    def __init__(self, errors: list[str]):
        super().__init__(f"{len(errors)} problem(s) in the catalogue")
        self.errors = errors


@dataclass(frozen=True)
class RuleRow:
    row: int  # row number as the spreadsheet shows it
    category: str
    region: str = ""  # empty: any region
    lead_unit: str = ""
    co_units: tuple[str, ...] = field(default_factory=tuple)
    basis: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.category.upper(), self.region)


# ------------------------------------------------------------------------- reading

def read_rules(path: str | Path) -> list[RuleRow]:
    """The rule rows of the first sheet that has the catalogue's header row.

    Raises ImportFileError for a missing, non-xlsx or corrupt file, a sheet without the
    required header columns, or a sheet without any rule row.
    """
    from openpyxl import load_workbook

    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own errors
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ImportFileError(
            f"{path}: not a readable Excel .xlsx workbook ({reason})") from None
    try:
        return _rows_of(workbook, path)
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet found only while reading it
        raise ImportFileError(f"{path}: the workbook is damaged ({type(exc).__name__}: "
                              f"{str(exc).strip()[:120]})") from None
    finally:
        workbook.close()


def _rows_of(workbook, path: Path) -> list[RuleRow]:
    missing_report = None
    for sheet in workbook.worksheets:
        lines = list(sheet.iter_rows(values_only=True))
        if not any(_has_values(line) for line in lines):
            continue
        header_at, columns = _find_header(lines)
        if header_at is None:
            if missing_report is None:
                missing_report = f"sheet {sheet.title!r}: {columns}"
            continue
        rows = []
        for offset, line in enumerate(lines[header_at + 1:], start=header_at + 2):
            if not _has_values(line):
                continue
            value = {name: _cell(line, index) for name, index in columns.items()}
            rows.append(RuleRow(
                row=offset, category=value.get("category", "").upper(),
                region=value.get("region", ""), lead_unit=value.get("lead_unit", ""),
                co_units=_split_codes(value.get("co_units", "")),
                basis=value.get("basis", "")))
        if not rows:
            raise ImportFileError(f"{path}: sheet {sheet.title!r} has a header row but no rules")
        return rows
    if missing_report:
        raise ImportFileError(f"{path}: {missing_report}")
    raise ImportFileError(f"{path}: the workbook is empty")


def _find_header(lines) -> tuple[int | None, dict[str, int] | str]:
    wanted = {_norm(h): name for name, headers in COLUMNS.items() for h in headers}
    first_filled = None
    for index, line in enumerate(lines[:HEADER_SEARCH_ROWS]):
        if not _has_values(line):
            continue
        found: dict[str, int] = {}
        for position, cell in enumerate(line):
            name = wanted.get(_norm(_text(cell)))
            if name and name not in found:
                found[name] = position
        if all(name in found for name in REQUIRED_COLUMNS):
            return index, found
        if first_filled is None:
            first_filled = found
    missing = [COLUMNS[name][0] + f" ({name})" for name in REQUIRED_COLUMNS
               if name not in (first_filled or {})]
    return None, "missing header column(s): " + ", ".join(missing)


def _norm(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).lower()


def _has_values(line) -> bool:
    return any(_text(cell) for cell in (line or ()))


def _cell(line, index: int) -> str:
    return _text(line[index]) if index < len(line) else ""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a division code typed as a number: 990102.0
    return str(value).strip()


def _split_codes(text: str) -> tuple[str, ...]:
    codes = []
    for code in _CO_UNIT_SEPARATORS.split(text):
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


# ---------------------------------------------------------------------- validating

@dataclass
class _Resolved:
    row: RuleRow
    category: Category
    region: Unit | None
    lead_unit: Unit
    co_units: list[Unit]


def validate(rows: list[RuleRow]) -> list[str]:
    """Every problem in the rows, one line each naming its row; empty when all is well."""
    return _resolve(rows)[0]


def _resolve(rows: list[RuleRow]) -> tuple[list[str], list[_Resolved]]:
    errors: list[str] = []
    if not rows:
        return ["the file has no rules"], []
    # Category codes are matched ignoring case (read_rules upper-cases the file's);
    # unit codes exactly. The category tree is small: read it whole.
    categories = {c.code.upper(): c for c in Category.objects.all()}
    unit_codes = {r.region for r in rows} | {r.lead_unit for r in rows}
    unit_codes |= {code for r in rows for code in r.co_units}
    units = Unit.objects.in_bulk([c for c in unit_codes if c], field_name="code")
    seen: dict[tuple[str, str], int] = {}
    resolved: list[_Resolved] = []
    for row in rows:
        problems: list[str] = []
        category = categories.get(row.category.upper())
        if not row.category:
            problems.append("category code is missing")
        elif category is None:
            problems.append(f"unknown category code {row.category!r}")
        elif not category.is_active:
            problems.append(f"category {row.category!r} is no longer active")
        region = None
        if row.region:
            region = units.get(row.region)
            if region is None:
                problems.append(f"unknown region code {row.region!r}")
            elif region.kind not in REGION_KINDS:
                problems.append(f"{row.region!r} ({region.name}) is not a region: use the code of "
                                "the city, a county or a development zone")
            elif not region.is_active:
                problems.append(f"region {row.region!r} is no longer active")
        lead = None
        if not row.lead_unit:
            problems.append("lead unit code is missing")
        else:
            lead = _usable_unit(units, row.lead_unit, "lead unit", problems)
        co_units = []
        for code in row.co_units:
            unit = _usable_unit(units, code, "co-unit", problems)
            if unit is not None and code == row.lead_unit:
                problems.append(f"co-unit {code!r} is also the lead unit")
            elif unit is not None:
                co_units.append(unit)
        if len(row.basis) > AssignmentRule._meta.get_field("basis").max_length:
            problems.append("basis is longer than 200 characters")
        if row.category:
            earlier = seen.get(row.key)
            if earlier is not None:
                where = f"region {row.region}" if row.region else "any region"
                problems.append(f"duplicate of row {earlier} (category {row.category}, {where})")
            else:
                seen[row.key] = row.row
        errors.extend(f"row {row.row}: {problem}" for problem in problems)
        if not problems:
            resolved.append(_Resolved(row, category, region, lead, co_units))
    return errors, resolved


def _usable_unit(units: dict, code: str, what: str, problems: list[str]) -> Unit | None:
    unit = units.get(code)
    if unit is None:
        problems.append(f"unknown {what} code {code!r}")
        return None
    if not unit.is_active:
        problems.append(f"{what} {code!r} ({unit.name}) is no longer active")
        return None
    return unit


# ------------------------------------------------------------------------- writing

def import_assignment_rules(rows: list[RuleRow], *, dry_run: bool = False) -> dict[str, int]:
    """The service for importing the assignment catalogue: all rows, or nothing.

    Validates first and raises InvalidCatalogue with every problem. Then, in one
    transaction, for each (category, region): a rule identical to the active one (same
    lead unit, co-units and basis) is left alone; otherwise the active rule, if any, is
    deactivated and kept as history (is_active=False) and the new one created. Returns
    {"created", "replaced", "unchanged"}; with dry_run the counts are worked out and
    nothing is written.
    """
    errors, resolved = _resolve(rows)
    if errors:
        raise InvalidCatalogue(errors)
    counts = {"created": 0, "replaced": 0, "unchanged": 0}
    with transaction.atomic():
        active = {(r.category_id, r.region_id): r for r in AssignmentRule.objects
                  .select_for_update().filter(is_active=True).prefetch_related("co_units")}
        for item in resolved:
            current = active.get((item.category.pk, item.region.pk if item.region else None))
            if current is not None and _same(current, item):
                counts["unchanged"] += 1
                continue
            counts["replaced" if current is not None else "created"] += 1
            if dry_run:
                continue
            if current is not None:
                current.is_active = False
                current.save(update_fields=["is_active"])
            rule = AssignmentRule.objects.create(category=item.category, region=item.region,
                                                 lead_unit=item.lead_unit, basis=item.row.basis)
            rule.co_units.set(item.co_units)
    return counts


def _same(rule: AssignmentRule, item: _Resolved) -> bool:
    return (rule.lead_unit_id == item.lead_unit.pk and rule.basis == item.row.basis
            and {u.pk for u in rule.co_units.all()} == {u.pk for u in item.co_units})


# The three steps under the names the command and the tests use.
apply = import_assignment_rules
