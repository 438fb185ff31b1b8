"""The intake form: save, answer a consultation, refuse bad input, survive a double submit."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.intake.conftest import PHONE, form_data

URL = "/intake/new/"


def field_block(html: str, name: str) -> str:
    """The markup of one field's block (label, input, help, errors) on the page."""
    start = html.index(f'id="id_{name}"')
    opening = html.rindex('<div class="field', 0, start)
    return html[opening:html.index("</div>", start)]


def saved_number(response) -> str:
    found = re.search(r'data-testid="case-number"><a [^>]*>(QQ-\d{4}-\d{6})<',
                      response.content.decode())
    return found.group(1)


def test_url_name():
    assert reverse("intake:new") == URL


def test_form_page_is_keyboard_first(agent, django_assert_max_num_queries):
    # 7: the six of the form, and the header's unread-notifications badge (one COUNT).
    with django_assert_max_num_queries(7):
        response = agent.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    # The phone field has the focus, every visible control a label.
    assert re.search(r'<input[^>]*name="phone"[^>]*autofocus', html)
    controls = re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="(id_\w+)"', html)
    hidden = set(re.findall(r'<input type="hidden"[^>]*id="(id_\w+)"', html))
    for control in set(controls) - hidden:
        assert f'for="{control}"' in html, control
    # The pickers are comboboxes with their options on the page, pinyin keys included.
    assert re.search(r'<input[^>]*name="category"[^>]*role="combobox"', html)
    assert 'id="category-options"' in html and "spfw" in html
    assert re.search(r'name="idempotency_key" value="[\w-]{16,}"', html)


def test_only_hotline_roles(login):
    assert login("handler").get(URL).status_code == 403
    assert login("dispatcher").get(URL).status_code == 200


def test_save_shows_number_and_query_code(agent, demo_org):
    from qinqing.cases import confidential
    from qinqing.cases.models import Case, Reporter

    response = agent.post(URL, form_data())
    assert response.status_code == 201
    html = response.content.decode()
    number = saved_number(response)
    code = "".join(re.search(r'data-testid="query-code"[^>]*>(.*?)</dd>', html).group(1)
                   .replace("<span>", "").split("</span>"))
    case = Case.objects.get(number=number)
    assert len(code) == confidential.QUERY_CODE_LENGTH == 11 and confidential.query_code_hash(case.pk, code) == case.query_code_hash
    assert case.kind == "complaint" and case.category.code == "SPFW-01"
    assert case.state == "received" and case.channel == "hotline"
    assert case.created_by.username == "intake"
    # What the caller said is kept encrypted, found by the phone's keyed hash.
    reporter = Reporter.objects.get(case=case)
    assert reporter.phone_index == confidential.phone_index(PHONE)
    assert PHONE not in reporter.phone_enc and confidential.decrypt(reporter.phone_enc) == PHONE
    # "Register another" takes the focus; the reporter is not echoed.
    assert re.search(r'<button[^>]*autofocus[^>]*data-testid="register-another"', html)
    assert PHONE not in html and "张三丰" not in html


def test_consultation_answered_in_the_same_form_is_closed(agent, demo_org):
    from qinqing.cases.models import Case

    response = agent.post(URL, form_data(
        kind="zx", category="QT-01", content="请问企业开办需要哪些材料？",
        answer="已告知：企业开办一网通办，一个工作日办结。"))
    assert response.status_code == 201
    case = Case.objects.get(number=saved_number(response))
    assert case.kind == "consultation"
    assert case.state == "closed" and case.outcome == "direct_answer"
    assert case.answer == "已告知：企业开办一网通办，一个工作日办结。"
    events = case.events.order_by("seq").values_list("action", flat=True)
    assert list(events) == ["create", "answer"]
    assert 'data-testid="case-outcome"' in response.content.decode()


