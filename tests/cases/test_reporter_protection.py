"""The reporter of a report of misconduct (举报) is protected for good (issue 13 §1), and a
handling unit may reveal a complaint's reporter to contact the person first (issue 14).

Part one: the five holes a security probe found, one test each (each failed before the
rule moved into qinqing.cases.access and the reporter's own record). Part two: a matrix
of role × field × path over one world built once for the module: who sees each reporter
in clear text (by unmasking), masked, or not at all, or does not see the case.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import transaction
from django.test import Client

from qinqing.cases import confidential, queries, services
from qinqing.cases.errors import Forbidden, InvalidInput
from qinqing.cases.models import Case, CaseEvent, Kind, Reporter, State, UnmaskLog

from .conftest import LEAD, OTHER, case_data

JW = "990000-JW"


def _id_number(prefix17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return prefix17 + "10X98765432"[sum(int(d) * w for d, w in zip(prefix17, weights)) % 11]


# Four people, every field distinct (first characters too, so masked values differ).
PEOPLE = {
    "report": {"name": "欧阳春晓", "phone": "13911110001", "id_number": _id_number("11010519800101001"),
               "contact": "甲区幸福路1号", "enterprise": "甲乙丙商贸有限公司"},
    "merged_own": {"name": "钱多多", "phone": "13922220002",
                   "id_number": _id_number("11010519810202002"),
                   "contact": "乙区和平路2号", "enterprise": "丁戊建材有限公司"},
    "merged_report": {"name": "孙悟净", "phone": "13933330003",
                      "id_number": _id_number("11010519820303003"),
                      "contact": "丙区长安街3号", "enterprise": "己庚物流有限公司"},
    "complaint": {"name": "李慕白", "phone": "13944440004",
                  "id_number": _id_number("11010519830404004"),
                  "contact": "丁区光明路4号", "enterprise": "辛壬餐饮有限公司"},
}
FIELDS = ("name", "phone", "id_number", "contact", "enterprise")
MASK = {"name": confidential.mask_name, "phone": confidential.mask_phone,
        "id_number": confidential.mask_id_number, "contact": confidential.mask_text,
        "enterprise": confidential.mask_text}
# The fields the case page shows (masked): the API shows all five.
PAGE_FIELDS = ("name", "phone", "enterprise")

# Which people each case of the world holds.
CASES = {"report": ["report"], "merged": ["merged_own", "merged_report"],
         "complaint": ["complaint"]}
PROTECTED = {"report", "merged_report"}

# The matrix: what each account may do with each person. clear = sees masked and may
# unmask; masked; none = sees the case but not this person; nocase = does not see the case.
HOTLINE = {"report": "masked", "merged_own": "clear", "merged_report": "masked",
           "complaint": "clear"}
ADMIN = {"report": "none", "merged_own": "masked", "merged_report": "none",
         "complaint": "masked"}
ACCUSED = {"report": "nocase", "merged_own": "nocase", "merged_report": "nocase",
           "complaint": "clear"}
LEAD_OF_REPORT = {"report": "none", "merged_own": "clear", "merged_report": "none",
                  "complaint": "nocase"}
EXPECTED = {
    "intake": HOTLINE, "dispatcher": HOTLINE, "callback": HOTLINE,
    "supervisor": {p: "masked" for p in PEOPLE},
    "inspector": {"report": "clear", "merged_own": "clear", "merged_report": "clear",
                  "complaint": "nocase"},
    # The accused unit (990102-SCJG) of both reports: it leads the ordinary complaint.
    "handler": ACCUSED, "leader": ACCUSED,
    # The unit that leads the report and the case it was merged into (990103-SCJG).
    "handler2": LEAD_OF_REPORT, "leader2": LEAD_OF_REPORT,
    "analyst": {p: "none" for p in PEOPLE},
    "administrator": ADMIN,  # an administrator without the superuser flag
    "admin": ADMIN,  # the demo's administrator, a superuser
    "root": ADMIN,  # a superuser without a role counts as an administrator
}
USERS = list(EXPECTED)
EDITORS = ("supervisor", "analyst", "administrator", "admin", "root")


def _level(username: str, person: str) -> str:
    return EXPECTED[username][person]


def _case_level(username: str, case_key: str) -> str:
    levels = {_level(username, p) for p in CASES[case_key]}
    return "nocase" if "nocase" in levels else "case"


# ------------------------------------------------------------------------- the world

@pytest.fixture(scope="module")
def world(_demo_city, django_db_blocker):
    """Three cases, built once inside a savepoint of the package's transaction:
    - report: a 举报 about 990102-SCJG, dispatched to 990103-SCJG with the commission;
    - merged: a complaint led by 990103-SCJG into which a second 举报 about 990102-SCJG
      was merged (its reporter copied onto the complaint);
    - complaint: an ordinary complaint led by 990102-SCJG.
    Each is listed for supervision, which notifies its lead unit."""
    with django_db_blocker.unblock():
        savepoint = transaction.atomic()
        savepoint.__enter__()
        try:
            result = _build()
        except BaseException:
            transaction.set_rollback(True)
            savepoint.__exit__(None, None, None)
            raise
    yield result
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        savepoint.__exit__(None, None, None)


def _build() -> dict[str, str]:
    from qinqing.org.models import Role, Unit, User
    from qinqing.org.services import ensure_staff
    from qinqing.supervision.services import list_case

    city = Unit.objects.get(code="990000")
    ensure_staff(username="administrator", full_name="管理员乙", unit=city,
                 role=Role.ADMINISTRATOR, password="x")
    User.objects.create(username="root", full_name="超级用户", unit=city, role="",
                        is_superuser=True, is_staff=True)
    get = lambda name: User.objects.select_related("unit").get(username=name)  # noqa: E731
    intake, dispatcher = get("intake"), get("dispatcher")

    def new(kind, person, **extra):
        data = case_data(kind, reporter=dict(PEOPLE[person]), **extra)
        return services.create_case(intake, data).case.number

    def dispatch(number, lead, co=()):
        services.perform(number, "dispatch", dispatcher,
                         {"lead_unit": lead, "co_units": list(co), "reason": "按职责"})

    report = new(Kind.REPORT, "report", category="GBZF-01", subject_unit=LEAD,
                 title="执法人员吃拿卡要", content="检查时暗示企业请吃饭。")
    dispatch(report, OTHER, [JW])
    merged = new(Kind.COMPLAINT, "merged_own")
    dispatch(merged, OTHER)
    second = new(Kind.REPORT, "merged_report", category="GBZF-01", subject_unit=LEAD,
                 title="同一执法人员吃拿卡要", content="同一人再次暗示请吃饭。")
    services.perform(second, "merge", intake, {"into": merged, "reason": "同一事项"})
    complaint = new(Kind.COMPLAINT, "complaint")
    dispatch(complaint, LEAD)
    supervisor = get("supervisor")
    for number in (report, merged, complaint):
        list_case(number, supervisor, deadline=date.today(), reason="督办")
    return {"report": report, "merged": merged, "complaint": complaint, "second": second}


@pytest.fixture
def user(world, db):
    from qinqing.org.models import User

    return lambda username: User.objects.select_related("unit").get(username=username)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {services.issue_token(user)}"}


def _text(response) -> str:
    """A JSON answer as text, its Chinese unescaped (so a value can be looked for)."""
    return json.dumps(response.json(), ensure_ascii=False)


def _clear(person: str) -> list[str]:
    return [PEOPLE[person][f] for f in FIELDS]


def _masked(person: str, fields=FIELDS) -> list[str]:
    return [MASK[f](PEOPLE[person][f]) for f in fields]


def _no_clear_values(text: str, people=PEOPLE) -> None:
    for person in people:
        for value in _clear(person):
            # (A masked value never contains its whole clear value.)
            assert value not in text, (person, value)


# ------------------------------------------------------------- part one: the holes

@pytest.fixture
def report(world, user):
    """A fresh 举报 about 990102-SCJG, received, with its reporter."""
    data = case_data(Kind.REPORT, category="GBZF-01", subject_unit=LEAD,
                     reporter=dict(PEOPLE["report"]), title="窗口索要好处",
                     content="窗口人员暗示需要好处费。")
    return services.create_case(user("intake"), data).case


def _dispatch(number, user, lead, co=()):
    services.perform(number, "dispatch", user("dispatcher"),
                     {"lead_unit": lead, "co_units": list(co), "reason": "按职责"})


def test_1_merge_never_carries_a_reporter_to_the_accused_unit(report, user):
    # A complaint led by the accused unit: the report may not be merged into it.
    target = services.create_case(user("intake"), case_data(
        reporter=dict(PEOPLE["complaint"]))).case
    _dispatch(target.number, user, LEAD)
    with pytest.raises(InvalidInput) as refused:
        services.perform(report.number, "merge", user("intake"), {"into": target.number})
    assert "into" in refused.value.fields
    assert Reporter.objects.filter(case=target).count() == 1
    assert Case.objects.get(pk=report.pk).state == State.RECEIVED
    # Nor into a case the accused unit helps with (a co-unit inside it).
    helper = services.create_case(user("intake"), case_data()).case
    _dispatch(helper.number, user, OTHER, [LEAD])
    with pytest.raises(InvalidInput):
        services.perform(report.number, "merge", user("intake"), {"into": helper.number})
    # Merged elsewhere, the reporter stays protected on the complaint: the hotline can
    # unmask the complaint's own reporter there, never the report's.
    elsewhere = services.create_case(user("intake"), case_data(
        reporter=dict(PEOPLE["merged_own"]))).case
    services.perform(report.number, "merge", user("intake"), {"into": elsewhere.number})
    copy = Reporter.objects.get(case=elsewhere, merged_from=report)
    assert copy.protected and copy.accused_unit.code == LEAD
    # The complaint, now holding a protected reporter, cannot go to the accused unit.
    with pytest.raises(InvalidInput):
        _dispatch(elsewhere.number, user, LEAD)
    _dispatch(elsewhere.number, user, OTHER)
    for name in ("intake", "dispatcher", "callback", "handler2"):
        shown = services.unmask_reporters(elsewhere.number, user(name), "联系投诉人")
        assert [r["name"] for r in shown] == [PEOPLE["merged_own"]["name"]], name
    shown = services.unmask_reporters(elsewhere.number, user("inspector"), "核查")
    assert {r["name"] for r in shown} == {PEOPLE["merged_own"]["name"],
                                          PEOPLE["report"]["name"]}


def test_2_reclassifying_a_report_is_the_commissions_and_protection_stays(report, user):
    for name in ("intake", "dispatcher"):
        with pytest.raises(Forbidden) as refused:
            services.perform(report.number, "edit", user(name),
                             {"fields": {"kind": "complaint"}, "reason": "应为投诉"})
        assert "纪委" in _zh(refused.value) or refused.value.code == "protected_reporter"
    assert Case.objects.get(pk=report.pk).kind == Kind.REPORT
    with pytest.raises(Forbidden):
        services.reclassify_report(report.number, user("dispatcher"), reason="应为投诉",
                                   kind=Kind.COMPLAINT)
    # The commission may, with a reason on the timeline; the reporter stays protected.
    services.reclassify_report(report.number, user("inspector"), reason="经核实属投诉",
                               kind=Kind.COMPLAINT)
    case = Case.objects.get(pk=report.pk)
    assert case.kind == Kind.COMPLAINT
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.action, event.reason, event.data["changes"]["kind"]) == (
        "reclassify", "经核实属投诉", {"from": "report", "to": "complaint"})
    with pytest.raises(InvalidInput):
        _dispatch(report.number, user, LEAD)
    with pytest.raises(InvalidInput):
        _dispatch(report.number, user, "990102", [LEAD])  # co-assigning, from above
    _dispatch(report.number, user, OTHER)
    assert queries.masked_reporters(Case.objects.get(pk=report.pk), user("handler2")) is None


def test_3_clearing_the_accused_unit_does_not_open_the_way_to_it(report, user):
    for name in ("intake", "dispatcher"):
        with pytest.raises(Forbidden):
            services.perform(report.number, "edit", user(name),
                             {"fields": {"subject_unit": None}, "reason": "填错了"})
        with pytest.raises(Forbidden):
            services.perform(report.number, "edit", user(name),
                             {"fields": {"subject_unit": OTHER}, "reason": "填错了"})
    assert Case.objects.get(pk=report.pk).subject_unit.code == LEAD
    # Even the commission clearing it leaves the reporter protected against that unit.
    services.reclassify_report(report.number, user("inspector"), reason="被举报单位待核实",
                               clear_subject=True)
    assert Case.objects.get(pk=report.pk).subject_unit is None
    below = "990102"  # the county above is not inside the accused unit: allowed
    for lead in (LEAD,):
        with pytest.raises(InvalidInput):
            _dispatch(report.number, user, lead)
    _dispatch(report.number, user, below)
    case = Case.objects.get(pk=report.pk)
    assert case.state == State.DISPATCHED
    # The accused unit's staff never see it.
    for name in ("handler", "leader"):
        assert queries.case_detail(user(name), report.number) is None


def test_4_the_typical_case_check_is_no_name_oracle(world, user):
    from qinqing.insights import services as insights
    from qinqing.insights.models import TypicalCase

    number = world["report"]
    right = PEOPLE["report"]["name"]
    for name in EDITORS:
        answers = []
        for guess in (right, "王小明", "某某"):
            with pytest.raises(Forbidden) as refused:
                insights.mark_typical(user(name), number, title="窗口作风问题",
                                      summary=f"{guess}反映窗口作风问题，已查实处理。")
            answers.append((type(refused.value), refused.value.message, refused.value.fields))
        assert len(set(map(repr, answers))) == 1, (name, answers)
    assert not TypicalCase.objects.exists()
    # The same for a complaint holding a protected reporter (merged in).
    with pytest.raises(Forbidden):
        insights.mark_typical(user("analyst"), world["merged"], title="t", summary="某某反映")
    # An ordinary complaint keeps its check against the reporter's name.
    with pytest.raises(InvalidInput):
        insights.mark_typical(user("analyst"), world["complaint"], title="执照超期",
                              summary=f"{PEOPLE['complaint']['name']}反映执照超期")


def test_5_superusers_follow_the_rule_of_their_role(world, user, client):
    for name in ("admin", "root", "administrator"):
        staff = user(name)
        for key in ("report",):
            case = queries.case_detail(staff, world[key])
            assert case is not None  # administrators see the case ...
            assert queries.masked_reporters(case, staff) is None  # ... not its reporter
            body = client.get(f"/api/v1/cases/{world[key]}", **_bearer(staff)).json()
            assert body["reporters"] is None
            with pytest.raises(Forbidden):
                services.unmask_reporters(world[key], staff, "系统维护")
        # The complaint with a merged report: its own reporter masked, the other hidden.
        case = queries.case_detail(staff, world["merged"])
        assert [r["name"] for r in queries.masked_reporters(case, staff)] == [
            MASK["name"](PEOPLE["merged_own"]["name"])]
    assert not UnmaskLog.objects.exists()


def _zh(error) -> str:
    from django.utils import translation

    with translation.override("zh-hans"):
        return str(error.message)


def test_refusals_are_in_chinese(report, user):
    from django.utils import translation

    with translation.override("zh-hans"):
        with pytest.raises(Forbidden) as refused:
            services.perform(report.number, "edit", user("intake"),
                             {"fields": {"kind": "complaint"}})
        assert refused.value.message == "只有纪委监委可以更改举报的类型或被举报单位。"
        with pytest.raises(InvalidInput) as refused:
            _dispatch(report.number, user, LEAD)
        assert "不能派给被举报单位" in refused.value.fields["lead_unit"]


def test_a_returned_complaint_that_becomes_a_report_leaves_the_unit(world, user):
    """Made a report after it was routed: the unit it is about loses sight of it and the
    dispatcher cannot uphold the unit's objection (that would hand it back)."""
    case = services.create_case(user("intake"), case_data(
        reporter=dict(PEOPLE["complaint"]))).case
    _dispatch(case.number, user, LEAD)
    services.perform(case.number, "return", user("handler"), {"reason": "不属于本单位"})
    services.perform(case.number, "edit", user("dispatcher"), {
        "fields": {"kind": "report", "category": "GBZF-01", "subject_unit": LEAD},
        "reason": "实为举报"})
    assert Reporter.objects.get(case=case).protected
    assert queries.case_detail(user("handler"), case.number) is None
    with pytest.raises(InvalidInput):
        services.perform(case.number, "redispatch", user("dispatcher"),
                         {"lead_unit": LEAD, "reason": "维持"})


