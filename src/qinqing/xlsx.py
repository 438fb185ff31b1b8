"""Every Excel file the platform writes goes through here (and every CSV, which people
open in Excel: `csv_cell`), for two dangers of text:

- Formula injection: openpyxl stores a string that starts with "=" as a formula, so a
  typical case titled "=HYPERLINK(...)" became a live formula in staff and public
  downloads. A string that Excel (or LibreOffice, or a CSV import of a copy) could take
  for a formula — starting with = + - @, also after leading tabs or line breaks — is
  written as a text cell with Excel's quote prefix, the same as typing ' before it: shown
  as written, and still text when someone edits the cell. Error-code lookalikes
  (#N/A, …) likewise stay text.
- Control characters: XML cannot hold most of them and openpyxl refused the whole file
  (the download answered 500, a published bulletin's Excel stayed broken). Inputs refuse
  them now (qinqing/text.py); anything stored before is stripped here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell

from qinqing.text import strip_control

FORMULA_START = ("=", "+", "-", "@")
_LEADING = "\t\r\n "


def is_formula_like(text: str) -> bool:
    return text.lstrip(_LEADING).startswith(FORMULA_START) or text.startswith(("\t", "\r"))


def safe_cell(value: Any) -> Any:
    """The value to put in a cell: text without control characters; anything else as is."""
    if isinstance(value, str):
        return strip_control(value)
    return value


def text_cell(sheet, text: str) -> Cell:
    """A cell that holds `text` as text, whatever it looks like."""
    cell = Cell(sheet, value=strip_control(text))
    if cell.data_type != "s":
        cell.data_type = "s"  # openpyxl took it for a formula ("=…") or an error ("#N/A")
    if is_formula_like(cell.value):
        cell.quotePrefix = True
    return cell


def append(sheet, values: Iterable[Any]) -> None:
    """sheet.append for untrusted values: every string through `text_cell`."""
    sheet.append([text_cell(sheet, v) if isinstance(v, str) else v for v in values])


# --------------------------------------------------------------- CSV opened in Excel

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?%?")


def csv_cell(value: Any) -> Any:
    """A value for a CSV file that people open in Excel: a CSV cell has no text type, so
    text Excel would evaluate gets the ' prefix (OWASP's advice); a plain number such as
    -3.5 stays a number. Control characters are stripped as in the Excel writers."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = strip_control(str(value))
    if is_formula_like(text) and not _NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text
