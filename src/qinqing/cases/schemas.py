"""Typed request and response bodies of the case API (they make the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field

from qinqing import limits
from qinqing.cases.models import Channel, Kind, State, Urgency
from qinqing.cases.models.case import Satisfaction
from qinqing.text import RefuseControlChars


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


class ActionIn(Strict):
    reason: str = Field("", max_length=limits.NOTE)
    answer: str = Field("", max_length=limits.content_chars())
    told: str = Field("", max_length=limits.NOTE)
    note: str = Field("", max_length=limits.NOTE)
    into: str = Field("", max_length=20, description="merge: the case number to merge into")
    lead_unit: str = Field("", max_length=32)
    co_units: list[str] = Field(default_factory=list, max_length=20)
    limit: str = Field("", max_length=8, description="extension: e.g. 5d")
    satisfaction: Satisfaction | None = None
    resolved: bool | None = None
    fields: dict[str, str | None] = Field(default_factory=dict, description="edit: new values")
    attachments: list[int] = Field(default_factory=list, max_length=20)


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