def test_unit_staff_may_reveal_a_complaints_reporter_to_contact_first(world, user):
    number = world["complaint"]
    for name in ("handler", "leader"):
        shown = services.unmask_reporters(number, user(name), "先行联系企业")
        assert shown[0]["phone"] == PEOPLE["complaint"]["phone"]
    assert UnmaskLog.objects.filter(case__number=number).count() == 2
    # Not a praise's, and never without a reason.
    praise = services.create_case(user("intake"), case_data("praise")).case
    _dispatch(praise.number, user, LEAD)
    with pytest.raises(Forbidden):
        services.unmask_reporters(praise.number, user("handler"), "联系")
    with pytest.raises(InvalidInput):
        services.unmask_reporters(number, user("handler"), " ")


# ------------------------------------------------------------- part two: the matrix

MATRIX = [(u, c) for u in USERS for c in CASES]


@pytest.mark.parametrize("username,case_key", MATRIX)
def test_api_case_detail(world, user, client, username, case_key):
    staff = user(username)
    response = client.get(f"/api/v1/cases/{world[case_key]}", **_bearer(staff))
    if _case_level(username, case_key) == "nocase":
        assert response.status_code == 404
        return
    body = _text(response)
    _no_clear_values(body)
    for person in CASES[case_key]:
        masked = _masked(person)
        if _level(username, person) in ("clear", "masked"):
            for value in masked:
                assert value in body, (person, value)
        else:
            for value in _masked(person, ("name", "phone", "id_number")):
                assert value not in body, (person, value)


