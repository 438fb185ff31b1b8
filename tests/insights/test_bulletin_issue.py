"""Publishing a bulletin (issue 14 §3): a preview, then a confirmed publication that stores
the three files once (public downloads never render), numbered issues (第N期), and a PDF
laid out like an official bulletin (red header, issuing body, issue, date line)."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from django.test import Client, override_settings
from pypdf import PdfReader

from qinqing.insights import exports, services
from qinqing.insights.models import Bulletin, BulletinFile
from tests.documents import SCREENSHOTS, pdf_page_count, pdf_text, render_page_png
from tests.insights.conftest import FULL, at
from tests.insights.test_bulletins import JAN, TODAY, january  # noqa: F401  (fixture)

SHOTS = Path("/tmp/qinqing-bulletin-pdf")


@pytest.fixture
def analyst_client(user):
    client = Client()
    client.force_login(user("analyst"))
    return client


PERIOD = {"start": "2026-01-01", "end": "2026-01-31", "region": "990000"}


def test_publishing_needs_a_confirmation(january, analyst_client):
    bulletin_page = analyst_client.get("/insights/bulletin/", PERIOD).content.decode()
    form = re.search(r'<form method="(\w+)" action="/insights/bulletin/publish/"', bulletin_page)
    assert form and form.group(1) == "get"  # the bulletin page's button only asks

    preview = analyst_client.get("/insights/bulletin/publish/", PERIOD)
    html = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="confirm-publish"' in html
    assert "示范市优化营商环境监督专线" in html and "第1期" in html
    assert not Bulletin.objects.exists()
    # A POST without the confirmation (an old form, a replayed request) only previews too.
    assert analyst_client.post("/insights/bulletin/publish/", PERIOD).status_code == 200
    assert not Bulletin.objects.exists()

    done = analyst_client.post("/insights/bulletin/publish/", {**PERIOD, "confirm": "1"})
    bulletin = Bulletin.objects.get()
    assert done.status_code == 302 and done.url == f"/public/bulletins/{bulletin.pk}/"
    assert bulletin.published_by.username == "analyst" and bulletin.published_at
    # Publishing the period again: the preview says which bulletin is replaced.
    again = analyst_client.get("/insights/bulletin/publish/", PERIOD).content.decode()
    assert 'data-testid="replaces"' in again and "第2期" in again


def test_handlers_cannot_reach_the_preview(january, user):
    client = Client()
    client.force_login(user("handler"))
    assert client.get("/insights/bulletin/publish/", PERIOD).status_code == 403


def test_publishing_stores_the_three_files_and_downloads_never_render(
        january, user, monkeypatch):
    bulletin = services.publish_bulletin(user("analyst"), JAN.start, JAN.end, "990000",
                                         today=TODAY)
    stored = {f.fmt: f for f in BulletinFile.objects.filter(bulletin=bulletin)}
    assert set(stored) == {"pdf", "xlsx", "json"}
    assert bytes(stored["pdf"].content).startswith(b"%PDF")
    assert bytes(stored["xlsx"].content).startswith(b"PK")  # a zip: the Excel workbook

    def refuse(*args, **kwargs):
        raise AssertionError("a public download rendered the bulletin")

    monkeypatch.setattr(exports, "render", refuse)
    monkeypatch.setattr(exports, "to_pdf", refuse)
    client = Client()  # nobody signed in
    for fmt, content_type in (("pdf", "application/pdf"), ("json", "application/json"),
                              ("xlsx", "application/vnd.openxmlformats-officedocument."
                                       "spreadsheetml.sheet")):
        response = client.get(f"/public/bulletins/{bulletin.pk}.{fmt}")
        assert response.status_code == 200, fmt
        assert response["Content-Type"] == content_type
        assert response.content == bytes(stored[fmt].content)
    assert b'"number_text": "\xe7\xac\xac1\xe6\x9c\x9f"' in bytes(stored["json"].content)


def test_a_bulletin_published_before_files_were_stored_renders_once(january, user,
                                                                  monkeypatch):
    bulletin = services.publish_bulletin(user("analyst"), JAN.start, JAN.end, "990000",
                                         today=TODAY)
    BulletinFile.objects.filter(bulletin=bulletin).delete()
    client = Client()
    first = client.get(f"/public/bulletins/{bulletin.pk}.pdf")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    monkeypatch.setattr(exports, "render", lambda *a, **k: 1 / 0)
    assert client.get(f"/public/bulletins/{bulletin.pk}.pdf").content == first.content


def test_issues_are_numbered_per_year_in_publication_order(january, user, monkeypatch):
    from django.utils import timezone

    analyst = user("analyst")
    numbers = []
    for region in ("990000", "990102", "990000"):  # the third replaces the first
        numbers.append(services.publish_bulletin(analyst, JAN.start, JAN.end, region,
                                                 today=TODAY).issue_number)
    assert numbers == [1, 2, 3]
    year = timezone.localdate().year
    monkeypatch.setattr(timezone, "localdate",
                        lambda value=None: date(year + 1, 1, 2) if value is None
                        else date(year + 1, 1, 2))
    later = services.publish_bulletin(analyst, JAN.start, JAN.end, "990000", today=TODAY)
    assert (later.issue_year, later.issue_number) == (year + 1, 1)


@override_settings(QINQING_BULLETIN_ISSUER="临汾市优化营商环境监督专线")
def test_the_issuing_body_comes_from_the_setting(january, user):
    bulletin = services.publish_bulletin(user("analyst"), JAN.start, JAN.end, "990000",
                                         today=TODAY)
    assert bulletin.issuing_body == "临汾市优化营商环境监督专线"
    pdf = bytes(BulletinFile.objects.get(bulletin=bulletin, fmt="pdf").content)
    assert "临汾市优化营商环境监督专线" in pdf_text(pdf).replace(" ", "")


# --------------------------------------------------------------------------- the PDF

def _one_line(text: str) -> str:
    return re.sub(r"[ \t]+", "", text)


def test_the_pdf_reads_like_an_official_bulletin(january, user):
    from django.utils import timezone

    services.mark_typical(user("analyst"), january.number, title="执照办理超期",
                          summary="某企业反映执照办理超期，经督办已办结。" * 6)
    bulletin = services.publish_bulletin(user("analyst"), JAN.start, JAN.end, "990000",
                                         today=TODAY)
    pdf = bytes(BulletinFile.objects.get(bulletin=bulletin, fmt="pdf").content)
    text = pdf_text(pdf)
    lines = [_one_line(line) for line in text.splitlines()]
    assert "示范市优化营商环境监督专线" in lines[0] + lines[1]
    assert any(line == "工作简报" for line in lines[:4]), lines[:6]
    assert any(line == "第1期" for line in lines[:6]), lines[:6]
    issued = timezone.localdate(bulletin.published_at)
    date_line = f"{issued.year}年{issued.month}月{issued.day}日"
    assert any(line.endswith(date_line) for line in lines[:8]), lines[:8]
    for day in ("2026年1月1日", "2026年1月31日"):
        assert any(day in line for line in lines[:12]), day
    # No page ends up with only a few lines on it.
    SHOTS.mkdir(exist_ok=True)
    pages = pdf_page_count(pdf)
    for page in range(pages):  # to look at: /tmp/qinqing-bulletin-pdf/page*.png
        render_page_png(pdf, SHOTS / f"page{page + 1}.png", page=page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    render_page_png(pdf, SCREENSHOTS / "bulletin-pdf-page1.png")
    last = PdfReader(io.BytesIO(pdf)).pages[-1].extract_text()
    assert len([line for line in last.splitlines() if re.search(r"[\u4e00-\u9fff]", line)]) > 5


SPLIT_DATE = re.compile(r"(\d{4}年?|\d{4}年\d{1,2}月?)$")


@pytest.mark.parametrize("padding", range(0, 12, 2))
def test_the_title_never_cuts_a_date(demo_org, padding):
    """Region names of different lengths put the title's line break at different places:
    none of them inside a date."""
    from qinqing.insights import bulletins

    name = "示范市" + "某" * padding + "开发区"
    doc = bulletins.document(JAN, region_name=name)
    lines = [_one_line(line) for line in pdf_text(exports.to_pdf(doc)).splitlines()]
    title = lines[lines.index(next(x for x in lines if x.startswith(name + "营商"))):][:3]
    for line in title:
        assert not SPLIT_DATE.search(line) and not re.match(r"^\d{1,2}[月日]", line), title
