"""Files a person sends with a matter: checked by content, size, count and total before
anything is stored; stored with the case, in its transaction, as sent by the reporter;
read only by staff who may see the case, never by the public."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qinqing.cases.models import Attachment, Case, CaseEvent
from qinqing.portal.models import PhoneChallenge

pytestmark = pytest.mark.django_db

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwAB"
                       "BAEAwS2OUAAAAABJRU5ErkJggg==")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64  # a PE header


def png(name="现场照片.png", body=PNG):
    return SimpleUploadedFile(name, body, content_type="image/png")


def matter(**overrides) -> dict:
    return {"kind": "complaint", "category": "SPFW-01", "title": "",
            "content": "营业执照变更网上办理三次被退回，每次理由不同。", "region": "",
            "subject_unit": "", "enterprise_name": "", "enterprise_code": "",
            "anonymous": "on", "name": "", "phone": "", "sms_code": "",
            "token": uuid.uuid4().hex, "action": "submit", **overrides}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def number_of(answer) -> str:
    return re.search(r'data-testid="case-number">([^<]+)<', answer.content.decode())[1]


def query_code_of(answer) -> str:
    shown = re.search(r'data-testid="query-code">(.*?)</dd>', answer.content.decode())[1]
    return "".join(re.findall(r"<span>([^<]+)</span>", shown))


def test_the_form_takes_files_on_a_phone(client, demo_org):
    page = client.get("/submit/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    tag = re.search(r'<input type="file"[^>]*>', page)[0]
    assert 'name="attachments"' in tag and "multiple" in tag and 'accept=".pdf,' in tag
    # For the script that checks the count and sizes before sending (portal/files.js).
    assert f'data-max-files="3" data-max-bytes="{5 << 20}" data-max-total="{10 << 20}"' in tag
    assert "portal/files.js" in page
    assert "最多 3 个照片或文档" in page and "不会公开" in page


def test_files_are_stored_with_the_case_as_sent_by_the_reporter(client, demo_org, media):
    pdf = SimpleUploadedFile("受理回执.pdf", PDF, content_type="application/pdf")
    answer = client.post("/submit/", {**matter(), "attachments": [png(), pdf]})
    assert answer.status_code == 200, answer.content.decode()
    case = Case.objects.get(number=number_of(answer))
    files = list(case.attachments.order_by("pk"))
    assert [(f.name, f.content_type, f.size, f.uploaded_by) for f in files] == [
        ("现场照片.png", "image/png", len(PNG), None),
        ("受理回执.pdf", "application/pdf", len(PDF), None)]
    # Stored under names of our own, inside the media folder, with the bytes sent.
    assert sorted(p.suffix for p in stored_files(media)) == [".pdf", ".png"]
    assert files[0].file.read() == PNG
    events = list(CaseEvent.objects.filter(case=case, action="attach").order_by("seq"))
    assert [(e.actor_id, e.data["by"], e.data["name"]) for e in events] == [
        (None, "reporter", "现场照片.png"), (None, "reporter", "受理回执.pdf")]


def test_a_retry_of_the_same_form_stores_no_file_twice(client, demo_org, media):
    fields = matter()
    first = client.post("/submit/", {**fields, "attachments": [png()]})
    again = client.post("/submit/", {**fields, "attachments": [png()]})
    assert number_of(first) == number_of(again)
    assert Case.objects.count() == 1 and Attachment.objects.count() == 1
    assert len(stored_files(media)) == 1
    assert CaseEvent.objects.filter(action="attach").count() == 1


@pytest.mark.parametrize("files, limits, words", [
    ([SimpleUploadedFile("发票.jpg", EXE, content_type="image/jpeg")], {}, "“发票.jpg”：仅接受 PDF"),
    ([SimpleUploadedFile("空.png", b"", content_type="image/png")], {}, "“空.png”：文件为空"),
    ([png("大图.png", PNG + b"\0" * 2048)], {"QINQING_PORTAL_MAX_FILE_BYTES": 2048},
     "“大图.png”：文件不能超过 2 KB"),
    ([png(f"{i}.png") for i in range(4)], {}, "最多可附 3 个文件，您选择了 4 个"),
    ([png("a.png", PNG + b"\0" * 900), png("b.png", PNG + b"\0" * 900)],
     {"QINQING_PORTAL_MAX_TOTAL_BYTES": 1500}, "最多只能提交 1.5\xa0KB"),
])
def test_one_bad_file_refuses_the_whole_form_and_creates_nothing(
        client, demo_org, media, settings, files, limits, words):
    for name, value in limits.items():
        setattr(settings, name, value)
    answer = client.post("/submit/", {**matter(), "attachments": files})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert words in page, page
    # Nothing created, nothing stored; what was typed is kept, and the page says the
    # files must be chosen again.
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0
    assert stored_files(media) == []
    assert "营业执照变更网上办理三次被退回" in page
    assert "请在提交前重新选择" in page


def test_a_bad_file_does_not_spend_the_sms_code(client, demo_org, media):
    named = {"anonymous": "", "name": "张三丰", "phone": "13812345678"}
    client.post("/submit/", matter(**named, action="send_code"))
    from qinqing.notifications.models import SmsMessage

    code = re.search(r"\d{6}", SmsMessage.objects.latest("pk").text)[0]
    bad = SimpleUploadedFile("脚本.pdf", b"<script>alert(1)</script>", content_type="application/pdf")
    refused = client.post("/submit/", {**matter(**named, sms_code=code), "attachments": [bad]})
    assert refused.status_code == 400 and Case.objects.count() == 0
    assert PhoneChallenge.objects.get().used_at is None
    filed = client.post("/submit/", {**matter(**named, sms_code=code), "attachments": [png()]})
    assert filed.status_code == 200 and Attachment.objects.count() == 1


def test_files_sent_with_the_sms_code_request_must_be_chosen_again(client, demo_org):
    named = {"anonymous": "", "name": "张三丰", "phone": "13812345678"}
    page = client.post("/submit/", {**matter(**named, action="send_code"),
                                    "attachments": [png()]}).content.decode()
    assert "138****5678" in page and 'data-testid="files-dropped"' in page
    assert 'data-testid="files-dropped"' not in client.get("/submit/").content.decode()


def test_the_hall_window_and_the_mailbox_take_files_too(client, demo_org, media):
    window = client.post("/cannot-do/990102-HALL/", {
        **matter(subject_unit="990102-W02"), "attachments": [png()]})
    assert window.status_code == 200
    assert Case.objects.get(number=number_of(window)).attachments.count() == 1
    letter = client.post("/mailbox/", {
        **matter(kind="suggestion", title="建议周六开放综合窗口"), "attachments": [png()]})
    assert letter.status_code == 200, letter.content.decode()
    assert Case.objects.get(number=number_of(letter)).attachments.count() == 1


def test_no_files_asked_when_the_limit_is_zero(client, demo_org, settings):
    settings.QINQING_PORTAL_MAX_FILES = 0
    assert 'type="file"' not in client.get("/submit/").content.decode()
    answer = client.post("/submit/", {**matter(), "attachments": [png()]})
    assert answer.status_code == 200 and Attachment.objects.count() == 0


def login(username: str) -> Client:
    from qinqing.org.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_a_reports_files_follow_the_cases_protection_and_never_go_public(client, users, media):
    """A report of misconduct about 河阳区市场监督管理局: its files are read by the hotline
    and the discipline commission, never by the unit reported, nor by the public."""
    answer = client.post("/submit/", {
        **matter(kind="report", subject_unit="河阳区市场监督管理局",
                 content="窗口工作人员暗示要好处费才给办理。"),
        "attachments": [png("录音截图.png")]})
    assert answer.status_code == 200, answer.content.decode()
    case = Case.objects.get(number=number_of(answer))
    assert case.subject_unit.code == "990102-SCJG"
    attachment = case.attachments.get()
    url = f"/cases/{case.number}/files/{attachment.pk}/"

    for username in ("dispatcher", "inspector"):
        download = login(username).get(url)
        assert download.status_code == 200, username
        assert b"".join(download.streaming_content) == PNG
    for username in ("handler", "leader"):  # seated in the unit reported
        assert login(username).get(url).status_code == 404, username
    # The API answers alike.
    from qinqing.cases.queries import visible_attachment

    assert visible_attachment(users["handler"], case.number, attachment.pk) is None

    # The public: no staff address serves the file; the tracking address serves it only
    # to the session that gave the case's query code (the person who sent it).
    anonymous = Client()
    assert anonymous.get(url).status_code == 302  # to the staff sign-in
    assert anonymous.get(f"/api/v1/cases/{case.number}/attachments/{attachment.pk}"
                         ).status_code == 401
    own = f"/track/{case.number}/files/{attachment.pk}/"
    assert anonymous.get(own).status_code == 302  # to the tracking form, no file
    anonymous.post("/track/", {"number": case.number, "code": query_code_of(answer)})
    assert b"".join(anonymous.get(own).streaming_content) == PNG


def test_staff_see_the_file_on_the_case_page_as_sent_by_the_reporter(client, users, media):
    answer = client.post("/submit/", {**matter(), "attachments": [png()]})
    number = number_of(answer)
    page = login("dispatcher").get(f"/cases/{number}/").content.decode()
    assert 'data-testid="attachment-link">现场照片.png' in page
    assert "由提交人上传" in page


def test_the_person_finds_the_files_they_sent_on_the_tracking_page(client, users, media):
    """Their own files, named and downloadable, for the session holding the query code;
    not a file staff added to the case, nor a document the platform filed on it (a
    reminder letter has no uploader either), nor another case's file by its id."""
    from qinqing.cases import services

    answer = client.post("/submit/", {**matter(), "attachments": [png()]})
    number, code = number_of(answer), query_code_of(answer)
    mine = Attachment.objects.get(case__number=number)
    staff = services.add_attachment(number, users["dispatcher"],
                                    SimpleUploadedFile("内部核查.pdf", PDF,
                                                       content_type="application/pdf"))
    filed = services.file_document(Case.objects.get(number=number), "工作提示函.pdf", PDF,
                                   "application/pdf")
    other = client.post("/submit/", {**matter(), "attachments": [png("别人的.png")]})
    theirs = Attachment.objects.get(case__number=number_of(other))

    person = Client()
    assert person.post("/track/", {"number": number, "code": code}).status_code == 302
    page = person.get(f"/track/{number}/").content.decode()
    listed = re.search(r'data-testid="public-files">(.*?)</ul>', page, re.S)[1]
    assert "现场照片.png" in listed and f"/track/{number}/files/{mine.pk}/" in listed
    assert "内部核查" not in page and "工作提示函" not in page and "别人的" not in page
    assert "您提交的材料" in page

    download = person.get(f"/track/{number}/files/{mine.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    for pk in (staff.pk, filed.pk, theirs.pk, 10 ** 9):
        assert person.get(f"/track/{number}/files/{pk}/").status_code == 404, pk
    # A case of one's own does not open another case's files either.
    assert person.get(f"/track/{number_of(other)}/files/{theirs.pk}/").status_code == 302


def test_a_case_without_files_shows_no_files_section(client, demo_org):
    answer = client.post("/submit/", matter())
    person = Client()
    person.post("/track/", {"number": number_of(answer), "code": query_code_of(answer)})
    page = person.get(f"/track/{number_of(answer)}/").content.decode()
    assert "public-files" not in page


def test_a_failure_after_the_files_were_written_leaves_no_file_on_disk(
        client, demo_org, media, monkeypatch):
    """Storage does not roll back with the database: a failure later in the filing's
    transaction (here the hall's copy to its supervisors) deletes the files it wrote, so
    none stays on disk unnamed by any row; the person's form comes back to send again."""
    from qinqing.portal import services as portal_services

    def broken(*args, **kwargs):
        raise RuntimeError("injected after the files were written")

    monkeypatch.setattr(portal_services, "_copy_to_supervisors", broken)
    hall = "990102-HALL"
    with pytest.raises(RuntimeError):
        client.post(f"/cannot-do/{hall}/", {**matter(subject_unit="990102-W02"),
                                             "attachments": [png(), png("二.png")]})
    assert stored_files(media) == [] and not Attachment.objects.exists()
    assert not Case.objects.exists()

    monkeypatch.undo()  # the same form again: filed, with both files
    answer = client.post(f"/cannot-do/{hall}/", {**matter(subject_unit="990102-W02"),
                                                  "attachments": [png(), png("二.png")]})
    assert answer.status_code == 200
    assert len(stored_files(media)) == 2 and Attachment.objects.count() == 2


def test_a_staff_upload_that_fails_leaves_no_file_on_disk(users, media, monkeypatch):
    from qinqing.cases import services, timeline

    case = services.create_case(users["intake"], {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01", "region": "990102",
        "title": "窗口推诿", "content": "办理营业执照变更时窗口工作人员推诿。"}).case

    def broken(*args, **kwargs):
        raise RuntimeError("injected after the file was written")

    monkeypatch.setattr(timeline, "append", broken)
    with pytest.raises(RuntimeError):
        services.add_attachment(case.number, users["dispatcher"], png())
    assert stored_files(media) == [] and not Attachment.objects.exists()
