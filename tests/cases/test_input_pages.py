"""The case page and the intake form (issue 13): control characters refused next to the
field that has them, attachments downloaded only by who may see the case, an upload
too large refused before its body is read."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qinqing.cases.models import Attachment, State

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_move_with_a_control_character_is_refused_next_to_the_field(client_for, make_case):
    case = make_case("handling")
    response = client_for("handler").post(f"/cases/{case.number}/act/reply/",
                                          {"reply-answer": "已办结\x07。"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "“办理结果”含有控制字符" in html
    case.refresh_from_db()
    assert case.state == State.HANDLING


def test_the_intake_form_refuses_control_characters(client_for, demo_org):
    from qinqing.cases.models import Case

    response = client_for("intake").post("/intake/new/", {
        "phone": "13812345678", "name": "张三\x1b丰", "kind": "投诉", "category": "SPFW-01",
        "content": "申请食品经营许可已超过承诺时限仍未办结。", "channel": "hotline",
        "idempotency_key": "control-1"})
    assert response.status_code == 422
    assert "“来电人姓名”含有控制字符" in response.content.decode()
    assert not Case.objects.exists()


def _reply_with(client, case, evidence):
    return client.post(f"/cases/{case.number}/act/reply/",
                       {"reply-answer": "已督促窗口当日办结并致歉。", "reply-evidence": evidence})


def test_the_case_page_links_its_files_for_who_may_see_it(client_for, make_case, media):
    case = make_case("handling")
    handler = client_for("handler")
    evidence = SimpleUploadedFile("整改照片.pdf", PDF, content_type="application/pdf")
    assert _reply_with(handler, case, evidence).status_code == 302
    attachment = Attachment.objects.get(case=case)
    url = f"/cases/{case.number}/files/{attachment.pk}/"
    page = handler.get(f"/cases/{case.number}/").content.decode()
    assert f'href="{url}"' in page and 'data-testid="attachment-link"' in page

    for login in ("handler", "dispatcher", "leader"):
        response = client_for(login).get(url)
        assert response.status_code == 200, login
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert f"filename*=utf-8''{quote('整改照片.pdf')}" in response["Content-Disposition"]
        assert response["Content-Disposition"].startswith("attachment;")

    # Another unit's handler, a wrong case, a file that does not exist: the same 404.
    assert client_for("handler2").get(url).status_code == 404
    assert handler.get(f"/cases/{case.number}/files/{attachment.pk + 99}/").status_code == 404
    other = make_case("received")
    assert client_for("dispatcher").get(
        f"/cases/{other.number}/files/{attachment.pk}/").status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page


def test_a_fake_pdf_is_refused_on_the_page(client_for, make_case, media):
    case = make_case("handling")
    fake = SimpleUploadedFile("整改照片.pdf", b"<html><script>alert(1)</script>",
                              content_type="application/pdf")
    response = _reply_with(client_for("handler"), case, fake)
    assert response.status_code == 422
    assert "此文件的内容不属于其中任何一种" in response.content.decode()
    assert not Attachment.objects.exists()


def test_an_upload_too_large_gets_the_413_page(client_for, make_case, media, settings):
    from qinqing.web.limits import ENVELOPE

    settings.QINQING_MAX_ATTACHMENT_BYTES = 1024
    case = make_case("handling")
    big = SimpleUploadedFile("big.pdf", PDF + b" " * (ENVELOPE + 4096),
                             content_type="application/pdf")
    response = _reply_with(client_for("handler"), case, big)
    assert response.status_code == 413
    html = response.content.decode()
    assert 'data-testid="too-large"' in html and "文件过大" in html
    case.refresh_from_db()
    assert case.state == State.HANDLING and not Attachment.objects.exists()


def test_an_oversight_form_refuses_control_characters(client_for, demo_org):
    from qinqing.oversight.models import Campaign

    response = client_for("supervisor").post("/oversight/campaigns/new/",
                                             {"name": "十月\x00清零", "key": "k-control"})
    assert response.status_code == 422
    assert "“专项行动名称”含有控制字符" in response.content.decode()
    assert not Campaign.objects.exists()
