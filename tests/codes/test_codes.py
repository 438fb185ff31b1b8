"""Supervision codes (issue 17 §1): tokens, the public page of a scan, withdrawal and
replacement, the database's invariants, the printed sheets and the managers' page."""

from __future__ import annotations

import re
from unittest import mock
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from stdnum.cn import uscc

from qinqing.codes import queries, services, tokens
from qinqing.codes.models import SupervisionCode
from qinqing.enterprises.models import Enterprise
from qinqing.org.models import Unit, User

pytestmark = pytest.mark.django_db

HALL = "990102-HALL"  # 河阳区政务服务中心
WINDOW = "990102-W01"  # its 综合受理窗口


def credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


@pytest.fixture
def admin_user(demo_org):
    return User.objects.get(username="admin")


@pytest.fixture
def window(demo_org):
    return Unit.objects.get(code=WINDOW)


@pytest.fixture
def enterprise(demo_org):
    return Enterprise.objects.create(name="河阳精密机械有限公司",
                                     credit_code=credit_code("91990102MA0000001"),
                                     region=Unit.objects.get(code="990102"))


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


# ----------------------------------------------------------------------------- tokens

def test_tokens_are_short_ascii_random_and_carry_100_bits():
    seen = {tokens.new_token() for _ in range(5000)}
    assert len(seen) == 5000
    assert all(tokens.FORMAT.match(t) for t in seen)
    assert tokens.BITS >= 96 and tokens.LENGTH == 20
    # Every position takes every base32 letter: no fixed prefix, no narrowed alphabet.
    for position in (0, 10, 19):
        assert {t[position] for t in seen} == set("abcdefghijklmnopqrstuvwxyz234567")


@pytest.mark.parametrize("text", ["", "abc", "a" * 21, "abcdefghijklmnopqrs1", "ABCDEFGHIJ KLMNOPQRS",
                                  "abcdefghijklmnopqrs'", "../../admin/login/aaaa"])
