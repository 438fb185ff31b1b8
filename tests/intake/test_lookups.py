"""The page's look-ups: pinyin pickers, a caller's earlier cases, possible duplicates."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.intake.conftest import PHONE


# ---------------------------------------------------------------------- pickers

def test_pinyin_initials_find_approval_services(demo_org):
    from qinqing.intake.queries import category_options, resolve_option, search_options

    options = category_options()
    found = search_options(options, "spfw")
    names = [o.display for o in found]
    assert names[0] == "审批服务"
    assert "审批服务 / 办理时限超期" in names and len(found) == 6  # the branch and its five
    assert all(o.value.startswith("SPFW") for o in found)
    # Initials of a subcategory, full pinyin, Chinese, codes: all find it.
    for typed in ("blsxcq", "banlishixian", "时限超期", "SPFW-01", "spfw 01"):
        assert "SPFW-01" in [o.value for o in search_options(options, typed)], typed
    assert resolve_option(options, "spfwblsxcq") == "SPFW-01"  # unique: taken
    assert resolve_option(options, "shenpi") is None  # six: the agent must pick
    assert resolve_option(options, "spfw") == "SPFW"  # the branch's own code
    assert resolve_option(options, "审批服务 / 办理时限超期") == "SPFW-01"
    assert resolve_option(options, "spfw-01") == "SPFW-01"


def test_kind_picker_finds_chinese_initials_in_any_language(demo_org):
    from django.utils import translation

    from qinqing.intake.queries import kind_options, resolve_option

    for language in ("zh-hans", "en"):
        with translation.override(language):
            options = kind_options()
            assert resolve_option(options, "zx") == "consultation"
            assert resolve_option(options, "ts") == "complaint"
            assert resolve_option(options, "jubao") == "report"
    with translation.override("en"):
        assert resolve_option(kind_options(), "Consultation") == "consultation"


# ---------------------------------------------------------------- earlier cases

def test_earlier_cases_found_by_phone_without_decrypting(agent, register, monkeypatch,
                                                         django_assert_max_num_queries):
    from qinqing.cases import confidential

    mine = [register(title=f"第{i}次来电") for i in range(3)]
    other = register(phone="13900000000", title="别人的来电")

    def no_decrypt(token):
        raise AssertionError("the look-up must not decrypt anything")

    monkeypatch.setattr(confidential, "decrypt", no_decrypt)
    with django_assert_max_num_queries(5):
        response = agent.get("/intake/caller/", {"phone": "+86 138-1234-5678"})
    html = response.content.decode()
    assert response.status_code == 200
    for case in mine:
        assert f'data-case="{case.number}"' in html
    assert other.number not in html
    assert PHONE not in html and "张三丰" not in html  # nothing about the caller is echoed


def test_earlier_cases_only_those_the_agent_may_see(login, register, user):
    from qinqing.cases import services

    city = register(title="市级热线受理")  # the city hotline's case: not the county's
    county = services.create_case(user("intake_cty"), {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01", "content": "县级热线受理",
        "reporter": {"phone": PHONE}}).case
    html = login("intake_cty").get("/intake/caller/", {"phone": PHONE}).content.decode()
    assert county.number in html and city.number not in html
    html = login("intake").get("/intake/caller/", {"phone": PHONE}).content.decode()
    assert county.number in html and city.number in html


def test_earlier_cases_limited_and_none_said(agent, register):
    from qinqing.intake.queries import EARLIER_LIMIT

    for _ in range(EARLIER_LIMIT + 2):
        register()
    html = agent.get("/intake/caller/", {"phone": PHONE}).content.decode()
    assert html.count("data-case=") == EARLIER_LIMIT
    html = agent.get("/intake/caller/", {"phone": "13700000000"}).content.decode()
    assert 'data-testid="earlier-none"' in html


def test_lookups_refused_to_other_roles(login):
    client = login("handler")
    assert client.get("/intake/caller/", {"phone": PHONE}).status_code == 403
    assert client.post("/intake/similar/", {"phone": PHONE}).status_code == 403


# -------------------------------------------------------------- possible duplicates

def similar(user, **kwargs):
    from qinqing.intake.queries import similar_cases

    return {s.case.number: s for s in similar_cases(user, **kwargs)}


def test_similar_finds_the_same_callers_recent_open_case(register, user):
    now = timezone.now()
    recent = register(now=now - timedelta(days=3), category="ZFJG-01", content="检查太多。")
    old = register(now=now - timedelta(days=40))
    other = register(phone="13900000000", category="ZFJG-01", content="别的事情，另一个人。")
    found = similar(user("intake"), phone=PHONE, text="营业执照还没办好", category="SPFW-01")
    assert recent.number in found and found[recent.number].same_caller
    assert old.number not in found  # older than 30 days
    assert other.number not in found


def test_similar_skips_closed_cases(register, user):
    from qinqing.cases import services

    case = register(kind="consultation")
    services.perform(case.number, "answer", user("intake"), {"answer": "已告知。"})
    assert case.number not in similar(user("intake"), phone=PHONE)


def test_similar_finds_the_same_enterprise_and_similar_text(register, user):
    same_ent = register(phone="13900000001", enterprise_name="示范市清风商贸有限公司",
                        content="完全不同的一件事情。", category="ZFJG-01")
    same_text = register(phone="13900000002", category="SPFW-02",
                         content="在政务服务中心办理食品经营许可，窗口要求重复提交营业执照复印件，跑了三趟。")
    unrelated = register(phone="13900000003", category="SPFW-05",
                         content="窗口工作人员态度生硬，边玩手机边回答。")
    found = similar(user("intake"), enterprises=["示范市清风商贸有限公司 "],
                    text="办理食品经营许可时窗口要求重复提交营业执照复印件，已经跑了三趟",
                    category="SPFW-02")
    assert found[same_ent.number].same_enterprise
    assert found[same_text.number].text_match and not found[same_text.number].same_caller
    assert unrelated.number not in found


def test_similar_endpoint_bounded_queries(agent, register, django_assert_max_num_queries):
    for i in range(15):
        register(content=f"申请营业执照已超过承诺时限仍未办结，第{i}次反映。")
    data = {"phone": PHONE, "enterprise_name": "示范市清风商贸有限公司",
            "content": "申请营业执照已超过承诺时限仍未办结。", "category": "审批服务 / 办理时限超期",
            "region": "990102"}
    with django_assert_max_num_queries(6):
        response = agent.post("/intake/similar/", data)
    assert response.status_code == 200
    assert 'data-testid="similar-count"' in response.content.decode()
    with django_assert_max_num_queries(6):
        assert agent.get("/intake/similar/", data).status_code == 200


def test_similar_says_when_nothing_looks_alike(agent):
    html = agent.post("/intake/similar/", {"phone": "13700000009"}).content.decode()
    assert 'data-testid="similar-none"' in html


def test_text_similarity_of_rewordings():
    from qinqing.intake.queries import SIMILAR_TEXT_SCORE, text_similarity

    a = "申请食品经营许可已超过承诺时限仍未办结，门店无法开业。"
    b = "食品经营许可申请超过承诺时限还没有办结，店开不了业。"
    c = "执法人员一个月内多次重复检查，影响正常经营。"
    assert text_similarity(a, b) >= SIMILAR_TEXT_SCORE > text_similarity(a, c)
    assert text_similarity("", a) == 0.0


def test_a_report_is_never_found_by_its_reporters_phone_by_unit_staff(register, user):
    from qinqing.cases import services
    from qinqing.intake.queries import earlier_cases

    report = register(kind="report", category="GBZF-01", content="某科室工作人员吃拿卡要。")
    complaint = register()
    for case in (report, complaint):
        services.perform(case.number, "dispatch", user("dispatcher"), {"lead_unit": "990102-SCJG"})
    seen, _more = earlier_cases(user("handler"), PHONE)
    assert complaint in seen and report not in seen
    seen, _more = earlier_cases(user("intake"), PHONE)
    assert complaint in seen and report in seen
