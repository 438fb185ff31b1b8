"""GeoReport v2 documents as JSON or XML, and its error format.

The XML follows the specification's examples: a root element for the list (services,
service_requests, errors…) holding one element per item, lists of values nested as
`<values><value>`, booleans as true/false, nothing for a missing value.
"""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

from qinqing.text import strip_control

# The element name of one item of each list.
ITEM = {"services": "service", "service_requests": "request", "errors": "error",
        "attributes": "attribute", "values": "value", "endpoints": "endpoint",
        "formats": "format"}


def respond(document, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """`document` is a list (of dicts) or a dict; `root` names it in XML."""
    if fmt == "xml":
        element = _element(root, document)
        body = ET.tostring(element, encoding="utf-8", xml_declaration=True)
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    body = json.dumps(document, ensure_ascii=False, default=str)  # lazy labels
    return HttpResponse(body, status=status, content_type="application/json")


def errors(fmt: str, status: int, messages: list[str]) -> HttpResponse:
    return respond([{"code": status, "description": m} for m in messages], fmt, "errors",
                   status=status)


def _element(name: str, value) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list):
        for item in value:
            element.append(_element(ITEM.get(name, "item"), item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        # XML 1.0 cannot hold control characters; text stored before they were refused
        # at input would make the document unreadable.
        element.text = strip_control(str(value))
    return element
