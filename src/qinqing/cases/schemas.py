"""Typed request and response bodies of the case API (they make the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError, core_schema

from qinqing import limits
from qinqing.cases.models import Channel, Kind, State, Urgency
from qinqing.cases.models.case import Satisfaction
from qinqing.text import RefuseControlChars, control_message
from qinqing.worktime.limits import LimitFormatError, parse_limit


class Strict(RefuseControlChars):
    # Unknown fields are an error, not silently dropped: a typo must not lose data.
    # Request bodies are plain pydantic models: ninja's Schema would read them through
    # its ORM-attribute wrapper, and with extra="forbid" validate each body twice (once
    # as given, once wrapped), which an intake paid for on every call. RefuseControlChars:
    # text with a control character is a 422 naming the field (qinqing/text.py).
    model_config = ConfigDict(extra="forbid")


class ReporterIn(Strict):
    name: str = Field("", max_length=limits.PERSON_NAME)
    phone: str = Field("", max_length=limits.PHONE)
    id_number: str = Field("", max_length=limits.ID_NUMBER)
    contact: str = Field("", max_length=limits.CONTACT)
    enterprise: str = Field("", max_length=limits.ENTERPRISE)
    sms_updates: bool = Field(False, description=(
        "the reporter asked for an SMS at each public step (needs a phone); the number "
        "and query code are sent by SMS to any reporter who gave a phone"))


class CaseIn(Strict):
    kind: Kind
    channel: Channel
    category: str = Field(max_length=32, description="category code, e.g. SPFW-01")
    urgency: Urgency = Urgency.NORMAL
    title: str = Field("", max_length=limits.TITLE)
    # The service checks the setting again at run time (a test may change it).
    content: str = Field(min_length=1, max_length=limits.content_chars())
    enterprise_name: str = Field("", max_length=limits.ENTERPRISE)
    subject_unit: str | None = Field(None, max_length=32, description="unit code complained about")
    region: str | None = Field(None, max_length=32, description="unit code of the region")
    anonymous: bool = False
    reporter: ReporterIn | None = None


class CaseCreated(Schema):
    number: str
    query_code: str = Field(description="shown once: the person tracks the case with it")
    state: State
    created: bool = Field(description="false when an Idempotency-Key replay returned the first case")


class ClockOut(Schema):
    stage: str
    limit: str
    started_at: datetime
    warn_at: datetime
    due_at: datetime
    done_at: datetime | None
    status: str = Field(description="running, warning, overdue, suspended, on_time or late")
    provisional: bool


class CaseRow(Schema):
    number: str
    kind: Kind
    channel: Channel
    state: State
    urgency: Urgency
    title: str
    category: str
    region: str
    lead_unit: str | None
    received_at: datetime
    next_due_at: datetime | None
    status: str = Field(description="the most pressing open clock's status, or closed")


class CasePage(Schema):
    items: list[CaseRow]
    next_cursor: str | None


class EventOut(Schema):
    seq: int
    action: str
    at: datetime
    actor: str | None
    actor_role: str
    actor_unit: str | None
    from_state: str
    to_state: str
    reason: str
    data: dict


class ReporterOut(Schema):
    id: int
    name: str
    phone: str
    id_number: str
    contact: str
    enterprise: str
    primary: bool


class CaseDetail(Schema):
    number: str
    kind: Kind
    channel: Channel
    state: State
    outcome: str
    urgency: Urgency
    title: str
    content: str
    category: str
    category_name: str
    region: str
    enterprise_name: str
    subject_unit: str | None
    lead_unit: str | None
    co_units: list[str]
    anonymous: bool
    reporters: list[ReporterOut] | None = Field(
        description="masked; null when this viewer may not see who filed the case")
    answer: str
    satisfaction: str
    reopen_count: int
    extension_count: int
    suspension_count: int
    is_suspended: bool
    merged_into: str | None
    received_at: datetime
    closed_at: datetime | None
    clocks: list[ClockOut]
    timeline: list[EventOut]
    actions: list[str] = Field(description="moves this viewer may make now")


class UnmaskIn(Strict):
    reason: str = Field(min_length=2, max_length=limits.UNMASK_REASON)


class ReclassifyIn(Strict):
    """The discipline commission corrects a report of misconduct (举报)."""
    reason: str = Field(min_length=2, max_length=2000)
    kind: Kind | None = None
    subject_unit: str | None = Field(None, max_length=32, description="the accused unit's code")
    clear_subject: bool = Field(False, description="remove the accused unit")


class UnmaskedReporter(Schema):
    id: int
    name: str
    phone: str
    id_number: str
    contact: str
    enterprise: str
    merged_from: str | None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    sha256: str


class PublicEvent(Schema):
    action: str
    at: datetime


class PublicStatus(Schema):
    number: str
    state: State
    received_at: datetime
    closed_at: datetime | None
    answer: str
    timeline: list[PublicEvent]


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


# ------------------------------------------------------------ the payloads of the moves
# One model per row of the transition table (transitions.TABLE names it): the API's body,
# the case page's form and `services.perform` all validate through it, once. The limits
# are those of qinqing.limits; a text is stripped, then measured.

@dataclass(frozen=True)
class Limit:
    """A text's limit, read when a value is checked (`limits.content_chars` is a setting a
    test may change) and when the OpenAPI document is written (its maxLength). Stripped
    first; `required`: empty after stripping is missing."""

    chars: int | Callable[[], int]
    required: bool = False

    def value(self) -> int:
        return self.chars() if callable(self.chars) else self.chars

    def __get_pydantic_core_schema__(self, source, handler):
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(self, schema, handler):
        result = handler(schema)
        result["maxLength"] = self.value()
        if self.required:
            result["minLength"] = 1
        return result

    def check(self, value: str) -> str:
        value = value.strip()
        if self.required and not value:
            raise PydanticCustomError("missing", "Field required")
        limit = self.value()
        if len(value) > limit:
            raise PydanticCustomError("string_too_long",
                                      "String should have at most {max_length} characters",
                                      {"max_length": limit})
        return value


Note = Annotated[str, Limit(limits.NOTE)]  # optional: "" when not given
Reason = Annotated[str, Limit(limits.NOTE, required=True)]
Answer = Annotated[str, Limit(limits.content_chars, required=True)]
UnitCode = Annotated[str, Limit(32, required=True)]

# What an edit may correct (the intake's cleaning then checks each value).
EDITABLE_FIELDS = ("kind", "category", "urgency", "region", "subject_unit", "title", "content",
                   "enterprise_name")


class MoveIn(Strict):
    """The payload of a move that takes nothing (sign)."""


class NoteIn(MoveIn):
    """An optional note (approving, resuming, accepting a reply)."""
    reason: Note = ""


class ReasonIn(MoveIn):
    """A reason, required (rejecting, returning, refusing, sending back, …)."""
    reason: Reason


class EditIn(MoveIn):
    """Correct the case before routing: new values of some of EDITABLE_FIELDS."""
    fields: dict[str, str | None] = Field(description="edit: new values of " +
                                          ", ".join(EDITABLE_FIELDS))
    reason: Note = ""

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict) -> dict:
        if not value or set(value) - set(EDITABLE_FIELDS):
            raise _error("edit_fields", _("Give one or more of: %(names)s.") % {
                "names": ", ".join(EDITABLE_FIELDS)})
        return value


class AnswerIn(MoveIn):
    """The answer given to the caller (a consultation answered directly)."""
    answer: Answer


class NotAcceptIn(MoveIn):
    """Which procedure applies, and what the caller was told."""
    reason: Reason
    told: Reason


class MergeIn(MoveIn):
    """The earlier open case this repeated request is merged into."""
    into: Annotated[str, Limit(20, required=True)] = Field(
        description="the case number to merge into")
    reason: Note = ""


class DispatchIn(MoveIn):
    """Route to a lead unit and co-units (unit codes); a reason is needed to depart from
    the catalogue's proposal."""
    lead_unit: UnitCode
    co_units: list[Annotated[str, Limit(32)]] = Field(default_factory=list, max_length=20)
    reason: Note = ""


