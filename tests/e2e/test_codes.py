"""Supervision codes in a browser (issue 17 §1): the hall's sheet is printed from the
command line, a window's QR code is read back from the rendered page and opened on a
phone (390×844); a manager replaces the code, and the old one says it was withdrawn; a
forged code finds nothing."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp

from tests.documents import render_page_png
from tests.e2e.test_phone import no_horizontal_scroll
from tests.e2e.workbench import PHONE, SCREENSHOTS, check_page, expect, screenshot

pytestmark = pytest.mark.e2e

HALL = "990102-HALL"


def print_sheet(server, tmp_path) -> bytes:
    out = tmp_path / "hall.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "qinqing.cli", "codes", "sheet", "--unit", HALL,
         "--out", str(out), "--base-url", server.url],
        env=server.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def qr_codes(pdf: bytes, page: int) -> list[str]:
    image = pypdfium2.PdfDocument(pdf)[page].render(scale=3).to_pil()
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format.name == "QRCode"]


def test_a_printed_code_opens_on_a_phone_and_a_replaced_one_says_so(wb, server, tmp_path):
    pdf = print_sheet(server, tmp_path)
    assert pdf.startswith(b"%PDF")
    render_page_png(pdf, SCREENSHOTS / "codes-sheet.png", page=0, scale=1.2)
    render_page_png(pdf, SCREENSHOTS / "codes-card.png", page=1, scale=1.5)
    assert len(qr_codes(pdf, 0)) == 3  # the hall and its two windows
    [card] = qr_codes(pdf, 1)  # the first window's table card
    assert card.startswith(server.url + "/c/")
    path = urlsplit(card).path

    phone = wb.page(None, viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(path)
    expect(phone.get_by_test_id("code-object")).to_have_text("河阳区政务服务中心综合受理窗口")
    expect(phone.get_by_test_id("code-belongs")).to_have_text("河阳区政务服务中心")
    no_horizontal_scroll(phone)
    check_page(phone)
    screenshot(phone, "codes-scan-phone")
    with phone.expect_navigation():
        phone.get_by_test_id("code-complain").tap()
    expect(phone.get_by_role("combobox", name="涉及的单位或窗口")).to_have_value("河阳区政务服务中心综合受理窗口")

    manager = wb.page("supervisor")
    manager.goto(f"/codes/?unit={HALL}")
    row = manager.get_by_role("row").filter(has_text="综合受理窗口")
    token = path.rsplit("/", 1)[-1]
    expect(row.get_by_test_id("code-token")).to_have_text(token)
    check_page(manager)
    screenshot(manager, "codes-manage")
    row.get_by_text("停用或更换").click()
    row.get_by_label("理由").fill("码牌被复制张贴到大厅外")
    with manager.expect_navigation():
        row.get_by_role("button", name="更换为新码").click()
    expect(manager.locator(".messages")).to_contain_text("监督码已更换")
    expect(manager.get_by_role("row").filter(has_text="综合受理窗口")
           .get_by_test_id("code-token")).not_to_have_text(token)

    phone.goto(path)
    expect(phone.get_by_test_id("code-revoked")).to_contain_text("此监督码已停用")
    expect(phone.get_by_test_id("code-replacement")).to_contain_text(
        "河阳区政务服务中心综合受理窗口")
    no_horizontal_scroll(phone)
    check_page(phone)
    screenshot(phone, "codes-revoked-phone")

    forged = ("b" if token[0] == "a" else "a") + token[1:]
    answer = phone.goto(f"/c/{forged}")
    assert answer.status == 404
    expect(phone.get_by_test_id("code-unknown")).to_contain_text("没有这个监督码")
    no_horizontal_scroll(phone)
    check_page(phone)
    screenshot(phone, "codes-unknown-phone")
