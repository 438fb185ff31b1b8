"""qinqing.documents: PDFs in Chinese, or a clear refusal when the machine cannot make them."""

import pytest

from qinqing import documents
from tests.documents import pdf_page_count, pdf_text


def test_a_pdf_is_made_with_chinese_text(monkeypatch):
    documents.check_pdf_support()  # this machine has WeasyPrint and a CJK font (make test)
    monkeypatch.setattr(documents, "render_to_string", lambda name, ctx: (
        "<html><body style='font-family: \"%s\"'><h1>督办函</h1><p>第 7 号</p></body></html>"
        % ctx["cjk_families"][0]))
    pdf = documents.render_pdf("documents/base.html", {})
    assert pdf.startswith(b"%PDF")
    assert pdf_page_count(pdf) == 1
    assert "督办函" in pdf_text(pdf) and "第 7 号" in pdf_text(pdf)


def test_without_a_chinese_font_it_refuses_and_says_what_to_install(monkeypatch):
    monkeypatch.setattr(documents, "cjk_fonts", lambda: ())
    with pytest.raises(documents.DocumentUnavailable, match="fonts-noto-cjk"):
        documents.render_pdf("documents/base.html", {})


def test_the_base_template_names_the_chinese_fonts():
    from django.template.loader import render_to_string

    html = render_to_string("documents/base.html", {"cjk_families": documents.CJK_FAMILIES})
    assert '"Noto Sans CJK SC"' in html and "@page" in html