def test_what_cannot_be_a_token_never_reaches_the_database(text, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert queries.scan(text) is None


def test_a_scanned_token_is_read_in_any_case(window, admin_user):
    code = services.issue(window, by=admin_user)
    assert queries.scan(code.token.upper()).pk == code.pk


# ------------------------------------------------------------------------- the page

def test_a_scan_shows_the_window_and_its_hall_with_a_complaint_link(client, window, admin_user):
    code = services.issue(window, by=admin_user)
    page = client.get(f"/c/{code.token}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "河阳区政务服务中心综合受理窗口" in text and "河阳区政务服务中心" in text
    assert f"/submit/?unit={WINDOW}" in text
    form = client.get(f"/submit/?unit={WINDOW}").content.decode()
    assert 'value="河阳区政务服务中心综合受理窗口"' in form


def test_a_scan_of_an_enterprise_prefills_its_name_and_code(client, enterprise, admin_user):
    code = services.issue(enterprise, by=admin_user)
    text = client.get(f"/c/{code.token}").content.decode()
    assert "河阳精密机械有限公司" in text and "河阳区人民政府" in text
    form = client.get(f"/submit/?enterprise={enterprise.credit_code}").content.decode()
    assert 'value="河阳精密机械有限公司"' in form and f'value="{enterprise.credit_code}"' in form
    # A code nobody registered prefills nothing.
    assert "河阳精密" not in client.get("/submit/?enterprise=91990102MA00000099").content.decode()


def test_a_staff_members_code_names_them_and_their_unit(client, demo_org, admin_user):
    handler = User.objects.get(username="handler")
    code = services.issue(handler, by=admin_user)
    text = client.get(f"/c/{code.token}").content.decode()
    assert "王芳" in text and "河阳区市场监督管理局" in text


def test_a_forged_token_finds_nothing(client, window, admin_user):
    code = services.issue(window, by=admin_user)
    forged = ("a" if code.token[0] != "a" else "b") + code.token[1:]
    for token in (forged, tokens.new_token(), "not-a-token"):
        page = client.get(f"/c/{token}")
        assert page.status_code == 404
        assert "没有这个监督码" in page.content.decode()
        assert "综合受理窗口" not in page.content.decode()


def test_guessing_from_one_address_is_stopped(client, window, admin_user, settings):
    settings.QINQING_TRACK_LIMIT = 3
    code = services.issue(window, by=admin_user)
    for _ in range(3):
        assert client.get(f"/c/{tokens.new_token()}").status_code == 404
    # Past the limit even the right token waits, so a guesser learns nothing.
    answer = client.get(f"/c/{code.token}")
    assert answer.status_code == 429 and int(answer["Retry-After"]) > 0
    assert client.get(f"/c/{code.token}", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_a_withdrawn_code_says_so(client, window, admin_user):
    code = services.issue(window, by=admin_user)
    services.revoke(code.pk, by=admin_user, reason="铭牌被人复制张贴到其他场所")
    page = client.get(f"/c/{code.token}")
    assert page.status_code == 410
    text = page.content.decode()
    assert "此监督码已停用" in text and "综合受理窗口" not in text


def test_the_code_of_a_closed_window_reads_as_withdrawn(client, window, admin_user):
    code = services.issue(window, by=admin_user)
    Unit.objects.filter(pk=window.pk).update(is_active=False)
    page = client.get(f"/c/{code.token}")
    assert page.status_code == 410 and "此监督码已停用" in page.content.decode()


def test_a_replaced_code_names_the_new_codes_object(client, window, admin_user):
    old = services.issue(window, by=admin_user)
    new = services.replace(old.pk, by=admin_user, reason="铭牌破损")
    text = client.get(f"/c/{old.token}").content.decode()
    assert "此监督码已停用" in text and "河阳区政务服务中心综合受理窗口" in text
    assert new.token not in text  # the page names the object, it does not hand out the code
    assert client.get(f"/c/{new.token}").status_code == 200


# ------------------------------------------------------------- writes and invariants

def test_replace_is_one_transaction(window, admin_user):
    old = services.issue(window, by=admin_user)
    with mock.patch("qinqing.codes.services.tokens.new_token", side_effect=RuntimeError("boom")):
        with pytest.raises(RuntimeError):
            services.replace(old.pk, by=admin_user, reason="铭牌破损")
    old.refresh_from_db()
    # The failure after the withdrawal undid it: the old code is still in use, no new one.
    assert old.revoked_at is None and old.replaced_by is None
    assert SupervisionCode.objects.count() == 1

    new = services.replace(old.pk, by=admin_user, reason="铭牌破损")
    old.refresh_from_db()
    assert old.replaced_by == new and old.revoked_by == admin_user and old.revoke_reason == "铭牌破损"
    assert new.unit == window and new.revoked_at is None


def test_a_withdrawal_needs_a_reason_and_happens_once(window, admin_user):
    code = services.issue(window, by=admin_user)
    for reason in ("", "   ", "字" * 501):
        with pytest.raises(services.Refused):
            services.revoke(code.pk, by=admin_user, reason=reason)
    services.revoke(code.pk, by=admin_user, reason="停用")
    with pytest.raises(services.Refused):
        services.revoke(code.pk, by=admin_user, reason="再停用")
    with pytest.raises(services.Refused):
        services.replace(code.pk, by=admin_user, reason="换新")


def test_an_object_has_one_code_in_use(window, admin_user):
    services.issue(window, by=admin_user)
    with pytest.raises(services.Refused):
        services.issue(window, by=admin_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionCode.objects.create(token=tokens.new_token(), unit=window,
                                       issued_at=timezone.now())


def test_issuing_the_missing_codes_twice_issues_each_once(demo_org, admin_user):
    hall = Unit.objects.get(code=HALL)
    objects = queries.sheet(hall).objects()
    assert services.issue_missing(objects, by=admin_user) == 3  # the hall and its 2 windows
    assert services.issue_missing(objects, by=admin_user) == 0
    assert SupervisionCode.objects.filter(revoked_at=None).count() == 3


@pytest.mark.parametrize("objects", [{}, {"unit": True, "staff": True},
                                     {"unit": True, "enterprise": True},
                                     {"unit": True, "staff": True, "enterprise": True}])
def test_a_code_is_for_exactly_one_object(window, enterprise, objects):
    fields = {"unit": window, "staff": User.objects.get(username="handler"),
              "enterprise": enterprise}
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionCode.objects.create(token=tokens.new_token(), issued_at=timezone.now(),
                                       **{k: fields[k] for k in objects})


def test_only_a_withdrawn_code_has_a_replacement(window, admin_user):
    code = services.issue(window, by=admin_user)
    other = services.issue(Unit.objects.get(code=HALL), by=admin_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionCode.objects.filter(pk=code.pk).update(replaced_by=other)


def test_only_managers_write(window):
    with pytest.raises(services.Refused):
        services.issue(window, by=User.objects.get(username="handler"))


def test_an_inactive_object_gets_no_code(window, admin_user):
    window.is_active = False
    window.save()
    with pytest.raises(services.Refused):
        services.issue(window, by=admin_user)


def test_the_credit_code_is_checked_by_its_check_character(demo_org):
    from django.core.exceptions import ValidationError

    good = Enterprise(name="甲公司", credit_code=credit_code("91990102MA0000002").lower()[:6]
                      + " " + credit_code("91990102MA0000002")[6:],
                      region=Unit.objects.get(code="990102"))
    good.full_clean()
    assert good.credit_code == credit_code("91990102MA0000002")
    bad = Enterprise(name="乙公司", credit_code=credit_code("91990102MA0000002")[:-1] + "0",
                     region=Unit.objects.get(code="990102"))
    if bad.credit_code == good.credit_code:  # the check character happened to be 0
        bad.credit_code = bad.credit_code[:-1] + "1"
    with pytest.raises(ValidationError):
        bad.full_clean()


# ------------------------------------------------------------------------ the sheets

def _decoded(pdf: bytes, page: int) -> list[str]:
    image = pypdfium2.PdfDocument(pdf)[page].render(scale=3).to_pil()
    return sorted(b.text for b in zxingcpp.read_barcodes(image)
                  if b.format.name == "QRCode")


def test_the_halls_sheet_decodes_to_its_codes_addresses(demo_org, enterprise):
    supervisor = login("supervisor")
    answer = supervisor.post("/codes/sheet.pdf", {"unit": "990102"})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    live = {c.object_name: c for c in SupervisionCode.objects.filter(revoked_at=None)
            .select_related("unit", "enterprise")}
    assert set(live) == {"河阳区政务服务中心", "河阳区政务服务中心综合受理窗口",
                         "河阳区政务服务中心“办不成事”反映窗口", "河阳精密机械有限公司"}
    pdf = pypdfium2.PdfDocument(answer.content)
    # The hall's A4, a table card per window, a poster for the enterprise.
    assert len(pdf) == 4
    found = _decoded(answer.content, 0)
    assert found == sorted(f"http://testserver/c/{live[name].token}" for name in (
        "河阳区政务服务中心", "河阳区政务服务中心综合受理窗口",
        "河阳区政务服务中心“办不成事”反映窗口"))
    text = pdf[0].get_textpage().get_text_range()
    assert "综合受理窗口" in text and "河阳区政务服务中心" in text
    # A window's card says what the scan is for: to rate the service, or to complain.
    card = pdf[1].get_textpage().get_text_range().replace("\r", "").replace("\n", "")
    assert "评价我们的服务" in card and "反映问题" in card
    url = _decoded(answer.content, 1)[0]
    assert "河阳区政务服务中心综合受理窗口" in Client().get(urlsplit(url).path).content.decode()
    assert _decoded(answer.content, 3) == [
        f"http://testserver/c/{live['河阳精密机械有限公司'].token}"]
    # Printing again issues nothing new and prints the same addresses.
    again = supervisor.post("/codes/sheet.pdf", {"unit": "990102"})
    assert _decoded(again.content, 0) == found


def test_a_reprint_prints_the_code_in_use(demo_org, admin_user):
    code = services.issue(Unit.objects.get(code="990000-D01"), by=admin_user)
    answer = login("admin").get(f"/codes/{code.pk}/card.pdf")
    assert answer.status_code == 200
    assert _decoded(answer.content, 0) == [f"http://testserver/c/{code.token}"]
    services.revoke(code.pk, by=admin_user, reason="部门撤并")
    assert login("admin").get(f"/codes/{code.pk}/card.pdf").status_code == 404


def test_the_sheet_takes_a_fixed_number_of_queries(demo_org, admin_user,
                                                   django_assert_max_num_queries):
    city = Unit.objects.get(code="990000")
    for i in range(3):
        Enterprise.objects.create(name=f"企业{i}", credit_code=credit_code(f"9199010{i}MA0000003"),
                                  region=Unit.objects.get(code="990102"))
    services.issue_missing(queries.sheet(city).objects(), by=admin_user)
    with django_assert_max_num_queries(4):
        sheet = queries.sheet(city)
    assert len(sheet.halls) == 18 and len(sheet.enterprises) == 3
    assert all(card.code for card in sheet.cards())


def test_the_command_writes_a_pdf_of_a_hall(demo_org, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    out = tmp_path / "hall.pdf"
    stdout = StringIO()
    call_command("codes", "sheet", "--unit", HALL, "--out", str(out),
                 "--base-url", "https://qq.example.gov.cn/", stdout=stdout)
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert "3 codes" in stdout.getvalue() and "3 newly issued" in stdout.getvalue()
    found = _decoded(data, 0)
    assert len(found) == 3 and all(re.fullmatch(r"https://qq\.example\.gov\.cn/c/[a-z2-7]{20}", u)
                                   for u in found)


@pytest.mark.parametrize("argv, message", [
    (["--unit", "NOPE", "--base-url", "https://qq.example.gov.cn"], "no unit has this code"),
    (["--unit", HALL], "--base-url"),
    (["--unit", HALL, "--base-url", "qq.example.gov.cn"], "public address"),
])
def test_the_command_says_what_is_wrong(demo_org, tmp_path, argv, message, settings):
    from django.core.management import CommandError, call_command

    settings.QINQING_PUBLIC_URL = ""
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("codes", "sheet", "--out", str(tmp_path / "x.pdf"), *argv)
    assert not (tmp_path / "x.pdf").exists()


# ------------------------------------------------------------------ managers' page

@pytest.mark.parametrize("username, status", [
    ("supervisor", 200), ("admin", 200), ("handler", 403), ("dispatcher", 403),
    ("leader", 403), ("analyst", 403), ("intake", 403), ("inspector", 403),
    ("callback", 403)])
def test_the_managers_page_is_for_administrators_and_supervisors(demo_org, username, status):
    client = login(username)
    assert client.get("/codes/").status_code == status
    assert client.post("/codes/sheet.pdf", {"unit": HALL}).status_code == status
    hall = Unit.objects.get(code=HALL)
    assert client.post("/codes/issue/", {"kind": "unit", "id": hall.pk}).status_code == (
        302 if status == 200 else 403)
    assert Client().get("/codes/").status_code == 302  # to the sign-in page


def test_a_manager_issues_withdraws_and_replaces_from_the_page(demo_org):
    client = login("supervisor")
    window = Unit.objects.get(code=WINDOW)
    assert client.post("/codes/issue/", {"kind": "unit", "id": window.pk,
                                         "unit": "990102"}).status_code == 302
    code = SupervisionCode.objects.get()
    page = client.get("/codes/?unit=990102").content.decode()
    assert code.token in page and "河阳区政务服务中心" in page
    # No reason: nothing changes, and the page says why.
    answer = client.post(f"/codes/{code.pk}/withdraw/", {"action": "replace", "reason": ""},
                         follow=True)
    assert "请填写停用原因" in answer.content.decode()
    assert SupervisionCode.objects.count() == 1
    client.post(f"/codes/{code.pk}/withdraw/", {"action": "replace", "reason": "铭牌破损"})
    code.refresh_from_db()
    assert code.replaced_by is not None and code.replaced_by.unit == window
    client.post(f"/codes/{code.replaced_by.pk}/withdraw/", {"action": "revoke",
                                                            "reason": "窗口撤销"})
    assert not SupervisionCode.objects.filter(revoked_at=None).exists()


def test_a_manager_manages_only_their_own_units(demo_org, admin_user):
    county_supervisor = User.objects.create(username="sup2", role="supervisor",
                                            unit=Unit.objects.get(code="990103"))
    client = Client()
    client.force_login(county_supervisor)
    code = services.issue(Unit.objects.get(code=WINDOW), by=admin_user)  # 河阳区, not 城东区
    assert client.get("/codes/?unit=990102").status_code == 404
    assert client.post(f"/codes/{code.pk}/withdraw/", {"action": "revoke",
                                                       "reason": "x"}).status_code == 404
    assert client.get(f"/codes/{code.pk}/card.pdf").status_code == 404
    assert client.get("/codes/").status_code == 200  # their own county


def test_the_managers_list_takes_a_fixed_number_of_queries(demo_org, admin_user,
                                                           django_assert_max_num_queries):
    client = login("admin")
    city = Unit.objects.get(code="990000")
    for i in range(3):
        Enterprise.objects.create(name=f"企业{i}", credit_code=credit_code(f"9199010{i}MA0000004"),
                                  region=Unit.objects.get(code="990102"))
    client.get("/codes/")  # warm the session and the caches
    with django_assert_max_num_queries(20) as few:
        client.get("/codes/")
    services.issue_missing(queries.sheet(city).objects(), by=admin_user)
    for user in User.objects.filter(username__in=["handler", "handler2", "leader"]):
        services.issue(user, by=admin_user)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/codes/")
    # 18 halls, 6 + 17 × 2 windows, 3 enterprises, 3 staff members: all listed, same queries.
    assert page.content.decode().count('data-testid="code-token"') == 18 + 40 + 3 + 3