def test_a_refused_answer_leaves_the_case_registered_and_says_so(agent, demo_org, monkeypatch):
    from qinqing.cases import services as case_services
    from qinqing.cases.errors import NotAllowedInState
    from qinqing.cases.models import Case

    def refuse(*args, **kwargs):
        raise NotAllowedInState("答复暂时无法记录。")

    monkeypatch.setattr(case_services, "perform", refuse)
    response = agent.post(URL, form_data(kind="consultation", category="QT-01",
                                         answer="已告知。"))
    assert response.status_code == 201
    html = response.content.decode()
    assert 'data-testid="answer-error"' in html and "答复暂时无法记录。" in html
    case = Case.objects.get(number=saved_number(response))
    assert case.state == "received" and case.content  # nothing the caller said is lost


BAD_INPUT = [
    ("content", {"content": ""}, "请填写诉求内容。"),
    ("category", {"category": "没有这个分类"}, None),
    ("phone", {"phone": "12-34"}, None),
    ("kind", {"kind": "something"}, None),
    ("answer", {"kind": "投诉", "answer": "已告知。"}, None),
    ("id_number", {"id_number": "110105194912310021"}, None),  # checked by the service
    ("subject_unit", {"subject_unit": "NO-SUCH-UNIT"}, None),  # checked by the service
]


