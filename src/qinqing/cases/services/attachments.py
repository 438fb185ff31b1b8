"""Files on a case: one staff upload, the ones a person sends with a matter from the
public portal, one the platform generates."""

from __future__ import annotations

import contextvars
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import timeline, uploads
from qinqing.cases.errors import Forbidden, InvalidInput, NotFound
from qinqing.cases.models import Case
from qinqing.cases.uploads import ALLOWED as ALLOWED_UPLOADS
from qinqing.org.models import Role, User
from qinqing.text import strip_control


# What an attachment may be, judged by its content (cases/uploads.py).
ATTACHMENT_TYPES = ALLOWED_UPLOADS
ATTACHMENT_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.HANDLER, Role.UNIT_LEADER,
                              Role.CALLBACK_AGENT})


@dataclass(frozen=True)
class Upload:
    """An uploaded file that passed the checks, read into memory, not stored yet."""

    name: str
    content_type: str
    body: bytes
    sha256: str


def check_upload(upload, *, max_bytes: int | None = None) -> Upload:
    """Check an uploaded file before anything is stored: its size (at most `max_bytes`,
    by default QINQING_MAX_ATTACHMENT_BYTES), not empty, and its type by its content.
    InvalidInput (field "file") names what is wrong."""
    limit = settings.QINQING_MAX_ATTACHMENT_BYTES if max_bytes is None else max_bytes
    if upload.size > limit:
        raise InvalidInput(_("Some fields need correcting."), fields={"file": too_large(limit)})
    if upload.size == 0:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"file": _("The file is empty.")})
    upload.seek(0)
    body = upload.read()
    if len(body) > limit:  # the declared size is the client's word
        raise InvalidInput(_("Some fields need correcting."), fields={"file": too_large(limit)})
    # The content decides, not the declared type (a renamed script is not a PDF).
    content_type = uploads.sniff(body, upload.content_type or "", upload.name or "")
    if content_type is None:
        raise InvalidInput(_("Some fields need correcting."), fields={"file": _(
            "Accepted: PDF, JPEG or PNG images, text, Word (.docx) and Excel (.xlsx) files; "
            "this file's content is none of them.")})
    name = strip_control(upload.name or "").replace("/", "_").replace("\\", "_")[-200:] or "file"
    return Upload(name, content_type, body, hashlib.sha256(body).hexdigest())


def too_large(limit: int) -> str:
    if limit >= 1 << 20:
        return _("A file may be at most %(mb)s MB.") % {"mb": limit >> 20}
    return _("A file may be at most %(kb)s KB.") % {"kb": max(1, limit >> 10)}


# The files written inside `files_removed_on_failure` (the storage's names), if any.
_WRITTEN: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "attachments_written", default=None)


@contextmanager
def files_removed_on_failure():
    """Around a transaction that stores files: if it fails (an error inside it, or its
    commit), the files it wrote are deleted again. A file is written to storage when its
    row is saved, and storage does not roll back with the database: without this, a
    failure after the write would leave the file on disk with no row naming it. (A
    process killed mid-transaction still can; docs/portal.md.) Put it outside the
    `transaction.atomic()` so that a failed commit is covered too."""
    written: list[str] = []
    token = _WRITTEN.set(written)
    try:
        yield
    except BaseException:
        from django.core.files.storage import default_storage

        for name in written:
            default_storage.delete(name)
        raise
    finally:
        _WRITTEN.reset(token)


def _store(case: Case, upload: Upload, uploaded_by: User | None, now: datetime) -> "Attachment":
    from django.core.files.base import ContentFile

    from qinqing.cases.models import Attachment

    attachment = Attachment(case=case, name=upload.name, content_type=upload.content_type,
                            size=len(upload.body), sha256=upload.sha256,
                            uploaded_by=uploaded_by, uploaded_at=now)
    # The stored name is ours (never the sender's): the type's own extension.
    attachment.file.save(f"file{ATTACHMENT_TYPES[upload.content_type]}",
                         ContentFile(upload.body), save=False)
    written = _WRITTEN.get()
    if written is not None:
        written.append(attachment.file.name)
    attachment.save()
    return attachment


def _event_data(attachment, **more) -> dict:
    return {"attachment": attachment.pk, "name": attachment.name,
            "sha256": attachment.sha256, "size": attachment.size, **more}


def add_attachment(case_number: str, actor: User, upload) -> "Attachment":
    """Store an uploaded file on a case (evidence for a reply, a photo from the caller)."""
    from qinqing.cases.queries import visible_cases

    if actor.role not in ATTACHMENT_ROLES:
        raise Forbidden(_("Your role may not attach files."))
    checked = check_upload(upload)
    now = timezone.now()
    with files_removed_on_failure(), transaction.atomic():
        case = visible_cases(actor).select_for_update().filter(number=case_number).first()
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": case_number})
        attachment = _store(case, checked, actor, now)
        timeline.append(case, "attach", actor, now, case.state, case.state,
                        data=_event_data(attachment))
    return attachment


def attach_from_reporter(case: Case, files: list[Upload], now: datetime) -> list["Attachment"]:
    """Store the files the person filing a matter sent with it (the public portal), each
    recorded as from the reporter: no account uploaded it, and the timeline's event says
    so. The files were checked (`check_upload`) before the case was created; call this
    inside the transaction that created the case, so the case exists with its files or
    not at all. Who may read them is who may see the case (`queries.visible_attachment`):
    a report of misconduct's files never reach the unit it accuses."""
    stored = []
    for upload in files:
        attachment = _store(case, upload, None, now)
        timeline.append(case, "attach", None, now, case.state, case.state,
                        data=_event_data(attachment, by="reporter"))
        stored.append(attachment)
    return stored


def file_document(case: Case, name: str, body: bytes, content_type: str, *,
                  actor: User | None = None, now: datetime | None = None) -> "Attachment":
    """File a document the platform generated (a reminder letter, …) on a case.

    For other apps' services, inside their own transaction with the case row locked
    (they append the timeline event that says why, with `timeline.append_event`). Unlike
    `add_attachment` there is no upload to check and no role: the caller is the system."""
    if content_type not in ATTACHMENT_TYPES:
        raise ValueError(f"unsupported document type {content_type!r}")
    upload = Upload(name[-200:], content_type, body, hashlib.sha256(body).hexdigest())
    return _store(case, upload, actor, now or timezone.now())
