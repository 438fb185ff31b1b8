"""JSON Schemas of GeoReport v2 responses, written from the specification
(http://wiki.open311.org/GeoReport_v2), and a validator for JSON and XML answers.

Each schema says what the specification requires of a field and its type; `null` is
allowed where the specification calls a field optional or says it may be empty. XML
answers are read into the same shape (lists of elements, text values) and validated
against the same schemas with booleans and numbers read from their text.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import jsonschema

W3C = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"}
OPTIONAL_TEXT = {"type": ["string", "null"]}

ERRORS = {"type": "array", "minItems": 1, "items": {
    "type": "object", "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string", "minLength": 1}}}}

DISCOVERY = {"type": "object", "required": ["changeset", "contact", "key_service", "endpoints"],
             "properties": {
                 "changeset": W3C, "contact": {"type": "string"},
                 "key_service": {"type": "string"},
                 "endpoints": {"type": "array", "minItems": 1, "items": {
                     "type": "object",
                     "required": ["specification", "url", "changeset", "type", "formats"],
                     "properties": {
                         "specification": {"type": "string"},
                         "url": {"type": "string", "pattern": "^https?://"},
                         "changeset": W3C,
                         "type": {"enum": ["production", "test"]},
                         "formats": {"type": "array", "items": {
                             "enum": ["application/json", "text/xml"]}}}}}}}

SERVICES = {"type": "array", "items": {
    "type": "object",
    "required": ["service_code", "service_name", "description", "metadata", "type", "keywords",
                 "group"],
    "properties": {
        "service_code": {"type": "string", "minLength": 1},
        "service_name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": {"type": "string"},
        "group": {"type": "string"}}}}

SERVICE_DEFINITION = {"type": "object", "required": ["service_code", "attributes"], "properties": {
    "service_code": {"type": "string"},
    "attributes": {"type": "array", "items": {
        "type": "object",
        "required": ["variable", "code", "datatype", "required", "datatype_description", "order",
                     "description"],
        "properties": {
            "variable": {"type": "boolean"},
            "code": {"type": "string", "minLength": 1},
            "datatype": {"enum": ["string", "number", "datetime", "text", "singlevaluelist",
                                  "multivaluelist"]},
            "required": {"type": "boolean"},
            "datatype_description": {"type": "string"},
            "order": {"type": "integer", "minimum": 1},
            "description": {"type": "string"},
            "values": {"type": "array", "items": {
                "type": "object", "required": ["key", "name"],
                "properties": {"key": {"type": "string"}, "name": {"type": "string"}}}}},
        "if": {"properties": {"datatype": {"enum": ["singlevaluelist", "multivaluelist"]}}},
        "then": {"required": ["values"]}}}}}

REQUESTS = {"type": "array", "items": {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": {"type": "string", "minLength": 1},
        "status": {"enum": ["open", "closed"]},
        "status_notes": OPTIONAL_TEXT, "service_name": OPTIONAL_TEXT,
        "service_code": {"type": "string"}, "description": OPTIONAL_TEXT,
        "agency_responsible": OPTIONAL_TEXT, "service_notice": OPTIONAL_TEXT,
        "requested_datetime": W3C,
        "updated_datetime": {"anyOf": [W3C, {"type": "null"}]},
        "expected_datetime": {"anyOf": [W3C, {"type": "null"}]},
        "address": OPTIONAL_TEXT, "address_id": OPTIONAL_TEXT, "zipcode": OPTIONAL_TEXT,
        "lat": {"type": ["number", "null"]}, "long": {"type": ["number", "null"]},
        "media_url": OPTIONAL_TEXT,
        "extended_attributes": {"type": "object"}}}}

POST_RESPONSE = {"type": "array", "minItems": 1, "items": {
    "type": "object", "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
    "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"},
                   "service_notice": OPTIONAL_TEXT, "account_id": OPTIONAL_TEXT}}}

TOKENS = {"type": "array", "items": {
    "type": "object", "required": ["service_request_id", "token"],
    "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}}}}

# The XML root of each document, and which of its children are lists of what.
ROOTS = {"services": SERVICES, "service_requests": REQUESTS, "errors": ERRORS,
         "service_definition": SERVICE_DEFINITION, "discovery": DISCOVERY}
LISTS = {"services", "service_requests", "errors", "attributes", "values", "endpoints",
         "formats"}


def check(schema: dict, response) -> object:
    """Validate a JSON answer; returns the parsed document."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    document = json.loads(response.content)
    jsonschema.validate(document, schema)
    return document


def check_xml(response, schema: dict | None = None) -> object:
    """Validate an XML answer against `schema`, by default the schema of its root element."""
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    root = ET.fromstring(response.content)
    document = _read(root)
    schema = schema or ROOTS[root.tag]
    jsonschema.validate(_typed(document, schema), schema)
    return document


def _read(element):
    if element.tag in LISTS:
        return [_read(child) for child in element]
    if len(element):
        return {child.tag: _read(child) for child in element}
    return element.text


def _typed(value, schema):
    """XML has only text: read booleans, integers and absent values as the schema asks."""
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if isinstance(value, list):
        return [_typed(v, schema.get("items", {})) for v in value]
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: _typed(v, props.get(k, {})) for k, v in value.items()}
    if value is None:
        return None if "null" in kinds or "array" in kinds else ""
    if "boolean" in kinds:
        return {"true": True, "false": False}.get(value, value)
    if "integer" in kinds:
        return int(value) if value.lstrip("-").isdigit() else value
    return value