@pytest.mark.parametrize("username,case_key", MATRIX)
def test_api_unmask(world, user, client, username, case_key):
    staff = user(username)
    response = client.post(f"/api/v1/cases/{world[case_key]}/unmask",
                           {"reason": "核实身份"}, content_type="application/json",
                           **_bearer(staff))
    if _case_level(username, case_key) == "nocase":
        assert response.status_code == 404
        return
    revealed = [p for p in CASES[case_key] if _level(username, p) == "clear"]
    if not revealed:
        assert response.status_code == 403
        assert not UnmaskLog.objects.exists()
        _no_clear_values(_text(response))
        return
    assert response.status_code == 200
    got = {r["name"]: r for r in response.json()}
    assert set(got) == {PEOPLE[p]["name"] for p in revealed}
    for person in revealed:
        assert [got[PEOPLE[person]["name"]][f] for f in FIELDS] == _clear(person)
    assert UnmaskLog.objects.filter(user=staff).count() == len(revealed)


@pytest.mark.parametrize("username,case_key", MATRIX)
def test_case_page(world, user, username, case_key):
    response = _client(user(username)).get(f"/cases/{world[case_key]}/")
    if _case_level(username, case_key) == "nocase":
        assert response.status_code == 404
        return
    body = response.content.decode()
    _no_clear_values(body)
    for person in CASES[case_key]:
        if _level(username, person) in ("clear", "masked"):
            for value in _masked(person, PAGE_FIELDS):
                assert value in body, (person, value)
        else:
            for value in _masked(person, ("name", "phone")):
                assert value not in body, (person, value)
    may_reveal = any(_level(username, p) == "clear" for p in CASES[case_key])
    assert (f"/cases/{world[case_key]}/reveal/" in body) == may_reveal


