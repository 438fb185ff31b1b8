"""Excel and CSV downloads hold what people typed as text: no live formulas (issue 13),
and a control character stored before inputs refused it does not break the file."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client

from qinqing.insights import services
from tests.insights.conftest import FULL, at

JAN = {"start": "2026-01-01", "end": "2026-01-31", "region": "990000"}
FORMULA_TITLE = '=HYPERLINK("http://example.com/x","点我")'
FORMULA_SUMMARY = "+1+cmd|' /C calc'!A0 某企业反映执照办理超期，已督促办结。"


@pytest.fixture
def client_as(demo_org):
    from qinqing.org.models import User

    def make(username):
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    return make


def _typical_row(content: bytes):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[1]  # typical cases: the header, then one row each
    return [cell for cell in sheet[2]]


def _assert_text(cell, value):
    # A text cell, never a formula; with Excel's quote prefix, so an edit keeps it text.
    assert cell.data_type == "s", (cell.value, cell.data_type)
    assert cell.value == value and cell.quotePrefix


def test_a_formula_in_a_typical_case_is_text_in_staff_and_public_excel(drive, user,
                                                                       client_as):
    case = drive(at(2026, 1, 5, 10), steps=FULL)
    analyst = user("analyst")
    services.mark_typical(analyst, case.number, title=FORMULA_TITLE, summary=FORMULA_SUMMARY)

    staff = client_as("supervisor").get("/insights/bulletin/file.xlsx", JAN)
    assert staff.status_code == 200
    title, *_rest, summary = _typical_row(staff.content)
    _assert_text(title, FORMULA_TITLE)
    _assert_text(summary, FORMULA_SUMMARY)

    bulletin = services.publish_bulletin(analyst, date(2026, 1, 1), date(2026, 1, 31),
                                         "990000", today=date(2026, 3, 1))
    public = Client().get(f"/public/bulletins/{bulletin.pk}.xlsx")
    assert public.status_code == 200
    _assert_text(_typical_row(public.content)[0], FORMULA_TITLE)


def test_a_stored_control_character_does_not_break_the_excel(drive, user, client_as):
    from qinqing.insights.models import Bulletin, BulletinFile, TypicalCase

    case = drive(at(2026, 1, 5, 10), steps=FULL)
    analyst = user("analyst")
    services.mark_typical(analyst, case.number, title="执照办理超期",
                          summary="某企业反映执照办理超期，已督促办结。")
    bulletin = services.publish_bulletin(analyst, date(2026, 1, 1), date(2026, 1, 31),
                                         "990000", today=date(2026, 3, 1))
    # Stored before the inputs refused them (NUL is left out: PostgreSQL never stored it).
    TypicalCase.objects.filter(case=case).update(title="执照\x07办理\x1b超期")
    doc = bulletin.document
    doc["typical_cases"][0]["summary"] = "某企业\x0b反映\x08执照办理超期。"
    Bulletin.objects.filter(pk=bulletin.pk).update(document=doc)
    # A bulletin published before its files were stored at publication: its Excel is
    # rendered from the stored document on the first download.
    BulletinFile.objects.filter(bulletin=bulletin).delete()

    staff = client_as("supervisor").get("/insights/bulletin/file.xlsx", JAN)
    assert staff.status_code == 200
    assert _typical_row(staff.content)[0].value == "执照办理超期"
    public = Client().get(f"/public/bulletins/{bulletin.pk}.xlsx")
    assert public.status_code == 200
    assert _typical_row(public.content)[-1].value == "某企业反映执照办理超期。"


def test_the_typical_case_form_refuses_control_characters(drive, client_as):
    from qinqing.insights.models import TypicalCase

    case = drive(at(2026, 1, 5, 10), steps=FULL)
    refused = client_as("analyst").post(f"/insights/typical/{case.number}/", {
        "title": "执照\x07超期", "summary": "某企业执照超期，已办结。"})
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "“案例标题”含有控制字符" in html
    assert not TypicalCase.objects.filter(case=case).exists()


def test_open_data_csv_holds_no_formula(drive, user):
    from qinqing import refdata
    from qinqing.org.models import Unit

    drive(at(2026, 1, 5, 10), steps=FULL)
    Unit.objects.filter(code="990000").update(name="=cmd|' /C calc'!A0",
                                              short_name="=cmd|' /C calc'!A0")
    refdata.reset_all()
    services.publish_bulletin(user("analyst"), date(2026, 1, 1), date(2026, 1, 31), "990000",
                              today=date(2026, 3, 1))
    text = Client().get("/public/figures.csv").content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert cells and not any(cell.lstrip().startswith(("=", "+", "@")) for cell in cells)
    assert any(cell.startswith("'=cmd") for cell in cells)