@pytest.mark.parametrize("field, bad, message", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_is_refused_next_to_the_field_and_kept(agent, demo_org, field, bad, message):
    from qinqing.cases.models import Case, CaseEvent, Reporter

    before = (Case.objects.count(), Reporter.objects.count(), CaseEvent.objects.count())
    data = form_data(**bad)
    response = agent.post(URL, data)
    assert response.status_code == 422
    html = response.content.decode()
    block = field_block(html, field)
    assert 'class="error"' in block and 'aria-invalid="true"' in block
    if message:
        assert message in block
    # Every other field keeps what was typed.
    for name in ("phone", "name", "category", "enterprise_name"):
        if name != field:
            assert f'value="{data[name]}"' in field_block(html, name), name
    assert data["content"] in html
    assert (Case.objects.count(), Reporter.objects.count(), CaseEvent.objects.count()) == before


def test_several_mistakes_show_at_once(agent, demo_org):
    response = agent.post(URL, form_data(content="", category="??", phone="1"))
    html = response.content.decode()
    for name in ("content", "category", "phone"):
        assert 'class="error"' in field_block(html, name), name


def test_double_submit_makes_one_case(agent, demo_org):
    from qinqing.cases.models import Case

    first = agent.post(URL, form_data(idempotency_key="double-1"))
    second = agent.post(URL, form_data(idempotency_key="double-1"))
    assert first.status_code == 201 and second.status_code == 200
    assert saved_number(first) == saved_number(second)
    assert Case.objects.filter(intake_key__endswith=":double-1").count() == 1
    # The second answer shows the same query code, to read out again.
    code = re.compile(r'data-testid="query-code".*?</dd>', re.S)
    shown = [code.search(r.content.decode()).group(0) for r in (first, second)]
    assert shown[0] == shown[1]


def test_double_submit_of_an_answered_consultation_answers_once(agent, demo_org):
    from qinqing.cases.models import Case

    data = form_data(kind="consultation", category="QT-01", answer="已告知。",
                     idempotency_key="double-2")
    agent.post(URL, data)
    second = agent.post(URL, data)
    assert second.status_code == 200
    case = Case.objects.get(number=saved_number(second))
    assert case.state == "closed" and case.events.filter(action="answer").count() == 1


def test_a_saved_form_changed_and_sent_again_is_not_silently_merged(agent, demo_org):
    from qinqing.cases.models import Case

    first = agent.post(URL, form_data(idempotency_key="reused-1"))
    changed = agent.post(URL, form_data(idempotency_key="reused-1", content="另一件事：窗口态度差。"))
    assert changed.status_code == 409
    html = changed.content.decode()
    assert saved_number(first) in html  # which case the form became
    assert 'value="reused-1"' not in html  # a fresh key: saving again registers a new one
    assert "另一件事：窗口态度差。" in html
    assert Case.objects.filter(content__startswith="另一件事").count() == 0


def test_missing_key_still_saves(agent, demo_org):
    response = agent.post(URL, form_data(idempotency_key=""))
    assert response.status_code == 201


def test_anonymous_caller_keeps_nothing(agent, demo_org):
    from qinqing.cases.models import Case

    response = agent.post(URL, form_data(anonymous="on"))
    case = Case.objects.get(number=saved_number(response))
    assert case.is_anonymous and not case.reporters.exists()


def test_pickers_take_codes_labels_and_unique_searches(agent, demo_org):
    from qinqing.cases.models import Case

    response = agent.post(URL, form_data(kind="complaint", category="spfw-01",
                                         subject_unit="990102-XZSP", region="990102",
                                         urgent="on"))
    case = Case.objects.get(number=saved_number(response))
    assert case.category.code == "SPFW-01" and case.subject_unit.code == "990102-XZSP"
    assert case.region.code == "990102" and case.urgency == "urgent"


def test_similar_cases_offered_for_merging_after_save(agent, register, demo_org):
    earlier = register(content="申请食品经营许可已超过承诺时限仍未办结。")
    response = agent.post(URL, form_data())
    html = response.content.decode()
    assert f'data-case="{earlier.number}"' in html
    assert f'name="merge-into" value="{earlier.number}"' in html


def test_merge_button_of_the_result_page_merges_the_new_case(agent, register, demo_org):
    from qinqing.cases.models import Case

    earlier = register(content="申请食品经营许可已超过承诺时限仍未办结。")
    response = agent.post(URL, form_data())
    html = response.content.decode()
    number = saved_number(response)
    action = re.search(r'<form method="post" action="([^"]+)" class="inline">', html).group(1)
    reason = re.search(r'name="merge-reason" value="([^"]+)"', html).group(1)
    asked = agent.post(action, {"merge-into": earlier.number, "merge-reason": reason})
    assert asked.status_code == 200 and 'data-testid="confirm-merge"' in asked.content.decode()
    assert Case.objects.get(number=number).state != "closed"  # one click does not merge
    merged = agent.post(action, {"merge-into": earlier.number, "merge-reason": reason,
                                 "merge-confirm": "1"})
    assert merged.status_code == 302
    case = Case.objects.get(number=number)
    assert case.state == "closed" and case.outcome == "merged"
    assert case.merged_into_id == earlier.pk


def test_a_long_text_is_refused_with_a_message_and_kept_not_cut(agent, demo_org, settings):
    """A 20,000-character paste was cut to 5,000 by the browser's maxlength and saved
    without a word. The limit is now checked by the server (one setting), which keeps the
    whole text in the box and says, in Chinese, how long it is and what the limit is."""
    from qinqing.cases.models import Case

    html = agent.get(URL).content.decode()
    box = re.search(r'<textarea[^>]*name="content"[^>]*>', html).group(0)
    assert "maxlength" not in box
    assert f'data-max-chars="{settings.QINQING_CONTENT_MAX_CHARS}"' in box
    assert "web/counter.js" in html  # the live counter
    assert not re.search(r"<(?:input|textarea)[^>]*maxlength", html)

    pasted = "企业反映审批超时。" * 2223  # 20,007 characters
    before = Case.objects.count()
    response = agent.post(URL, form_data(content=pasted))
    assert response.status_code == 422
    assert Case.objects.count() == before
    page = response.content.decode()
    message = re.search(r'id="id_content_error"[^>]*>([^<]+)<', page).group(1)
    assert "5000" in message and str(len(pasted)) in message and "保留" in message
    assert pasted in page  # the text stays in the box, whole

    # The limit is the setting's: raised, the same text is saved whole.
    settings.QINQING_CONTENT_MAX_CHARS = 30_000
    response = agent.post(URL, form_data(content=pasted, idempotency_key="long-1"))
    assert response.status_code == 201, response.content.decode()[:2000]
    assert Case.objects.get(number=saved_number(response)).content == pasted