@pytest.mark.parametrize("username", USERS)
def test_lists_and_search(world, user, client, username):
    staff = user(username)
    listed = _text(client.get("/api/v1/cases?limit=200", **_bearer(staff)))
    page = _client(staff).get("/cases/").content.decode()
    for case_key in CASES:
        shown = _case_level(username, case_key) != "nocase"
        assert (world[case_key] in listed) == shown, case_key
        assert (world[case_key] in page) == shown, case_key
    for text in (listed, page):
        _no_clear_values(text)
        for person in PEOPLE:
            for value in _masked(person, ("name", "phone", "id_number")):
                assert value not in text, (person, value)


@pytest.mark.parametrize("username", USERS)
def test_finding_cases_by_a_reporters_phone(world, user, username):
    from qinqing.intake.queries import earlier_cases

    staff = user(username)
    for case_key, people in CASES.items():
        for person in people:
            found = [c.number for c in earlier_cases(staff, PEOPLE[person]["phone"])[0]]
            # Someone who may not see protected reporters finds no protected case by
            # phone at all (not even by its other, ordinary reporter's phone).
            protected_case = any(p in PROTECTED for p in people)
            blind = _level(username, "report") in ("none", "nocase")
            expected = (_level(username, person) != "nocase"
                        and not (protected_case and blind))
            assert (world[case_key] in found) == expected, (case_key, person)


