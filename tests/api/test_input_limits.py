"""What the API accepts (issue 13): text without control characters, JSON bodies declared
as JSON and not too large, attachments whose content is an allowed type and not too large;
and the download of an attachment, only for who may see the case."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import CONSULTATION

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000"
                    "000049454e44ae426082")


def _error(response, status, code=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def dispatched(new_case, users):
    from qinqing.cases import services

    case, _ = new_case()
    services.perform(case.number, "dispatch", users["dispatcher"], {"lead_unit": "990102-SCJG"})
    return case


# ------------------------------------------------------------------ control characters

@pytest.mark.parametrize("field, value", [
    ("title", "执照\x07办理"), ("content", "营业执照\x00办理超期"), ("content", "退格\x08"),
    ("enterprise_name", "某\x1b公司"), ("content", "C1 \x85 control"),
])
def test_control_characters_are_refused_with_the_field_named(api_client, field, value):
    from qinqing.cases.models import Case

    body = _error(api_client.post("/cases", {**CONSULTATION, field: value}, as_="intake"),
                  422, "invalid")
    assert field in body["fields"] and "控制字符" in body["fields"][field], body
    assert f"“{field}”" in body["fields"][field]
    assert Case.objects.count() == 0


def test_control_characters_in_nested_and_action_fields(api_client, dispatched):
    body = _error(api_client.post("/cases", {**CONSULTATION, "reporter": {
        "name": "张\x01三", "phone": "13812345678"}}, as_="intake"), 422, "invalid")
    assert "控制字符" in body["fields"]["reporter.name"]
    body = _error(api_client.post(f"/cases/{dispatched.number}/actions/edit",
                                  {"reason": "改", "fields": {"title": "新\x0c标题"}}), 422)
    assert "控制字符" in body["fields"]["fields"]
    body = _error(api_client.get("/cases", params={"text": "执照\x00"}), 422)
    assert "控制字符" in body["fields"]["text"]


def test_tabs_and_line_breaks_are_text(api_client):
    response = api_client.post("/cases", {**CONSULTATION, "content": "第一行\r\n第二行\t完"},
                               as_="intake")
    assert response.status_code == 201, response.content


# -------------------------------------------------------------------- body: size, type

def test_a_too_large_body_is_a_json_413(api_client, settings):
    from qinqing.cases.models import Case

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = _error(api_client.post("/cases", {**CONSULTATION, "content": "长" * 3000},
                                  as_="intake"), 413, "too_large")
    assert "过大" in body["message"]
    assert Case.objects.count() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/xml"])
def test_a_body_not_declared_json_is_a_415(api_client, tokens, content_type):
    from qinqing.cases.models import Case

    response = api_client.client.post(
        "/api/v1/cases", json.dumps(CONSULTATION), content_type=content_type,
        headers={"Authorization": f"Bearer {tokens['intake']}"})
    body = _error(response, 415, "unsupported_media_type")
    assert "JSON" in body["message"]
    assert Case.objects.count() == 0


def test_json_with_a_charset_is_json(api_client, tokens):
    response = api_client.client.post(
        "/api/v1/cases", json.dumps(CONSULTATION), content_type="application/json; charset=utf-8",
        headers={"Authorization": f"Bearer {tokens['intake']}"})
    assert response.status_code == 201, response.content


# ----------------------------------------------------------------- attachments: content

def _office(kind: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr({"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[kind], "<x/>")
    return out.getvalue()


@pytest.mark.parametrize("name, content, declared", [
    ("证明.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    ("photo.png", b"MZ\x90\x00" * 16, "image/png"),
    ("scan.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "application/pdf"),
    ("archive.docx", b"PK\x03\x04" + b"\x00" * 60, "application/vnd.openxmlformats-"
                                                   "officedocument.wordprocessingml.document"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "application/msword"),
    ("notes.txt", b"\x00\x01\x02binary\xff\xfe", "text/plain"),
])
def test_an_upload_is_judged_by_its_content(api_client, dispatched, media, name, content,
                                            declared):
    from qinqing.cases.models import Attachment

    response = api_client.upload(f"/cases/{dispatched.number}/attachments",
                                 SimpleUploadedFile(name, content, content_type=declared),
                                 as_="handler")
    body = _error(response, 422, "invalid")
    assert "file" in body["fields"]
    assert Attachment.objects.count() == 0


@pytest.mark.parametrize("name, content, declared, stored", [
    ("photo.png", PNG, "application/octet-stream", "image/png"),
    ("scan.pdf", PDF, "image/png", "application/pdf"),
    ("回复.docx", _office("docx"), "application/octet-stream",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("台账.xlsx", _office("xlsx"), "application/vnd.ms-excel",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("说明.txt", "整改说明：已办结。\r\n".encode("gb18030"), "text/plain", "text/plain"),
])
def test_an_allowed_content_is_stored_with_the_type_found(api_client, dispatched, media,
                                                          name, content, declared, stored):
    response = api_client.upload(f"/cases/{dispatched.number}/attachments",
                                 SimpleUploadedFile(name, content, content_type=declared),
                                 as_="handler")
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == stored


def test_an_oversized_upload_is_refused_before_its_body_is_read(api_client, dispatched, media,
                                                               settings, monkeypatch):
    from qinqing.cases import services
    from qinqing.cases.models import Attachment
    from qinqing.web.limits import ENVELOPE

    settings.QINQING_MAX_ATTACHMENT_BYTES = 1024
    read = []
    monkeypatch.setattr(services, "add_attachment", lambda *a: read.append(a))
    response = api_client.upload(f"/cases/{dispatched.number}/attachments",
                                 SimpleUploadedFile("big.pdf", PDF + b" " * (ENVELOPE + 2048),
                                                    content_type="application/pdf"),
                                 as_="handler")
    body = _error(response, 413, "too_large")
    assert "MB" in body["message"] and "file" in body["fields"]
    assert read == [] and Attachment.objects.count() == 0


# ------------------------------------------------------------------------- downloads

def _attach(api_client, case, name="整改证明.pdf", content=PDF):
    response = api_client.upload(f"/cases/{case.number}/attachments",
                                 SimpleUploadedFile(name, content, content_type="application/pdf"),
                                 as_="handler")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_who_may_see_the_case_downloads_its_attachment(api_client, dispatched, media):
    pk = _attach(api_client, dispatched)
    for login in ("handler", "dispatcher", "supervisor"):
        response = api_client.get(f"/cases/{dispatched.number}/attachments/{pk}", as_=login)
        assert response.status_code == 200, (login, response.content)
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment;")
        assert f"filename*=utf-8''{quote('整改证明.pdf')}" in disposition


def test_anyone_else_gets_the_same_404(api_client, dispatched, new_case, media):
    pk = _attach(api_client, dispatched)
    other, _ = new_case()
    hidden = api_client.get(f"/cases/{dispatched.number}/attachments/{pk}", as_="handler2")
    missing = api_client.get(f"/cases/{dispatched.number}/attachments/{pk + 1000}",
                             as_="handler")
    wrong_case = api_client.get(f"/cases/{other.number}/attachments/{pk}", as_="dispatcher")
    bodies = [_error(r, 404, "not_found") for r in (hidden, missing, wrong_case)]
    assert bodies[0] == bodies[1]
    assert api_client.get(f"/cases/{dispatched.number}/attachments/{pk}",
                          as_=None).status_code == 401
