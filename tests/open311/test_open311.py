"""Open311 GeoReport v2: what a third-party app reads and files, in JSON and XML, every
answer validated against the specification's schemas (georeport.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from qinqing.cases import services
from qinqing.cases.models import Case, Kind
from tests.open311 import georeport
from tests.open311.conftest import MATTER, SERVICE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_services_and_definitions_follow_the_specification(client, demo_org, fmt):
    check = georeport.check_xml if fmt == "xml" else (
        lambda r: georeport.check(georeport.SERVICES, r))
    listed = check(client.get(f"/open311/v2/services.{fmt}"))
    codes = {s["service_code"] for s in listed}
    assert SERVICE in codes and len(listed) > 10
    service = next(s for s in listed if s["service_code"] == SERVICE)
    assert service["group"] and service["service_name"]  # Chinese names from the tree

    answer = client.get(f"/open311/v2/services/{SERVICE}.{fmt}")
    definition = (georeport.check_xml(answer) if fmt == "xml"
                  else georeport.check(georeport.SERVICE_DEFINITION, answer))
    attributes = {a["code"]: a for a in definition["attributes"]}
    assert set(attributes) == {"kind", "title", "region", "enterprise_name"}
    kinds = {v["key"] for v in attributes["kind"]["values"]}
    assert "report" not in kinds and "complaint" in kinds

    missing = client.get(f"/open311/v2/services/NOPE.{fmt}")
    assert missing.status_code == 404
    if fmt == "xml":
        georeport.check_xml(missing)
    else:
        georeport.check(georeport.ERRORS, missing)


def test_discovery_names_the_endpoint(client, demo_org):
    document = georeport.check(georeport.DISCOVERY, client.get("/open311/discovery.json"))
    assert document["endpoints"][0]["url"] == "http://testserver/open311/v2"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_filed_matter_becomes_a_case_that_staff_dispatch(file, client, users, fmt):
    answer = file(fmt)
    assert answer.status_code == 201
    if fmt == "xml":
        filed = georeport.check_xml(answer, georeport.POST_RESPONSE)[0]
    else:
        filed = georeport.check(georeport.POST_RESPONSE, answer)[0]
    case = Case.objects.get(number=filed["service_request_id"])
    assert (case.kind, case.channel, case.category.code, case.created_by) == (
        "complaint", "web", SERVICE, users["intake"])
    assert case.content == MATTER["description"]
    reporter = case.reporters.get()
    assert reporter.name_enc and "张三丰" not in reporter.name_enc  # encrypted at rest

    by_token = georeport.check(georeport.TOKENS,
                               client.get(f"/open311/v2/tokens/{filed['token']}.json"))
    assert by_token == [{"service_request_id": case.number, "token": filed["token"]}]

    services.perform(case.number, "dispatch", users["dispatcher"], {"lead_unit": "990102-SCJG"})
    case.refresh_from_db()
    shown = georeport.check(georeport.REQUESTS,
                            client.get(f"/open311/v2/requests/{case.number}.json",
                                       {"extensions": "true"}))[0]
    assert shown["status"] == "open"
    assert shown["agency_responsible"] == case.lead_unit.name
    assert shown["expected_datetime"] and shown["extended_attributes"]["state"] == "dispatched"
    assert "签收" in shown["status_notes"] or "办理" in shown["status_notes"]


def test_a_retry_with_the_same_key_files_one_case(file):
    first = file(headers={"Idempotency-Key": "app-retry-0001"})
    again = file(headers={"Idempotency-Key": "app-retry-0001"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert Case.objects.count() == 1
    reused = file(headers={"Idempotency-Key": "app-retry-0001"}, description="另一件事")
    assert reused.status_code == 400 and Case.objects.count() == 1


@pytest.mark.parametrize("fields, status, names", [
    ({"api_key": ""}, 403, ["api_key"]),
    ({"api_key": "wrong-key"}, 403, ["api_key"]),
    ({"description": ""}, 400, ["description"]),
    ({"attribute[kind]": "report"}, 400, ["attribute[kind]"]),
    ({"service_code": "NOPE"}, 400, ["service_code"]),
    ({"phone": "12"}, 400, ["phone"]),
    ({"lat": "91", "long": "120"}, 400, ["lat"]),
    ({"lat": "NaN", "long": "120"}, 400, ["lat"]),
    ({"media_url": "javascript:alert(1)"}, 400, ["media_url"]),
    ({"attribute[region]": "NOPE"}, 400, ["attribute[region]"]),
    ({"description": "有\x00控制字符"}, 400, []),
])
def test_bad_input_is_refused_in_the_spec_format_and_changes_nothing(file, fields, status,
                                                                     names):
    answer = file(**fields)
    assert answer.status_code == status
    errors = georeport.check(georeport.ERRORS, answer)
    for name in names:
        assert any(name in e["description"] for e in errors), errors
    assert all(re.search("[\u4e00-\u9fff]", e["description"]) for e in errors)  # in Chinese
    assert Case.objects.count() == 0


def test_an_expired_key_and_a_key_without_intake_rights_are_refused(client, users):
    expired = services.issue_token(users["intake"], now=timezone.now() - timedelta(days=400))
    handler = services.issue_token(users["handler"])
    for key in (expired, handler):
        answer = client.post("/open311/v2/requests.json", {"api_key": key, **MATTER})
        assert answer.status_code == 403
        georeport.check(georeport.ERRORS, answer)
    assert Case.objects.count() == 0


def test_the_location_and_media_link_are_kept_in_the_content(file):
    answer = file(address_string="政务服务中心三楼", lat="36.08", long="111.52",
                  media_url="https://example.com/photo.jpg")
    content = Case.objects.get(number=answer.json()[0]["service_request_id"]).content
    assert "政务服务中心三楼 (36.08, 111.52)" in content
    assert "https://example.com/photo.jpg" in content


def test_requests_publish_no_personal_data_and_no_protected_reporter(file, client, users):
    titled = file(**{"attribute[title]": "窗口推诿 联系13812345678 身份证11010519491231002X"})
    plain = file(headers={"Idempotency-Key": "second-matter"}, description="营业执照变更慢")
    intake = users["intake"]
    report = services.create_case(intake, {
        "kind": Kind.REPORT, "channel": "hotline", "category": SERVICE,
        "content": "举报某窗口工作人员索要好处费", "reporter": {"name": "李四", "phone": "13900001111"},
    }).case
    reclassified = services.create_case(intake, {
        "kind": Kind.REPORT, "channel": "hotline", "category": SERVICE,
        "content": "举报后经核实属投诉", "reporter": {"name": "王五", "phone": "13900002222"},
    }).case
    services.reclassify_report(reclassified.number, users["inspector"], reason="经核实属投诉",
                               kind=Kind.COMPLAINT)

    answer = client.get("/open311/v2/requests.json", {"extensions": "true"})
    listed = georeport.check(georeport.REQUESTS, answer)
    numbers = {r["service_request_id"] for r in listed}
    assert numbers == {titled.json()[0]["service_request_id"],
                       plain.json()[0]["service_request_id"]}
    assert report.number not in numbers and reclassified.number not in numbers
    text = answer.content.decode()
    for secret in ("13812345678", "11010519491231002X", "张三丰", "三丰", "zhang@example.com",
                   MATTER["description"], "窗口推诿", "营业执照变更慢"):
        assert secret not in text  # the title and the content's start neither
    assert {r["description"] for r in listed} == {"办理时限超期"}  # the category's name
    assert client.get(f"/open311/v2/requests/{report.number}.json").status_code == 404
    assert client.get(f"/open311/v2/requests/{reclassified.number}.json").status_code == 404


def test_request_filters_paging_and_their_refusals(file, client, users):
    numbers = [file(headers={"Idempotency-Key": f"paging-{i:04d}"}, description=f"第{i}件事",
                    **{"attribute[kind]": "consultation"}).json()[0]["service_request_id"]
               for i in range(5)]
    services.perform(numbers[0], "answer", users["intake"], {"answer": "已电话解答。"})

    def get(**params):
        return georeport.check(georeport.REQUESTS, client.get("/open311/v2/requests.json", params))

    assert [r["service_request_id"] for r in get()] == numbers[::-1]
    assert [r["service_request_id"] for r in get(status="closed")] == [numbers[0]]
    assert len(get(status="open")) == 4 and len(get(status="open,closed")) == 5
    assert [r["service_request_id"] for r in get(page_size="2", page="2")] == numbers[2:0:-1]
    assert [r["service_request_id"] for r in get(service_request_id=f"{numbers[1]},{numbers[3]}")
            ] == [numbers[3], numbers[1]]
    assert get(service_code="OTHER") == []
    assert get(start_date="2020-01-01T00:00:00+08:00", end_date="2020-02-01T00:00:00+08:00") == []
    today = timezone.localdate().isoformat()
    assert len(get(start_date=f"{today}T00:00:00+08:00")) == 5

    for params in ({"status": "pending"}, {"page_size": "0"}, {"page": "x"},
                   {"start_date": "yesterday"},
                   {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
                   {"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}):
        for fmt in ("json", "xml"):
            answer = client.get(f"/open311/v2/requests.{fmt}", params)
            assert answer.status_code == 400, params
            (georeport.check_xml(answer) if fmt == "xml"
             else georeport.check(georeport.ERRORS, answer))


def test_the_list_costs_the_same_statements_for_any_page_size(file, client,
                                                             django_assert_num_queries):
    for i in range(6):
        file(headers={"Idempotency-Key": f"count-{i:04d}"})
    with django_assert_num_queries(1):
        assert len(client.get("/open311/v2/requests.json", {"page_size": "2"}).json()) == 2
    with django_assert_num_queries(1):
        assert len(client.get("/open311/v2/requests.xml", {"page_size": "6"}).content) > 0


def test_other_methods_and_unknown_tokens_answer_in_the_spec_format(client, demo_org):
    answer = client.post("/open311/v2/services.json")
    assert answer.status_code == 405 and answer["Allow"] == "GET"
    georeport.check(georeport.ERRORS, answer)
    for address in ("/open311/v2/requests/QQ-2026-000001%00.json",
                    "/open311/v2/requests.xml?status=open%00", "/open311/v2/services.json?x=%00"):
        answer = client.get(address)  # PostgreSQL refuses NUL: refused before any query
        assert answer.status_code == 400, address
    for token in ("1-unknownkey", "not a token"):
        answer = client.get(f"/open311/v2/tokens/{token}.json")
        assert answer.status_code == 404
        georeport.check(georeport.ERRORS, answer)
