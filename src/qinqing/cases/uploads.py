"""What an uploaded attachment is, judged by its content (magic bytes), not by the type
the browser or client declared.

A declared type is whatever the sender says: a script renamed to .pdf, an HTML page sent
as image/png. The allow-list is checked against the file's first bytes with `filetype`
(pure Python, no libmagic): PDF, JPEG, PNG, and the Office Open XML documents (.docx,
.xlsx, told apart by the parts inside the ZIP). Plain text has no signature: a file with
none is accepted as text only if it was sent as text and decodes as UTF-8 (or GB18030,
what Chinese Windows saves) without control characters. The legacy binary Office formats
(.doc, .xls) are no longer accepted: their container does not say which of the two it
is, and they carry macros; Word and Excel save .docx and .xlsx.
"""

from __future__ import annotations

import filetype

from qinqing.text import has_control

# Content type → the extension of the stored file (never the sender's name).
ALLOWED = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "text/plain": ".txt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}

HEAD = 8192  # what filetype looks at


def sniff(body: bytes, declared: str = "", name: str = "") -> str | None:
    """The allowed content type of a file from its first bytes, or None when it is not
    one we accept. A file with a signature is what the signature says, whatever was
    declared; a file without one is text only if it was sent as text (a "PDF" that turns
    out to be text, an HTML page, is refused) and reads as text."""
    kind = filetype.guess(body[:HEAD])
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED else None
    declared = (declared or "").split(";")[0].strip().lower()
    sent_as_text = declared == "text/plain" or (
        declared in ("", "application/octet-stream") and name.lower().endswith(".txt"))
    return "text/plain" if sent_as_text and _is_text(body) else None


def _is_text(body: bytes) -> bool:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not has_control(text)
    return False
