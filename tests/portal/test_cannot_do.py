"""The couldn't-get-it-done window (办不成事反映窗口): a hall's own entrance, reached from a
printed QR poster; its matters come in on their own channel and are copied to supervisors."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from django.test import Client

from qinqing.cases.models import Case, Channel
from qinqing.notifications.models import Notification

pytestmark = pytest.mark.django_db

HALL = "990102-HALL"  # 河阳区政务服务中心
WINDOW = "990102-W02"  # its couldn't-get-it-done window


def matter(**overrides) -> dict:
    return {"kind": "complaint", "category": "SPFW-01", "title": "",
            "content": "办理营业执照变更，窗口说系统不支持，让我去别的区办。",
            "subject_unit": WINDOW, "enterprise_name": "", "enterprise_code": "",
            "anonymous": "on", "name": "", "phone": "", "sms_code": "",
            "token": uuid.uuid4().hex, "action": "submit", **overrides}


def login(username: str) -> Client:
    from qinqing.org.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_window_is_the_halls_own_and_copies_its_supervisors(client, demo_org):
    page = client.get(f"/cannot-do/{HALL}/").content.decode()
    assert "河阳区政务服务中心" in page and "办不成事" in page
    assert f'value="{WINDOW}"' in page and "990000-D" not in page  # only the hall's places

    answer = client.post(f"/cannot-do/{HALL}/", matter())
    assert answer.status_code == 200, answer.content.decode()
    case = Case.objects.get()
    assert (case.channel, case.subject_unit.code, case.region.code) == (
        Channel.CANNOT_DO_WINDOW, WINDOW, "990102")
    copies = Notification.objects.filter(case=case)
    assert [n.recipient.username for n in copies] == ["supervisor"]
    assert case.number in copies.get().title and "河阳区政务服务中心" in copies.get().title


@pytest.mark.parametrize("code", ["NOPE", "990102-W02", "990102"])
def test_only_a_service_hall_has_a_window(client, demo_org, code):
    answer = client.get(f"/cannot-do/{code}/")
    assert answer.status_code == 404 and "<!doctype html>" in answer.content.decode().lower()


def test_a_place_outside_the_hall_is_refused(client, demo_org):
    answer = client.post(f"/cannot-do/{HALL}/", matter(subject_unit="990000-W01"))
    assert answer.status_code == 400 and Case.objects.count() == 0


def test_the_poster_carries_a_qr_code_that_opens_the_window(demo_org):
    supervisor = login("supervisor")
    listing = supervisor.get("/posters/").content.decode()
    assert f"/cannot-do/{HALL}/" in listing and "市政务服务中心" in listing
    poster = supervisor.get(f"/cannot-do/{HALL}/poster.pdf")
    assert poster.status_code == 200 and poster["Content-Type"] == "application/pdf"

    pdf = pypdfium2.PdfDocument(poster.content)
    assert len(pdf) == 1  # one A4 per hall
    image = pdf[0].render(scale=2).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert [b.format.name for b in found] == ["QRCode"]
    url = found[0].text
    assert url == f"http://testserver/cannot-do/{HALL}/"
    assert "河阳区政务服务中心" in Client().get(urlsplit(url).path).content.decode()
    text = pdf[0].get_textpage().get_text_range()
    assert re.search("办不成事", text) and "河阳区政务服务中心" in text


@pytest.mark.parametrize("username, status", [("handler", 403), ("dispatcher", 403),
                                              ("admin", 200)])
def test_posters_are_for_administrators_and_supervisors(demo_org, username, status):
    assert login(username).get("/posters/").status_code == status
    assert login(username).get(f"/cannot-do/{HALL}/poster.pdf").status_code == status
    assert Client().get("/posters/").status_code == 302  # to the sign-in page


def test_a_report_at_the_window_is_not_copied_to_the_hall_it_accuses(client, demo_org):
    """A supervisor seated in the accused hall gets no copy, not even the notice that a
    report exists; the city's supervisors still do."""
    from qinqing.cases.models import Kind
    from qinqing.org.models import Role, Unit
    from qinqing.org.services import ensure_staff

    ensure_staff(username="hall-supervisor", full_name="窗口督查", role=Role.SUPERVISOR,
                 unit=Unit.objects.get(code=HALL), password="x-hall-supervisor")
    answer = client.post(f"/cannot-do/{HALL}/", matter(
        kind=Kind.REPORT, subject_unit=HALL, content="大厅工作人员暗示要好处费才给办理。"))
    assert answer.status_code == 200, answer.content.decode()
    case = Case.objects.get()
    assert case.kind == Kind.REPORT
    assert [n.recipient.username for n in Notification.objects.filter(case=case)] == [
        "supervisor"]
    # A complaint at the same hall reaches both.
    client.post(f"/cannot-do/{HALL}/", matter(subject_unit=HALL))
    complaint = Case.objects.exclude(pk=case.pk).get()
    assert {n.recipient.username for n in Notification.objects.filter(case=complaint)} == {
        "supervisor", "hall-supervisor"}
