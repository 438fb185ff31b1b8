"""Each move is declared once (issue 15): its row of the transition table names its
payload model, and the API's body, the case page's form and services.perform validate
through that one model, with the limits of qinqing.limits."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from qinqing import limits
from qinqing.cases import schemas, services
from qinqing.cases.errors import InvalidInput
from qinqing.cases.forms import ACTION_FORMS
from qinqing.cases.models import CaseEvent, State
from qinqing.cases.transitions import TABLE


def test_every_row_names_its_payload_and_handler_and_every_form_its_row():
    for name, move in TABLE.items():
        assert issubclass(move.payload, schemas.MoveIn), name
        assert callable(move.handler), name
        # `requires` is read from the model (imports check a plan's steps with it).
        assert move.requires == tuple(f for f, info in move.payload.model_fields.items()
                                      if info.is_required())
    assert set(ACTION_FORMS) == set(TABLE) - {"edit", "reopen"}
    for name, form in ACTION_FORMS.items():
        assert form.move == name


def _events(case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("action",
                                                                                 flat=True))


def test_a_dict_is_validated_once_through_the_moves_model(make_case, user):
    case = make_case("dispatched")
    before = _events(case)
    handler = user("handler")
    with pytest.raises(InvalidInput) as refused:
        services.perform(case.number, "return", handler, {"reason": "长" * (limits.NOTE + 1)})
    assert refused.value.fields == {"reason": limits.too_long(limits.NOTE)}
    with pytest.raises(InvalidInput) as refused:
        services.perform(case.number, "return", handler, {"reason": "   "})
    assert list(refused.value.fields) == ["reason"]  # blank is missing, not a reason
    with pytest.raises(InvalidInput) as refused:
        services.perform(case.number, "return", handler, {"reason": "不属于", "colour": "red"})
    assert list(refused.value.fields) == ["colour"]
    assert _events(case) == before
    # A model of another move is a programming error, not a user's.
    with pytest.raises(TypeError):
        services.perform(case.number, "return", handler, schemas.NoteIn(reason="x"))
    # The move's own model is taken as it is; its text arrives stripped.
    services.perform(case.number, "return", handler, schemas.ReasonIn(reason="  不属于本单位  "))
    case.refresh_from_db()
    assert case.state == State.RETURNED
    assert CaseEvent.objects.filter(case=case).latest("seq").reason == "不属于本单位"


def test_an_extension_limit_is_checked_by_its_payload(make_case, user):
    case = make_case("handling")
    with pytest.raises(InvalidInput) as refused:
        services.perform(case.number, "request_extension", user("handler"),
                         {"reason": "需要核查", "limit": "soon"})
    assert list(refused.value.fields) == ["limit"]
    assert schemas.ExtensionIn(reason="需要核查", limit="2d").limit == "2d"


def test_the_page_the_api_and_the_service_refuse_the_same_text_alike(make_case, user,
                                                                      client_for, settings):
    """The answer's limit is the setting, read when checked: lowered, all three refuse
    one character over it, naming the field; nothing moves."""
    settings.QINQING_CONTENT_MAX_CHARS = 50
    case = make_case("handling")
    before = _events(case)
    text = "办" * 51

    page = client_for("handler").post(f"/cases/{case.number}/act/reply/", {"reply-answer": text})
    assert page.status_code == 422
    assert "最多 50 个字，现有 51 个字" in page.content.decode()

    key = services.issue_token(user("handler"))
    api = Client().post(f"/api/v1/cases/{case.number}/actions/reply",
                        json.dumps({"answer": text}), content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.status_code == 422
    assert api.json()["fields"] == {"answer": limits.too_long(50)}

    with pytest.raises(InvalidInput) as refused:
        services.perform(case.number, "reply", user("handler"), {"answer": text})
    assert refused.value.fields == {"answer": limits.too_long(50)}
    assert _events(case) == before


def test_a_dissatisfied_callback_needs_its_reason_on_the_page_and_in_the_service(
        make_case, user, client_for):
    case = make_case("reviewed")
    page = client_for("callback").post(f"/cases/{case.number}/act/callback/",
                                       {"callback-satisfaction": "dissatisfied"})
    assert page.status_code == 422
    assert "请说明不满意的原因" in page.content.decode()
    with pytest.raises(InvalidInput) as refused:
        services.perform(case.number, "callback", user("callback"),
                         {"satisfaction": "dissatisfied"})
    assert list(refused.value.fields) == ["reason"]
    services.perform(case.number, "callback", user("callback"),
                     {"satisfaction": "dissatisfied", "reason": "企业不满意"})
    case.refresh_from_db()
    assert case.state == State.HANDLING and case.reopen_count == 1
    assert _events(case)[-1] == "reopen"


def test_the_openapi_body_of_a_move_names_each_payload(client):
    doc = client.get("/api/v1/openapi.json").json()
    body = doc["paths"]["/api/v1/cases/{number}/actions/{action}"]["post"]["requestBody"]
    shapes = body["content"]["application/json"]["schema"]["anyOf"]
    titles = {shape["title"] for shape in shapes}
    assert titles == {move.payload.__name__ for move in TABLE.values()}
    for move in TABLE.values():
        shape = next(s for s in shapes if s["title"] == move.payload.__name__)
        assert move.name in shape["description"]
        assert sorted(shape.get("required", [])) == sorted(move.requires)
    reason = next(s for s in shapes if s["title"] == "ReasonIn")["properties"]["reason"]
    assert reason["maxLength"] == limits.NOTE and reason["minLength"] == 1
