"""Errors every operation can answer, written into the OpenAPI document.

Some answers come from handlers shared by the whole API (api/main.py), not from an
operation's own `response=`: 413 (a body above the limit), 415 (a body not sent as JSON)
and 503 (the database was busy; nothing was saved). An integrator reads the document to
know what to handle, and schemathesis checks answers against it, so each operation
lists the ones it can meet, with the error body every error has.
"""

from __future__ import annotations

ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
BUSY = {"description": "The system is busy and nothing was saved: send the same request "
                       "again after Retry-After seconds (an intake with the same "
                       "Idempotency-Key registers the case once).",
        "headers": {"Retry-After": {"description": "Seconds to wait before sending again.",
                                    "schema": {"type": "integer"}}},
        "content": ERROR_BODY}
TOO_LARGE = {"description": "The request body is larger than the platform accepts.",
             "content": ERROR_BODY}
NOT_JSON = {"description": "The body was not sent as JSON (Content-Type: application/json).",
            "content": ERROR_BODY}


def with_shared_errors(schema: dict) -> dict:
    """`schema` with 503 on every operation, 413 on every one with a body, 415 on every
    one whose body is JSON; an operation's own declaration of a status is kept."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            body = operation.get("requestBody", {}).get("content", {})
            shared = {503: BUSY}
            if body:
                shared[413] = TOO_LARGE
            if "application/json" in body:
                shared[415] = NOT_JSON
            for status, answer in shared.items():
                if status not in responses and str(status) not in responses:
                    responses[status] = answer
    return schema
