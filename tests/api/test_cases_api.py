"""The /api/v1 case endpoints over HTTP: status codes, error shape, filters, paging, privacy."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import CONSULTATION

SHANGHAI = ZoneInfo("Asia/Shanghai")
NUMBER = re.compile(r"^QQ-\d{4}-\d{6}$")


def _error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert isinstance(body["message"], str) and body["message"].strip()
    if code is not None:
        assert body["code"] == code, body
    return body


def _timeline(case):
    return list(case.events.order_by("seq").values_list("action", flat=True))


# --------------------------------------------------------------------------- intake

def test_create_case_returns_number_and_query_code(api_client):
    from qinqing.cases.models import Case

    response = api_client.post("/cases", CONSULTATION, as_="intake")
    assert response.status_code == 201, response.content
    body = response.json()
    assert NUMBER.match(body["number"])
    assert body["query_code"] and body["state"] == "received" and body["created"] is True
    case = Case.objects.get(number=body["number"])
    assert _timeline(case) == ["create"]


def test_idempotency_key_replay_returns_the_first_case(api_client):
    from qinqing.cases.models import Case

    headers = {"Idempotency-Key": "intake-7f3a"}
    first = api_client.post("/cases", CONSULTATION, as_="intake", headers=headers)
    again = api_client.post("/cases", CONSULTATION, as_="intake", headers=headers)
    assert first.status_code == 201 and again.status_code == 200, again.content
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["query_code"] == first.json()["query_code"]
    assert again.json()["created"] is False
    assert Case.objects.count() == 1

    other = api_client.post("/cases", {**CONSULTATION, "content": "另一件事"}, as_="intake",
                            headers=headers)
    _error(other, 422, "idempotency_key_reused")
    assert Case.objects.count() == 1


def test_create_case_unauthenticated_is_401_json(api_client):
    from qinqing.cases.models import Case

    _error(api_client.post("/cases", CONSULTATION, as_=None), 401, "unauthenticated")
    bad = api_client.post("/cases", CONSULTATION, as_=None,
                          headers={"Authorization": "Bearer qq_not-a-token"})
    _error(bad, 401, "unauthenticated")
    assert Case.objects.count() == 0


def test_create_case_by_handler_is_403(api_client):
    from qinqing.cases.models import Case

    _error(api_client.post("/cases", CONSULTATION, as_="handler"), 403, "forbidden")
    assert Case.objects.count() == 0


def test_create_case_rejects_unknown_and_invalid_fields(api_client):
    from qinqing.cases.models import Case

    body = _error(api_client.post("/cases", {**CONSULTATION, "colour": "red"}, as_="intake"),
                  422, "invalid")
    assert "colour" in body["fields"]
    body = _error(api_client.post("/cases", {**CONSULTATION, "category": "NOPE"}, as_="intake"),
                  422, "invalid")
    assert "category" in body["fields"]
    assert Case.objects.count() == 0


def test_nul_characters_never_cause_a_server_error(api_client, new_case):
    # PostgreSQL refuses NUL in text (a DataError); SQLite stores it. Either way: no 5xx.
    from qinqing.cases.models import Case

    case, code = new_case()
    count = Case.objects.count()
    for body, headers in [({**CONSULTATION, "content": "a\x00b"}, {}),
                          ({**CONSULTATION, "category": "SPFW-01\x00"}, {}),
                          (CONSULTATION, {"Idempotency-Key": "k\x00"})]:
        response = api_client.post("/cases", body, as_="intake", headers=headers)
        assert response.status_code in (201, 422), response.content
        if response.status_code == 422:
            _error(response, 422, "invalid")
            assert Case.objects.count() == count
        count = Case.objects.count()
    for path, params in [("/cases", {"text": "\x00"}), ("/cases", {"unit": "a\x00"}),
                         (f"/cases/{case.number}%00", {}), (f"/track/{case.number}%00",
                                                             {"code": code})]:
        response = api_client.get(path, params=params)
        assert response.status_code < 500, (path, response.content)
    response = api_client.post(f"/cases/{case.number}/actions/edit",
                               {"fields": {"title": "x\x00y"}})
    assert response.status_code in (200, 422), response.content
    response = api_client.post(f"/cases/{case.number}/unmask", {"reason": "核实\x00"})
    assert response.status_code in (200, 422), response.content


# ----------------------------------------------------------------------------- lists

def _numbers(response):
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["items"]]


@pytest.fixture
def varied_cases(new_case, users):
    """Six cases differing in one attribute each; their clocks are set explicitly."""
    from qinqing.cases import services
    from qinqing.cases.models import StageClock

    now = timezone.now()
    base = datetime(2025, 3, 3, 10, 0, tzinfo=SHANGHAI)
    plain, _ = new_case(now=base)
    complaint, _ = new_case(kind="complaint", channel="web", category="ZFJG-02",
                            content="执法检查过于频繁", now=base + timedelta(hours=1))
    region, _ = new_case(region="990103", content="城东区窗口排队", now=base + timedelta(hours=2))
    routed, _ = new_case(content="拖欠工程款未支付", category="TQZK-02",
                         now=base + timedelta(hours=3))
    services.perform(routed.number, "dispatch", users["dispatcher"],
                     {"lead_unit": "990102-SCJG"})
    warning, _ = new_case(content="用电报装迟缓", category="YSBZ-01",
                          now=base + timedelta(hours=4))
    overdue, _ = new_case(content="奖补资金迟迟不到账", category="ZCLS-03",
                          now=base + timedelta(hours=5))
    far = now + timedelta(days=30)
    StageClock.objects.filter(done_at__isnull=True).update(warn_at=far, due_at=far + timedelta(1))
    StageClock.objects.filter(case=warning, done_at__isnull=True).update(
        warn_at=now - timedelta(hours=1), due_at=now + timedelta(days=1))
    StageClock.objects.filter(case=overdue, done_at__isnull=True).update(
        warn_at=now - timedelta(days=2), due_at=now - timedelta(days=1))
    return {"plain": plain.number, "complaint": complaint.number, "region": region.number,
            "routed": routed.number, "warning": warning.number, "overdue": overdue.number}


@pytest.mark.parametrize("params, expected", [
    ({"state": "dispatched"}, ["routed"]),
    ({"state": ["dispatched", "closed"]}, ["routed"]),
    ({"kind": "complaint"}, ["complaint"]),
    ({"channel": "web"}, ["complaint"]),
    ({"unit": "990102-SCJG"}, ["routed"]),
    ({"region": "990103"}, ["region"]),
    ({"category": "ZFJG"}, ["complaint"]),  # a parent category matches its children
    ({"category": "ZFJG-02"}, ["complaint"]),
    ({"warning": "true"}, ["warning"]),
    ({"overdue": "true"}, ["overdue"]),
    ({"text": "工程款"}, ["routed"]),
    ({"received_from": "2025-03-03T12:00:00+08:00", "received_to": "2025-03-03T14:00:00+08:00"},
     ["routed", "region"]),
    # the same instants with another offset; the lower bound is inclusive, the upper exclusive
    ({"received_from": "2025-03-03T04:00:00Z", "received_to": "2025-03-03T05:00:00+00:00"},
     ["region"]),
    ({"received_from": "2025-03-03T12:00:00+05:00"}, ["overdue"]),  # 15:00 in Shanghai
])
def test_list_filters(api_client, varied_cases, params, expected):
    assert _numbers(api_client.get("/cases", params=params)) == [varied_cases[k] for k in expected]


def test_list_negated_flags_and_text_by_number(api_client, varied_cases):
    not_overdue = _numbers(api_client.get("/cases", params={"overdue": "false"}))
    assert varied_cases["overdue"] not in not_overdue and len(not_overdue) == 5
    not_warning = _numbers(api_client.get("/cases", params={"warning": "false"}))
    assert varied_cases["warning"] not in not_warning and len(not_warning) == 5
    number = varied_cases["complaint"]
    assert _numbers(api_client.get("/cases", params={"text": number.lower()})) == [number]


def test_list_is_scoped_to_the_viewer(api_client, varied_cases):
    assert _numbers(api_client.get("/cases", as_="handler")) == [varied_cases["routed"]]
    assert _numbers(api_client.get("/cases", as_="handler2")) == []


def test_list_rejects_naive_times_and_bad_values(api_client, varied_cases):
    _error(api_client.get("/cases", params={"received_from": "2025-03-03T12:00:00"}), 422)
    _error(api_client.get("/cases", params={"received_to": "2025-03-03"}), 422)
    _error(api_client.get("/cases", params={"state": "asleep"}), 422, "invalid")
    _error(api_client.get("/cases", params={"limit": "0"}), 422, "invalid")
    _error(api_client.get("/cases", params={"limit": "100000"}), 422, "invalid")


def test_keyset_pagination_walks_every_case_once_newest_first(api_client, new_case):
    from qinqing.cases.models import Case

    base = timezone.now() - timedelta(days=3)
    for i in range(12):
        # pairs share a received_at, so the id breaks ties
        new_case(now=base + timedelta(minutes=i // 2), content=f"第{i}件")
    expected = list(Case.objects.order_by("-received_at", "-id").values_list("number", flat=True))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        response = api_client.get("/cases", params=params)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["items"]) <= 5
        seen += [row["number"] for row in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected and pages == 3
    # a page that ends exactly at the last case gives no cursor
    assert api_client.get("/cases", params={"limit": 12}).json()["next_cursor"] is None


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage", "!!!!", "%%", "Zm9v", _b64("a|b|c"), _b64("2025-01-01T00:00:00|1"),
    _b64("2025-01-01T00:00:00+08:00|x"), _b64("not a date|1"),
    base64.urlsafe_b64encode(b"\xff\xfe|\x00").decode(),
    _b64("0001-01-01T00:00:00+08:00|1"),  # valid ISO, but before the epoch of UTC
    _b64("9999-12-31T23:59:59-08:00|1"),  # valid ISO, but after the end of UTC's calendar
])
def test_forged_cursor_is_422_never_500(api_client, new_case, cursor):
    new_case()
    _error(api_client.get("/cases", params={"cursor": cursor}), 422, "invalid")


def test_well_formed_cursor_is_only_a_position(api_client, new_case):
    # a cursor is not signed: a well-formed one is a position, even with an absurd id
    case, _ = new_case()
    after = (case.received_at + timedelta(seconds=1)).isoformat()
    for pk in ("99999999999999999999999", "-1"):
        response = api_client.get("/cases", params={"cursor": _b64(f"{after}|{pk}")})
        assert _numbers(response) == [case.number]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00"])
def test_out_of_range_times_are_422_never_500(api_client, new_case, moment):
    new_case()
    _error(api_client.get("/cases", params={"received_from": moment}), 422, "invalid")
    _error(api_client.get("/cases", params={"received_to": moment}), 422, "invalid")


def test_offsets_beyond_postgresqls_range_are_still_instants(api_client, new_case):
    case, _ = new_case(now=datetime(2025, 3, 3, 10, 0, tzinfo=SHANGHAI))
    # 2025-03-02T09:00-16:59 is 2025-03-03T01:59 in Shanghai; Python allows ±23:59
    for moment in ("2025-03-02T09:00:00-16:59", "2025-03-03T20:00:00+20:00"):
        assert _numbers(api_client.get("/cases", params={"received_from": moment})) == [
            case.number]
        assert _numbers(api_client.get("/cases", params={"received_to": moment})) == []
    cursor = _b64("2025-03-02T19:00:00-16:59|1")  # 2025-03-03T11:59 in Shanghai
    assert _numbers(api_client.get("/cases", params={"cursor": cursor})) == [case.number]


def test_list_query_count_does_not_grow_with_page_size(api_client, new_case, users):
    from qinqing.cases import services

    for i in range(50):
        case, _ = new_case(content=f"第{i}件")
        if i % 5 == 0:
            services.perform(case.number, "dispatch", users["dispatcher"],
                             {"lead_unit": "990102-SCJG", "co_units": ["990103-SCJG"]})
    counts = {}
    for limit in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/cases", params={"limit": limit})
        assert len(response.json()["items"]) == limit
        counts[limit] = len(queries)
    assert counts[5] == counts[50]
    assert counts[50] <= 6, counts


def test_detail_query_count_does_not_grow_with_the_timeline(api_client, new_case, users):
    from qinqing.cases import services

    case, _ = new_case()
    services.perform(case.number, "dispatch", users["dispatcher"], {"lead_unit": "990102-SCJG"})

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(f"/cases/{case.number}")
        assert response.status_code == 200, response.content
        return len(queries), len(response.json()["timeline"])

    short, short_events = count()
    for i in range(20):
        services.unmask_reporters(case.number, users["dispatcher"], f"回访核实第{i}次")
    long_, long_events = count()
    assert (short_events, long_events) == (2, 22)
    assert long_ == short, (short, long_)


# ---------------------------------------------------------------------------- detail

def test_detail_shows_timeline_clocks_masked_reporters_and_actions(api_client, new_case, users):
    from qinqing.cases import services

    case, _ = new_case()
    body = api_client.get(f"/cases/{case.number}").json()
    assert body["number"] == case.number and body["state"] == "received"
    assert [e["action"] for e in body["timeline"]] == ["create"]
    assert body["timeline"][0]["actor"] == "张敏" and body["timeline"][0]["to_state"] == "received"
    assert [(c["stage"], c["done_at"]) for c in body["clocks"]] == [("dispatch", None)]
    assert body["clocks"][0]["status"] in {"running", "warning", "overdue"}
    [reporter] = body["reporters"]
    assert reporter["name"] == "张**" and reporter["phone"] == "138****5678"
    assert "13812345678" not in str(body) and "张三丰" not in str(body)
    assert set(body["actions"]) == {"edit", "answer", "not_accept", "reject", "merge", "dispatch"}
    intake_actions = api_client.get(f"/cases/{case.number}", as_="intake").json()["actions"]
    assert set(intake_actions) == {"edit", "answer", "not_accept", "merge"}

    # the lead unit sees the case once routed, and may sign or object
    _error(api_client.get(f"/cases/{case.number}", as_="handler"), 404, "not_found")
    services.perform(case.number, "dispatch", users["dispatcher"], {"lead_unit": "990102-SCJG"})
    body = api_client.get(f"/cases/{case.number}", as_="handler").json()
    assert set(body["actions"]) == {"sign", "return"}
    assert [e["action"] for e in body["timeline"]] == ["create", "dispatch"]
    assert {c["stage"] for c in body["clocks"] if c["done_at"] is None} == {"sign", "resolve"}
    assert api_client.get(f"/cases/{case.number}", as_="dispatcher").json()["actions"] == []
    _error(api_client.get(f"/cases/{case.number}", as_="handler2"), 404, "not_found")


def test_detail_hides_the_reporter_of_a_misconduct_report_from_the_unit(api_client, new_case,
                                                                         users):
    from qinqing.cases import services

    case, _ = new_case(kind="report", category="GBZF-01", subject_unit="990104-SCJG")
    services.perform(case.number, "dispatch", users["dispatcher"],
                     {"lead_unit": "990102-SCJG", "co_units": ["990000-JW"]})
    assert api_client.get(f"/cases/{case.number}", as_="handler").json()["reporters"] is None
    assert api_client.get(f"/cases/{case.number}", as_="analyst").json()["reporters"] is None
    assert len(api_client.get(f"/cases/{case.number}", as_="inspector").json()["reporters"]) == 1


# --------------------------------------------------------------------------- actions

@pytest.fixture
def dispatched(new_case, users):
    from qinqing.cases import services

    case, _ = new_case()
    services.perform(case.number, "dispatch", users["dispatcher"], {"lead_unit": "990102-SCJG"})
    return case


def test_action_moves_the_case(api_client, dispatched):
    response = api_client.post(f"/cases/{dispatched.number}/actions/sign", {}, as_="handler")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "handling"
    assert response.json()["timeline"][-1]["action"] == "sign"
    reply = api_client.post(f"/cases/{dispatched.number}/actions/reply",
                            {"answer": "已协调网办系统恢复"}, as_="handler")
    assert reply.status_code == 200 and reply.json()["state"] == "replied"


@pytest.mark.parametrize("as_, action, body, status, code", [
    ("dispatcher", "dispatch", {"lead_unit": "990103-SCJG"}, 409, "state_conflict"),
    ("handler", "reply", {"answer": "已办"}, 409, "state_conflict"),
    ("callback", "dispatch", {"lead_unit": "990103-SCJG"}, 403, "forbidden"),
    ("handler2", "sign", {}, 404, "not_found"),  # another unit's case is invisible
    ("dispatcher", "teleport", {}, 404, "unknown_action"),
    ("handler", "return", {}, 422, "invalid"),  # a reason is required
    ("handler", "sign", {"colour": "red"}, 422, "invalid"),
    ("handler", "sign", {"co_units": "not-a-list"}, 422, "invalid"),
    ("handler", "sign", [1, 2], 422, "invalid"),
])
def test_action_errors_change_nothing(api_client, dispatched, as_, action, body, status, code):
    before = _timeline(dispatched)
    response = api_client.post(f"/cases/{dispatched.number}/actions/{action}", body, as_=as_)
    error = _error(response, status, code)
    if body == {"colour": "red"}:
        assert "colour" in error["fields"]
    assert _timeline(dispatched) == before
    dispatched.refresh_from_db()
    assert dispatched.state == "dispatched" and dispatched.lead_unit.code == "990102-SCJG"


def test_dispatch_without_lead_unit_is_422(api_client, new_case):
    case, _ = new_case()
    error = _error(api_client.post(f"/cases/{case.number}/actions/dispatch", {}), 422, "invalid")
    assert "lead_unit" in error["fields"]
    error = _error(api_client.post(f"/cases/{case.number}/actions/dispatch",
                                   {"lead_unit": "NO-SUCH"}), 422, "invalid")
    assert "lead_unit" in error["fields"]
    assert _timeline(case) == ["create"]
    case.refresh_from_db()
    assert case.state == "received" and case.lead_unit is None


def test_action_on_a_missing_case_is_404(api_client, demo_org):
    _error(api_client.post("/cases/QQ-2099-999999/actions/dispatch",
                           {"lead_unit": "990102-SCJG"}), 404, "not_found")
    _error(api_client.get("/cases/QQ-2099-999999"), 404, "not_found")


def test_error_code_is_stable_across_languages(api_client, dispatched):
    url = f"/cases/{dispatched.number}/actions/dispatch"
    body = {"lead_unit": "990103-SCJG"}
    zh = _error(api_client.post(url, body, as_="callback",
                                headers={"Accept-Language": "zh-hans"}), 403, "forbidden")
    en = _error(api_client.post(url, body, as_="callback", headers={"Accept-Language": "en"}),
                403, "forbidden")
    default = _error(api_client.post(url, body, as_="callback"), 403, "forbidden")
    assert zh["code"] == en["code"] == default["code"]
    # Chinese is the default language, and the catalogue translates this message
    assert default["message"] == zh["message"] != en["message"]
    assert re.search(r"[\u4e00-\u9fff]", zh["message"]), zh


def test_error_message_is_english_with_accept_language_en(api_client, dispatched):
    response = api_client.post(f"/cases/{dispatched.number}/actions/dispatch",
                               {"lead_unit": "990103-SCJG"}, as_="callback",
                               headers={"Accept-Language": "en"})
    assert "Your role may not do this" in _error(response, 403, "forbidden")["message"]
    missing = api_client.post(f"/cases/{dispatched.number}/actions/return", {}, as_="handler",
                              headers={"Accept-Language": "en"})
    error = _error(missing, 422, "invalid")
    assert error["message"] == "Some fields need correcting."
    assert error["fields"] == {"reason": "This field is required."}


# ---------------------------------------------------------------------------- unmask

def test_unmask(api_client, dispatched):
    from qinqing.cases.models import UnmaskLog

    url = f"/cases/{dispatched.number}/unmask"
    assert "reason" in _error(api_client.post(url, {}), 422, "invalid")["fields"]
    _error(api_client.post(url, {"reason": "   "}), 422, "invalid")
    _error(api_client.post(url, {"reason": "核实", "extra": 1}), 422, "invalid")
    # (The lead unit's handler may reveal it to contact the person first: issue 14,
    # tests/cases/test_reporter_protection.py.)
    _error(api_client.post(url, {"reason": "想看看"}, as_="supervisor"), 403, "forbidden")
    _error(api_client.post(url, {"reason": "想看看"}, as_="analyst"), 403, "forbidden")
    assert UnmaskLog.objects.count() == 0 and "unmask" not in _timeline(dispatched)

    response = api_client.post(url, {"reason": "回访需要联系来电人"})
    assert response.status_code == 200, response.content
    [reporter] = response.json()
    assert reporter["phone"] == "13812345678" and reporter["name"] == "张三丰"
    assert UnmaskLog.objects.count() == 1
    log = UnmaskLog.objects.get()
    assert log.user.username == "dispatcher" and log.reason == "回访需要联系来电人"
    event = api_client.get(f"/cases/{dispatched.number}").json()["timeline"][-1]
    assert event["action"] == "unmask" and event["reason"] == "回访需要联系来电人"
    _error(api_client.post("/cases/QQ-2099-999999/unmask", {"reason": "核实"}), 404, "not_found")


# ----------------------------------------------------------------------- attachments

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwAB"
                       "BAEAcCBlCwAAAABJRU5ErkJggg==")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.mark.parametrize("name, content, content_type", [
    ("证明.pdf", PDF, "application/pdf"), ("photo.png", PNG, "image/png")])
def test_attachment_accepted(api_client, dispatched, media, name, content, content_type):
    from qinqing.cases.models import Attachment

    response = api_client.upload(f"/cases/{dispatched.number}/attachments",
                                 SimpleUploadedFile(name, content, content_type=content_type),
                                 as_="handler")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content) and body["content_type"] == content_type
    assert body["name"] == name
    assert Attachment.objects.get(pk=body["id"]).file.read() == content
    assert _timeline(dispatched)[-1] == "attach"


@pytest.mark.parametrize("name, content, content_type", [
    ("setup.exe", b"MZ\x90\x00" * 16, "application/x-msdownload"),
    ("setup.exe", b"MZ\x90\x00" * 16, "application/vnd.microsoft.portable-executable"),
    ("empty.pdf", b"", "application/pdf"),
])
def test_attachment_rejected(api_client, dispatched, media, name, content, content_type):
    from qinqing.cases.models import Attachment

    before = _timeline(dispatched)
    response = api_client.upload(f"/cases/{dispatched.number}/attachments",
                                 SimpleUploadedFile(name, content, content_type=content_type))
    _error(response, 422)
    assert Attachment.objects.count() == 0 and _timeline(dispatched) == before


def test_attachment_oversize_rejected(api_client, dispatched, media, settings):
    from qinqing.cases.models import Attachment

    settings.QINQING_MAX_ATTACHMENT_BYTES = 64
    response = api_client.upload(f"/cases/{dispatched.number}/attachments",
                                 SimpleUploadedFile("big.pdf", PDF + b" " * 64,
                                                    content_type="application/pdf"))
    assert "file" in _error(response, 422, "invalid")["fields"]
    assert Attachment.objects.count() == 0


def test_attachment_errors(api_client, dispatched, media):
    pdf = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    _error(api_client.upload(f"/cases/{dispatched.number}/attachments", pdf, as_="analyst"),
           403, "forbidden")
    pdf.seek(0)
    _error(api_client.upload("/cases/QQ-2099-999999/attachments", pdf), 404, "not_found")
    # no file at all
    _error(api_client.post(f"/cases/{dispatched.number}/attachments", {}), 422)


# ----------------------------------------------------------------------------- track

def test_track_with_the_query_code(api_client, new_case):
    case, code = new_case()
    for given in (code, code.lower(), f" {code.upper()} "):
        response = api_client.get(f"/track/{case.number}", as_=None, params={"code": given})
        assert response.status_code == 200, (given, response.content)
    body = response.json()
    assert body["number"] == case.number and body["state"] == "received"
    assert [e["action"] for e in body["timeline"]] == ["create"]
    text = response.content.decode()
    for secret in ("张三丰", "13812345678", "138****5678", "张**", CONSULTATION["content"],
                   "reporter", "phone", "name"):
        assert secret not in text
    assert api_client.get(f"/track/{case.number.lower()}", as_=None,
                          params={"code": code}).status_code == 200


def test_track_accepts_the_code_as_displayed(api_client, new_case):
    """The code is shown in groups of four ("ZRBG VV2R"): typed back with its space, a
    dash, in lower case or with full-width characters, it still opens the case."""
    case, code = new_case()
    shown = f"{code[:4]} {code[4:]}"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    for given in (shown, f"{code[:4]}-{code[4:]}", shown.lower(), f" {code[:4]}  {code[4:]} ",
                  full_width):
        response = api_client.get(f"/track/{case.number}", as_=None, params={"code": given})
        assert response.status_code == 200, (given, response.content)
    assert api_client.get(f"/track/{case.number.lower()} ", as_=None,
                          params={"code": shown}).status_code == 200
    # Separators are ignored, nothing else: a different code is still refused.
    _error(api_client.get(f"/track/{case.number}", as_=None,
                          params={"code": f"{code[:4]} {code[4:7]}"}), 404, "not_found")


def test_track_wrong_code_and_unknown_number_look_alike(api_client, new_case):
    case, code = new_case()
    wrong = _error(api_client.get(f"/track/{case.number}", as_=None,
                                  params={"code": "WRONG1"}), 404, "not_found")
    unknown = _error(api_client.get("/track/QQ-2099-999999", as_=None,
                                    params={"code": code}), 404, "not_found")
    assert wrong == unknown
    _error(api_client.get(f"/track/{case.number}", as_=None), 422)


# --------------------------------------------------------------------------- openapi

def test_openapi_document(api_client, demo_org):
    import schemathesis

    response = api_client.get("/openapi.json", as_=None)
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(doc).validate()
    paths = doc["paths"]
    for path, method in [("/api/v1/cases", "post"), ("/api/v1/cases", "get"),
                         ("/api/v1/cases/{number}", "get"),
                         ("/api/v1/cases/{number}/actions/{action}", "post"),
                         ("/api/v1/cases/{number}/unmask", "post"),
                         ("/api/v1/cases/{number}/attachments", "post"),
                         ("/api/v1/track/{number}", "get")]:
        assert method in paths[path], (path, method)
        # every operation documents the 422 its parameters can give
        assert "422" in paths[path][method]["responses"], (path, method)
    schemes = doc["components"]["securitySchemes"].values()
    assert any(s.get("scheme") == "bearer" for s in schemes), schemes


def test_openapi_lists_the_shared_errors_each_operation_can_meet(api_client, demo_org):
    """413 (too large), 415 (not JSON) and 503 (busy, Retry-After) come from handlers
    shared by the whole API (each is answered in the tests of api/main.py's handlers);
    the document lists them where they can happen, with the error body."""
    paths = api_client.get("/openapi.json", as_=None).json()["paths"]
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            busy = responses.get("503")
            assert busy and busy["content"]["application/json"]["schema"] == error, (path, method)
            assert "Retry-After" in busy["headers"]
            body = operation.get("requestBody", {}).get("content", {})
            assert ("413" in responses) == bool(body), (path, method)
            assert ("415" in responses) == ("application/json" in body), (path, method)
    assert {"413", "415", "503"} <= set(paths["/api/v1/cases"]["post"]["responses"])
    assert "415" not in paths["/api/v1/cases/{number}/attachments"]["post"]["responses"]


def test_a_long_text_is_refused_naming_the_field(api_client, new_case, settings):
    """The API refuses a text over the limit with 422 naming the field, and never cuts it:
    the same limit (QINQING_CONTENT_MAX_CHARS) as the form's."""
    from qinqing.cases.models import Case

    before = Case.objects.count()
    body = _error(api_client.post("/cases", {**CONSULTATION, "content": "长" * 20_000}),
                  422, "invalid")
    assert list(body["fields"]) == ["content"]
    assert "5000" in body["fields"]["content"]
    # The service reads the setting at run time: a lower limit is enforced at once.
    settings.QINQING_CONTENT_MAX_CHARS = 300
    body = _error(api_client.post("/cases", {**CONSULTATION, "content": "长" * 301}),
                  422, "invalid")
    assert list(body["fields"]) == ["content"] and "300" in body["fields"]["content"]
    assert Case.objects.count() == before


def test_a_long_enterprise_name_is_refused_not_cut(users):
    """The service cut the enterprise's name at 120 characters (a cut name may be another
    enterprise's); it refuses it now, naming the field."""
    from qinqing.cases import services
    from qinqing.cases.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        services.create_case(users["intake"], {**CONSULTATION, "enterprise_name": "企" * 121})
    assert list(caught.value.fields) == ["enterprise_name"]
