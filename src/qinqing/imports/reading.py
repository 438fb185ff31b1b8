"""Reading a history file as a stream of records: Excel (.xlsx) or JSON lines (.jsonl).

Each record is (row number as the person sees it, {column: value}). Nothing is kept
between records: an Excel sheet is read in openpyxl's read-only mode (it parses the
sheet's XML as it goes), a JSON lines file line by line, so a file of a million cases is
read in constant memory. The columns are documented in docs/import-cases.md; Excel
headers may be Chinese or English, JSON keys are the English names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from django.utils.translation import gettext as _

# Column → accepted headers (compared after normalising case, spaces, _ and -). The first
# Chinese header is the documented one.
COLUMNS = {
    "external_id": ("原工单编号", "外部编号", "原系统编号"),
    "kind": ("诉求类型", "类型"),
    "channel": ("来源渠道", "渠道"),
    "category": ("类别编码", "类别代码"),
    "region": ("区划代码", "区划编码"),
    "subject_unit": ("被反映单位编码",),
    "urgency": ("紧急程度",),
    "title": ("标题",),
    "content": ("诉求内容", "内容"),
    "enterprise_name": ("企业名称",),
    "reporter_name": ("反映人姓名", "反映人"),
    "reporter_phone": ("联系电话", "反映人电话"),
    "received_at": ("受理时间",),
    "dispatched_at": ("派单时间",),
    "lead_unit": ("主办单位编码",),
    "co_units": ("协办单位编码",),
    "dispatch_reason": ("派单说明",),
    "signed_at": ("签收时间",),
    "replied_at": ("答复时间",),
    "answer": ("答复内容",),
    "reviewed_at": ("审核时间",),
    "called_back_at": ("回访时间",),
    "satisfaction": ("满意度",),
    "callback_note": ("回访说明",),
    "closed_at": ("办结时间",),
    "outcome": ("办结方式",),
    "close_reason": ("办结说明",),
}
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in such sheets


class ImportFileError(Exception):
    """The file cannot be read as a history file at all (one line, for the command line)."""


def _norm(text: str) -> str:
    return "".join(ch for ch in str(text).strip().lower() if ch not in " _-\u3000")


_HEADERS = {_norm(h): name for name, headers in COLUMNS.items() for h in (name, *headers)}


def records(path: str | Path) -> Iterator[tuple[int, dict]]:
    """(row number, record) for every non-empty row of the file, in file order."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(_("%(path)s: no such file") % {"path": path})
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _xlsx(path)
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl(path)
    raise ImportFileError(_("%(path)s: give an Excel .xlsx or a JSON lines .jsonl file")
                          % {"path": path})


def _jsonl(path: Path) -> Iterator[tuple[int, dict]]:
    with path.open(encoding="utf-8-sig") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, {"_error": _("not valid JSON (%(reason)s)") % {"reason": exc.msg}}
                continue
            if not isinstance(record, dict):
                yield number, {"_error": _("each line must be one JSON object")}
                continue
            yield number, record


def _xlsx(path: Path) -> Iterator[tuple[int, dict]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own errors
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ImportFileError(_("%(path)s: not a readable Excel .xlsx workbook (%(reason)s)")
                              % {"path": path, "reason": reason}) from None
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        columns = None
        number = 0
        for number, line in enumerate(lines, start=1):
            found = {}
            for index, cell in enumerate(line):
                name = _HEADERS.get(_norm(cell)) if isinstance(cell, str) else None
                if name:
                    found[name] = index
            if "external_id" in found and "received_at" in found:
                columns = found
                break
            if number >= HEADER_SEARCH_ROWS:
                break
        if columns is None:
            raise ImportFileError(_("%(path)s: no header row with 原工单编号 and 受理时间 in the "
                                    "first %(n)s rows of the first sheet")
                                  % {"path": path, "n": HEADER_SEARCH_ROWS})
        for number, line in enumerate(lines, start=number + 1):
            if not any(cell not in (None, "") for cell in line):
                continue
            yield number, {name: line[index] for name, index in columns.items()
                           if index < len(line) and line[index] not in (None, "")}
    finally:
        workbook.close()
