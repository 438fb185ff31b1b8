"""Uploads too large for an attachment are refused before their body is read.

Django streams a multipart upload to a temporary file whatever its size, and only then
does `cases.services.add_attachment` see that it is too large. A declared Content-Length
above the attachment limit (plus room for the form's other fields and the multipart
framing) is refused at once with 413: JSON on the API, a page elsewhere. The service
still checks the file itself (a client may not declare a length, or lie about it).
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

# The form fields and multipart boundaries sent with the file.
ENVELOPE = 256 * 1024


def upload_limit() -> int:
    return settings.QINQING_MAX_ATTACHMENT_BYTES + ENVELOPE


def too_large_message() -> str:
    return _("A file may be at most %(mb)s MB.") % {
        "mb": settings.QINQING_MAX_ATTACHMENT_BYTES >> 20}


class UploadLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH") and (
                request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/")):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > upload_limit():
                return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _refuse(request):
        # The body is left unread; the server closes the connection after the answer.
        if request.path.startswith("/api/"):
            response = JsonResponse({"code": "too_large", "message": too_large_message(),
                                     "fields": {"file": too_large_message()}}, status=413)
        else:
            response = render(request, "web/too_large.html",
                              {"message": too_large_message()}, status=413)
        response["Connection"] = "close"
        return response
