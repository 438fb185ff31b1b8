"""A bulletin document (bulletins.document) as a file: JSON, Excel or PDF.

Rendering only: every number is the document's, which is the metrics module's.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from qinqing import xlsx
from qinqing.insights.bulletins import cn_date
from qinqing.insights.queries import issuing_body

FORMATS = ("json", "xlsx", "pdf")
CONTENT_TYPES = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def render(doc: dict, fmt: str, language: str = "zh-hans") -> bytes:
    if fmt == "json":
        return to_json(doc)
    with translation.override(language):
        if fmt == "xlsx":
            return to_xlsx(doc)
        if fmt == "pdf":
            return to_pdf(doc)
    raise ValueError(fmt)


def filename(doc: dict, fmt: str) -> str:
    scope = doc["scope"]
    return f"bulletin-{scope['region'] or 'all'}-{scope['start']}-{scope['end']}.{fmt}"


def to_json(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False).encode()


def _number(figure: dict):
    """The figure's value as a number for a spreadsheet cell (None stays empty)."""
    value = figure["value"]
    if value is None:
        return None
    return int(value) if figure["unit"] == "count" else float(Decimal(value))


def to_xlsx(doc: dict) -> bytes:
    # Every row through qinqing.xlsx.append: typical cases and titles are text people
    # typed, which must neither become a formula nor break the file.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = _("Figures")[:31]
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    scope = doc["scope"]
    xlsx.append(sheet, [doc["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    xlsx.append(sheet, [_("Region"), scope["region_name"], _("Period"),
                  f"{scope['start']} — {scope['end']}", _("Computed at"), doc["computed_at"]])
    xlsx.append(sheet, [_("Summary"), doc["summary"]])
    xlsx.append(sheet, [])
    header = [_("Figure"), pgettext("breakdown", "Group"), _("Value shown"), _("Exact value"), _("Numerator"),
              _("Denominator"), _("Formula"), _("Figure code"), _("Group key")]

    def table(caption: str, rows: list[tuple[str, str, dict]]) -> None:
        """(group label, group key, figure) rows under a caption; the group is empty for
        the scope's own figures."""
        xlsx.append(sheet, [caption])
        sheet.cell(sheet.max_row, 1).font = bold
        xlsx.append(sheet, header)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for group, key, figure in rows:
            xlsx.append(sheet, [figure["label"], group, figure["text"], _number(figure),
                          figure["numerator"], figure["denominator"], figure["formula"],
                          figure["name"], key])
            if figure["unit"] == "ratio":
                sheet.cell(sheet.max_row, 4).number_format = "0.0000%"
            sheet.cell(sheet.max_row, 7).alignment = wrap
        xlsx.append(sheet, [])

    table(_("Main figures"), [("", "", f) for f in doc["figures"]])
    table(_("Routed, by destination"), [(r["group"], r["key"], r) for r in doc["by_destination"]])
    table(_("Received, by kind"), [(r["group"], r["key"], r) for r in doc["by_kind"]])
    table(_("Received, by channel"), [(r["group"], r["key"], r) for r in doc["by_channel"]])
    table(_("Time limits by stage"), [("", "", f) for f in doc["stage_figures"]])
    table(_("By region"), [(row["label"], row["key"], f)
                           for row in doc["by_region"] for f in row["figures"]])
    if doc.get("accountability"):  # documents stored before accountability joined have none
        table(_("Accountability, by sanction"),
              [(r["group"], r["key"], r) for r in doc["by_sanction"]]
              + [("", "", doc["accountability"])])
    ratings = doc.get("ratings")  # documents stored before ratings joined have none
    if ratings:
        table(_("Ratings of services (好差评)"),
              [("", "", f) for f in ratings["by_level"] + ratings["figures"] + ratings["sms"]])
        xlsx.append(sheet, [_("Ratings of services (好差评)"), ratings["summary"]])
        sheet.cell(sheet.max_row, 2).alignment = wrap
        xlsx.append(sheet, [ratings["visits_note"]])
        xlsx.append(sheet, [])
    xlsx.append(sheet, [_("Notes on the figures")])
    sheet.cell(sheet.max_row, 1).font = bold
    for note in doc["notes"]:
        xlsx.append(sheet, [note])
    for column, width in zip(range(1, 10), (30, 16, 12, 14, 12, 12, 70, 26, 22)):
        sheet.column_dimensions[get_column_letter(column)].width = width

    cases = book.create_sheet(_("Typical cases")[:31])
    xlsx.append(cases, [_("Headline"), _("Kind"), _("Category"), _("Region"), _("Received on"),
                  _("State"), _("Summary")])
    for cell in cases[1]:
        cell.font = bold
    for case in doc["typical_cases"]:
        xlsx.append(cases, [case["title"], case["kind_label"], case["category"], case["region"],
                      case["received_on"], case["state_label"], case["summary"]])
        cases.cell(cases.max_row, 7).alignment = wrap
    for column, width in zip(range(1, 8), (30, 12, 18, 12, 12, 10, 80)):
        cases.column_dimensions[get_column_letter(column)].width = width
    if ratings:
        _dissatisfied_sheet(book, ratings["dissatisfied"], bold, wrap)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _dissatisfied_sheet(book, rows: list[dict], bold, wrap) -> None:
    """Each dissatisfied rating and what was done (no rater's name or phone: the section
    holds none)."""
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(_("Dissatisfied ratings")[:31])
    xlsx.append(sheet, [_("Date"), _("What was rated"), _("Unit answering"), _("Rating level"),
                        _("Reason for the bad rating"), _("Rectification case"),
                        _("What was done about it")])
    for cell in sheet[1]:
        cell.font = bold
    for row in rows:
        xlsx.append(sheet, [row["date"], row["rated"], row["answering_unit"],
                            row["level_label"], row["reason"], row["case_number"],
                            row["what_was_done"]])
        sheet.cell(sheet.max_row, 7).alignment = wrap
    for column, width in zip(range(1, 8), (12, 36, 24, 12, 24, 18, 60)):
        sheet.column_dimensions[get_column_letter(column)].width = width


def to_pdf(doc: dict) -> bytes:
    from qinqing.documents import render_pdf

    if "issue" not in doc:
        # A bulletin not (yet) published, or published before issues were numbered: the
        # red header still names the issuing body and the day, without a number.
        day = datetime.fromisoformat(doc["computed_at"]).date()
        doc = {**doc, "issue": {"body": issuing_body(), "number_text": "",
                                "date_text": cn_date(day)}}
    return render_pdf("insights/bulletin_pdf.html", {"doc": doc})
