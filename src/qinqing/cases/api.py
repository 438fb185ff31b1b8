"""/api/v1/cases: thin handlers that parse, call a service or a query, and shape the answer."""

from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Body, File, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from qinqing import limits
from qinqing.cases import queries, services, timeline
from qinqing.cases.downloads import attachment_response
from qinqing.cases.errors import InvalidInput, NotFound, RateLimited
from qinqing.cases.models import Channel, Kind, State
from qinqing.cases.schemas import (
    AttachmentOut, CaseCreated, CaseDetail, CaseIn, CasePage, ErrorOut, PublicStatus,
    ReclassifyIn, UnmaskedReporter, UnmaskIn,
)
from qinqing.cases.transitions import TABLE, available_moves
from qinqing.security import FailureWindow, client_address
from qinqing.text import RefuseControlChars

router = Router(tags=["cases"])
public_router = Router(tags=["public"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut,
          422: ErrorOut}


@router.post("/cases", response={201: CaseCreated, 200: CaseCreated, **ERRORS},
             summary="Register a case (idempotent with an Idempotency-Key header)")
def create_case(request: HttpRequest, body: CaseIn,
                idempotency_key: str = Header("", alias="Idempotency-Key", max_length=100)):
    data = body.model_dump()
    if body.reporter is not None:
        data["reporter"] = body.reporter.model_dump()
    intake = services.create_case(request.auth, data, idempotency_key=idempotency_key.strip())
    return Status(201 if intake.created else 200, {
        "number": intake.case.number, "query_code": intake.query_code,
        "state": intake.case.state, "created": intake.created})


class ListParams(RefuseControlChars, Schema):
    state: list[State] = Field(default_factory=list)
    kind: Kind | None = None
    channel: Channel | None = None
    unit: str | None = Field(None, max_length=32, description="lead unit code")
    region: str | None = Field(None, max_length=32)
    category: str | None = Field(None, max_length=32)
    warning: bool | None = None
    overdue: bool | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    text: str | None = Field(None, max_length=limits.SEARCH, description=(
        "in the title, the content, the enterprise concerned or the case number (any part)"))
    phone: str | None = Field(None, max_length=limits.PHONE, description=(
        "the caller's phone: cases filed from it (for roles that may see reporters)"))
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(queries.PAGE_SIZE, ge=1, le=queries.MAX_PAGE_SIZE)


@router.get("/cases", response={200: CasePage, **ERRORS},
            summary="Cases you may see, newest first (keyset pagination)")
def list_cases(request: HttpRequest, params: Query[ListParams]):
    moments = {}
    for name in ("received_from", "received_to"):
        moment = getattr(params, name)
        if moment is not None and timezone.is_naive(moment):
            raise InvalidInput(_("Give times with a UTC offset, e.g. 2026-01-01T00:00:00+08:00."))
        try:
            # In UTC, as stored: PostgreSQL refuses offsets beyond ±15:59, and the
            # conversion must stay within the years 1–9999.
            moments[name] = moment.astimezone(dt_timezone.utc) if moment is not None else None
        except OverflowError:
            raise InvalidInput(_("Some fields need correcting."), fields={
                name: _("This value has the wrong type or format.")}) from None
    filters = queries.CaseFilters(
        state=params.state or None, kind=params.kind, channel=params.channel, unit=params.unit,
        region=params.region, category=params.category, warning=params.warning,
        overdue=params.overdue, received_from=moments["received_from"],
        received_to=moments["received_to"], text=params.text, phone=params.phone)
    try:
        rows, cursor = queries.case_page(queries.filtered_cases(request.auth, filters),
                                         params.cursor, params.limit)
    except ValueError:
        raise InvalidInput(_("That cursor is not one this API gave out.")) from None
    now = timezone.now()
    return {"items": [_row(case, now) for case in rows], "next_cursor": cursor}


def _row(case, now) -> dict:
    open_clocks = case.open_clocks
    first = open_clocks[0] if open_clocks else None
    return {
        "number": case.number, "kind": case.kind, "channel": case.channel, "state": case.state,
        "urgency": case.urgency, "title": case.title, "category": case.category.code,
        "region": case.region.code, "lead_unit": case.lead_unit.code if case.lead_unit else None,
        "received_at": case.received_at, "next_due_at": first.due_at if first else None,
        "status": _worst(open_clocks, now) if case.state != State.CLOSED else "closed",
    }


_SEVERITY = ["running", "suspended", "warning", "overdue"]


def _worst(clocks, now) -> str:
    statuses = [queries.clock_status(c, now) for c in clocks]
    return max(statuses, key=_SEVERITY.index, default="running")


@router.get("/cases/{number}", response={200: CaseDetail, **ERRORS},
            summary="One case with its deadlines and timeline")
def get_case(request: HttpRequest, number: str):
    case = queries.case_detail(request.auth, number)
    if case is None:
        raise NotFound(_("No case %(number)s.") % {"number": number})
    return _detail(case, request.auth)


def _detail(case, user) -> dict:
    now = timezone.now()
    return {
        "number": case.number, "kind": case.kind, "channel": case.channel, "state": case.state,
        "outcome": case.outcome, "urgency": case.urgency, "title": case.title,
        "content": case.content, "category": case.category.code,
        "category_name": str(case.category), "region": case.region.code,
        "enterprise_name": case.enterprise_name,
        "subject_unit": case.subject_unit.code if case.subject_unit else None,
        "lead_unit": case.lead_unit.code if case.lead_unit else None,
        "co_units": [u.code for u in case.co_units.all()], "anonymous": case.is_anonymous,
        "reporters": queries.masked_reporters(case, user), "answer": case.answer,
        "satisfaction": case.satisfaction, "reopen_count": case.reopen_count,
        "extension_count": case.extension_count, "suspension_count": case.suspension_count,
        "is_suspended": case.is_suspended,
        "merged_into": case.merged_into.number if case.merged_into else None,
        "received_at": case.received_at, "closed_at": case.closed_at,
        "clocks": [{"stage": c.stage, "limit": c.limit, "started_at": c.started_at,
                    "warn_at": c.warn_at, "due_at": c.due_at, "done_at": c.done_at,
                    "status": queries.clock_status(c, now), "provisional": c.provisional}
                   for c in sorted(case.clocks.all(), key=lambda c: (c.started_at, c.pk))],
        "timeline": [{"seq": e.seq, "action": e.action, "at": e.at,
                      "actor": str(e.actor) if e.actor else None, "actor_role": e.actor_role,
                      "actor_unit": e.actor_unit.name if e.actor_unit else None,
                      "from_state": e.from_state, "to_state": e.to_state, "reason": e.reason,
                      "data": e.data} for e in case.events.all()],
        "actions": available_moves(case, user),
    }


def _action_body() -> dict:
    """The OpenAPI request body of a move: one of the payload models of the transition
    table, each saying which moves take it (the path's action decides which applies)."""
    takes: dict[type, list[str]] = {}
    for move in TABLE.values():
        takes.setdefault(move.payload, []).append(move.name)
    schemas = []
    for model, moves in takes.items():
        schema = _inline(model.model_json_schema())
        schema["title"] = model.__name__
        schema["description"] = " ".join(f"For: {', '.join(moves)}. {model.__doc__ or ''}".split())
        schemas.append(schema)
    return {"requestBody": {"content": {"application/json": {"schema": {"anyOf": schemas}}}}}


def _inline(schema: dict) -> dict:
    """A model's JSON schema with its local definitions (an enum) written in place."""
    defs = schema.pop("$defs", {})

    def walk(value):
        if isinstance(value, dict):
            ref = value.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(schema)


@router.post("/cases/{number}/actions/{action}", response={200: CaseDetail, **ERRORS},
             summary="Make one move of the transition table",
             description="Actions: " + ", ".join(TABLE) + ". The body is the action's "
                         "payload (one of the schemas below, by action).",
             openapi_extra=_action_body())
def act(request: HttpRequest, number: str, action: str, body: Body[dict]):
    # Validated once, here, through the move's payload model; perform takes the model.
    payload = services.validate_payload(action, body)
    services.perform(number, action, request.auth, payload)
    return _detail(queries.case_detail(request.auth, number), request.auth)


@router.post("/cases/{number}/unmask", response={200: list[UnmaskedReporter], **ERRORS},
             summary="See who filed a case (allowed roles only; logged with the reason)")
def unmask(request: HttpRequest, number: str, body: UnmaskIn):
    return services.unmask_reporters(number, request.auth, body.reason)


@router.post("/cases/{number}/reclassify", response={200: CaseDetail, **ERRORS},
             summary="Change a report of misconduct's kind or accused unit (discipline "
                     "commission only; with a reason, on the timeline)")
def reclassify(request: HttpRequest, number: str, body: ReclassifyIn):
    services.reclassify_report(number, request.auth, reason=body.reason, kind=body.kind,
                               subject_unit=body.subject_unit, clear_subject=body.clear_subject)
    return _detail(queries.case_detail(request.auth, number), request.auth)


@router.post("/cases/{number}/attachments", response={201: AttachmentOut, **ERRORS},
             summary="Attach a file (PDF, JPEG, PNG, text, .docx, .xlsx by content; at most 10 MB)")
def attach(request: HttpRequest, number: str, file: File[UploadedFile]):
    return Status(201, services.add_attachment(number, request.auth, file))


@router.get("/cases/{number}/attachments/{attachment_id}",
            response={200: None, **ERRORS}, openapi_extra={"responses": {200: {
                "description": "the file, as a download",
                "content": {"application/octet-stream": {"schema": {
                    "type": "string", "format": "binary"}}}}}},
            summary="Download an attachment of a case you may see")
def download(request: HttpRequest, number: str, attachment_id: int):
    found = queries.visible_attachment(request.auth, number, attachment_id)
    if found is None:
        raise NotFound(_("No such file."))
    return attachment_response(found)


@public_router.get("/track/{number}",
                   response={200: PublicStatus, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut},
                   auth=None,
                   summary="Follow a case with its query code (no login; wrong tries are "
                           "limited per client address)")
def track(request: HttpRequest, number: str, code: str = Query(..., max_length=40)):
    # A query code is short; without a limit it could be guessed. Wrong tries are counted
    # per client address (settings: QINQING_TRACK_LIMIT per QINQING_TRACK_WINDOW), and past
    # the limit even a right code waits, so the 429 tells a guesser nothing.
    window = _track_window()
    address = client_address(request)
    wait = window.retry_after(address)
    if wait is not None:
        raise RateLimited(_("Too many wrong tries from your address. Try again later."),
                          retry_after=wait)
    case = queries.public_status(number, code)
    if case is None:
        window.fail(address)
        # Unknown number and wrong code answer alike: neither can be probed.
        raise NotFound(_("No case matches this number and query code."))
    # Only the kinds the timeline's registry marks public (qinqing.cases.events).
    public = timeline.registry.public()
    events = case.events.filter(action__in=public).order_by("seq").values_list("action", "at")
    return {"number": case.number, "state": case.state, "received_at": case.received_at,
            "closed_at": case.closed_at,
            "answer": case.answer if case.state == State.CLOSED else "",
            "timeline": [{"action": a, "at": at} for a, at in events]}



def _track_window() -> FailureWindow:
    return FailureWindow("track", settings.QINQING_TRACK_LIMIT, settings.QINQING_TRACK_WINDOW)