@pytest.mark.parametrize("username", EDITORS)
def test_typical_case_pages(world, user, username):
    client = _client(user(username))
    for case_key in CASES:
        body = client.get(f"/insights/typical/{world[case_key]}/").content.decode()
        _no_clear_values(body, [p for p in PEOPLE if p not in CASES[case_key]])
        for person in CASES[case_key]:
            for value in _clear(person) + _masked(person, ("name", "phone", "id_number")):
                assert value not in body, (case_key, person, value)


@pytest.mark.parametrize("username", USERS)
def test_notification_texts(world, user, username):
    from qinqing.notifications.models import Notification

    staff = user(username)
    texts = "\n".join(f"{n.title}\n{n.body}" for n in Notification.objects.filter(
        recipient=staff))
    _no_clear_values(texts)
    for person in PEOPLE:
        for value in _masked(person, ("name", "phone")):
            assert value not in texts
    numbers = set(Notification.objects.filter(recipient=staff, case__isnull=False)
                  .values_list("case__number", flat=True))
    for case_key in CASES:
        if _case_level(username, case_key) == "nocase":
            assert world[case_key] not in numbers, case_key


def test_the_world_is_what_the_matrix_says(world, user):
    """The world the matrix reads: a protected copy on the complaint, nothing protected
    on the ordinary complaint, and each case's lead unit notified."""
    merged = Case.objects.get(number=world["merged"])
    rows = {confidential.decrypt(r.name_enc): r for r in merged.reporters.all()}
    assert rows[PEOPLE["merged_report"]["name"]].protected
    assert not rows[PEOPLE["merged_own"]["name"]].protected
    assert not Reporter.objects.filter(case__number=world["complaint"], protected=True).exists()
    from qinqing.notifications.models import Notification

    assert Notification.objects.filter(recipient=user("handler2"),
                                       case__number=world["report"]).exists()
    assert Notification.objects.filter(recipient=user("handler"),
                                       case__number=world["complaint"]).exists()


def test_the_commission_corrects_a_report_from_its_page(report, user):
    from django.utils import translation

    url = f"/cases/{report.number}/reclassify/"
    inspector = _client(user("inspector"))
    assert url in inspector.get(f"/cases/{report.number}/").content.decode()
    for name in ("dispatcher", "intake", "admin"):
        client = _client(user(name))
        assert url not in client.get(f"/cases/{report.number}/").content.decode()
        assert client.post(url, {"kind": "complaint", "reason": "改"}).status_code == 403
    with translation.override("zh-hans"):
        refused = inspector.post(url, {"subject_unit": "NOPE", "reason": "更正"})
    assert refused.status_code == 422
    response = inspector.post(url, {"kind": "complaint", "subject_unit": OTHER,
                                    "reason": "经核实属投诉"})
    assert response.status_code == 302
    case = Case.objects.get(pk=report.pk)
    assert (case.kind, case.subject_unit.code) == (Kind.COMPLAINT, OTHER)
    # Protected for good, now against the corrected unit.
    assert Reporter.objects.get(case=case).accused_unit.code == OTHER
    with pytest.raises(InvalidInput):
        _dispatch(report.number, user, OTHER)
