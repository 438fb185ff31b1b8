"""What the API accepts as a request body: JSON, declared as JSON (else 415)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.parser import Parser


class UnsupportedMediaType(HttpError):
    def __init__(self):
        super().__init__(415, _("Send the body as JSON (Content-Type: application/json)."))


class JsonOnlyParser(Parser):
    """ninja's JSON parser, which would read any body as JSON whatever its declared type;
    this one refuses a body that does not say it is JSON. Only JSON-body endpoints call
    it (file uploads read request.FILES), so an upload endpoint still takes multipart."""

    def parse_body(self, request: HttpRequest):
        kind = (request.content_type or "").split(";")[0].strip().lower()
        if kind != "application/json" and not (kind.startswith("application/")
                                               and kind.endswith("+json")):
            raise UnsupportedMediaType()
        return super().parse_body(request)
