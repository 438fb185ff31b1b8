"""Files on a case: one a person uploads, one the platform generates."""

from __future__ import annotations

import hashlib
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


def add_attachment(case_number: str, actor: User, upload) -> "Attachment":
    """Store an uploaded file on a case (evidence for a reply, a photo from the caller)."""
    from django.core.files.base import ContentFile

    from qinqing.cases.models import Attachment
    from qinqing.cases.queries import visible_cases

    if actor.role not in ATTACHMENT_ROLES:
        raise Forbidden(_("Your role may not attach files."))
    if upload.size > settings.QINQING_MAX_ATTACHMENT_BYTES:
        raise InvalidInput(_("Some fields need correcting."), fields={"file": _(
            "A file may be at most %(mb)s MB.") % {"mb": settings.QINQING_MAX_ATTACHMENT_BYTES >> 20}})
    if upload.size == 0:
        raise InvalidInput(_("Some fields need correcting."), fields={"file": _("The file is empty.")})
    body = upload.read()
    # The content decides, not the declared type (a renamed script is not a PDF).
    content_type = uploads.sniff(body, upload.content_type or "", upload.name or "")
    if content_type is None:
        raise InvalidInput(_("Some fields need correcting."), fields={"file": _(
            "Accepted: PDF, JPEG or PNG images, text, Word (.docx) and Excel (.xlsx) files; "
            "this file's content is none of them.")})
    digest = hashlib.sha256(body).hexdigest()
    name = strip_control(upload.name or "").replace("/", "_").replace("\\", "_")[-200:] or "file"
    now = timezone.now()
    with transaction.atomic():
        case = visible_cases(actor).select_for_update().filter(number=case_number).first()
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": case_number})
        attachment = Attachment(case=case, name=name, content_type=content_type, size=len(body),
                                sha256=digest, uploaded_by=actor, uploaded_at=now)
        safe_name = f"file{ATTACHMENT_TYPES[content_type]}"
        attachment.file.save(safe_name, ContentFile(body), save=False)
        attachment.save()
        timeline.append(case, "attach", actor, now, case.state, case.state,
                        data={"attachment": attachment.pk, "name": name, "sha256": digest,
                              "size": len(body)})
    return attachment


def file_document(case: Case, name: str, body: bytes, content_type: str, *,
                  actor: User | None = None, now: datetime | None = None) -> "Attachment":
    """File a document the platform generated (a reminder letter, …) on a case.

    For other apps' services, inside their own transaction with the case row locked
    (they append the timeline event that says why, with `timeline.append_event`). Unlike
    `add_attachment` there is no upload to check and no role: the caller is the system."""
    from django.core.files.base import ContentFile

    from qinqing.cases.models import Attachment

    if content_type not in ATTACHMENT_TYPES:
        raise ValueError(f"unsupported document type {content_type!r}")
    digest = hashlib.sha256(body).hexdigest()
    attachment = Attachment(case=case, name=name[-200:], content_type=content_type,
                            size=len(body), sha256=digest, uploaded_by=actor,
                            uploaded_at=now or timezone.now())
    attachment.file.save(f"file{ATTACHMENT_TYPES[content_type]}", ContentFile(body), save=False)
    attachment.save()
    return attachment
