"""Sending a stored attachment back: streamed, as a download, never rendered by the browser.

Shared by the case page's link and the API. The file goes out with the type found from its
content at upload (cases/uploads.py), `Content-Disposition: attachment` with the original
name (FileResponse writes RFC 5987's filename* for a Chinese name, with an ASCII fallback)
and `X-Content-Type-Options: nosniff`, so a browser neither guesses another type nor opens
it in the platform's origin.
"""

from __future__ import annotations

from django.http import FileResponse


def attachment_response(attachment) -> FileResponse:
    # FileResponse streams the file in blocks and closes it when the response is done.
    response = FileResponse(attachment.file.open("rb"), as_attachment=True,
                            filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