class RedispatchIn(DispatchIn):
    """Decide an objection: the unit (the same one upholds the assignment) and why."""
    reason: Reason


class ExtensionIn(MoveIn):
    """More time, in working days or hours (e.g. 2d, 4h), and why."""
    limit: Annotated[str, Limit(8, required=True)] = Field(description="e.g. 5d or 4h")
    reason: Reason

    @field_validator("limit")
    @classmethod
    def _a_limit(cls, value: str) -> str:
        try:
            return str(parse_limit(value))
        except LimitFormatError as exc:
            raise _error("limit_format", str(exc)) from None


class ReplyIn(MoveIn):
    """The result of the handling, with attachments already uploaded to the case."""
    answer: Answer
    attachments: list[int] = Field(default_factory=list, max_length=20)


class CallbackIn(MoveIn):
    """The caller's satisfaction; dissatisfied (with a reason) reopens the case."""
    satisfaction: Satisfaction
    resolved: bool | None = Field(None, description="the caller says the matter is solved")
    note: Note = ""
    reason: Note = Field("", validate_default=True,
                         description="why the caller is dissatisfied (then required)")

    @field_validator("reason")
    @classmethod
    def _why_dissatisfied(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("satisfaction") == Satisfaction.DISSATISFIED and not value:
            raise _error("dissatisfied_without_reason",
                         _("Say why the caller is dissatisfied: the case is reopened."))
        return value


class ReopenIn(MoveIn):
    """The caller is dissatisfied: why (the case goes back to handling). What a
    dissatisfied callback sends is taken as it is (its satisfaction says so)."""
    reason: Reason
    resolved: bool | None = None
    satisfaction: Literal["dissatisfied"] | None = None


def _error(kind: str, message: str) -> PydanticCustomError:
    """A rule's error with its message already in the user's language (the API shows a
    pydantic error's own message when it does not know its kind)."""
    return PydanticCustomError(kind, message.replace("{", "{{").replace("}", "}}"))


def field_errors(exc: ValidationError, labels: dict[str, str] | None = None) -> dict[str, str]:
    """A payload's validation errors as {field: message} in the user's language, as the
    API answers them (api/main.py) and the case page shows them next to the fields.
    `labels`: the form's labels, which name a field in a control-character message."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(p) for p in err.get("loc", ())) or "body"
        fields.setdefault(name, field_message(err, (labels or {}).get(name.split(".")[0], name)))
    return fields


def field_message(err: dict, label: str) -> str:
    """One pydantic error as the user reads it (`label` names the field)."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "control_characters":
        return control_message(label)
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "string_too_long":
        return limits.too_long(ctx.get("max_length"))
    if kind == "string_too_short":
        return _("At least %(n)s characters.") % {"n": ctx.get("min_length")}
    if kind == "too_long":
        return _("Give at most %(n)s.") % {"n": ctx.get("max_length")}
    if kind == "enum":
        return _("Choose one of: %(values)s.") % {"values": ctx.get("expected", "")}
    if kind in ("int_parsing", "int_type", "bool_parsing", "bool_type", "string_type",
                "datetime_parsing", "datetime_from_date_parsing", "json_invalid",
                "list_type", "dict_type", "model_attributes_type", "model_type"):
        return _("This value has the wrong type or format.")
    return err.get("msg", "")
