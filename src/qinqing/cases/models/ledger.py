"""The timeline ledger: an append-only, hash-chained history of every case.

Each event's hash covers its own content and the previous event's hash, so changing,
deleting or reordering any past event breaks the chain from that point on;
`qinqing verify-ledger` recomputes every chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timezone as dt_timezone

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models.case import Case
from qinqing.org.models import Unit

GENESIS = "0" * 64


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField(_("Sequence"))
    action = models.CharField(_("Action"), max_length=24)
    at = models.DateTimeField(_("At"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(_("Role"), max_length=32, blank=True)
    actor_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    from_state = models.CharField(_("From"), max_length=12, blank=True)
    to_state = models.CharField(_("To"), max_length=12, blank=True)
    reason = models.TextField(_("Reason"), blank=True)
    data = models.JSONField(_("Details"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("Timeline event")
        verbose_name_plural = _("Timeline events")
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("timeline events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("timeline events are append-only")

    def compute_hash(self) -> str:
        return event_hash(
            prev_hash=self.prev_hash, case_id=self.case_id, seq=self.seq, action=self.action,
            at=self.at.astimezone(dt_timezone.utc).isoformat(timespec="microseconds"), actor_id=self.actor_id,
            actor_role=self.actor_role, actor_unit_id=self.actor_unit_id,
            from_state=self.from_state, to_state=self.to_state, reason=self.reason,
            data=self.data,
        )


def event_hash(*, prev_hash: str, **fields) -> str:
    # Canonical JSON (sorted keys, fixed separators) so the hash does not depend on how
    # a database returns a JSON column.
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.case_id}/{instance.sha256[:16]}-{filename[-80:]}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("File"), upload_to=attachment_path)
    name = models.CharField(_("File name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("Size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("Uploaded at"))

    class Meta:
        verbose_name = _("Attachment")
        verbose_name_plural = _("Attachments")

    def __str__(self) -> str:
        return self.name
