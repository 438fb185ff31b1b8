"""Accountability records (问责): who was sanctioned how, for which cases.

The official's name, position and the notes are personal data: Fernet tokens
(qinqing.cases.confidential, the reporters' keys, rotated by `qinqing rotate-keys`),
shown only to discipline inspectors and administrators (see services.NAME_ROLES). Nothing
here puts them into `__str__`, so admin history and error reports cannot carry them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case
from qinqing.crypto_fields import EncryptedTextField
from qinqing.org.models import Unit


class SanctionGroup(models.TextChoices):
    PARTY = "party", _("Party discipline")
    ADMINISTRATIVE = "administrative", _("Administrative sanction")
    ORGANISATIONAL = "organisational", _("Organisational handling")
    REFERRAL = "referral", _("Referral")


class SanctionType(models.Model):
    """A sanction an accountability record may give (master data, seeded with Linfen's list)."""

    code = models.SlugField(_("Code"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=40)
    group = models.CharField(_("Group"), max_length=16, choices=SanctionGroup.choices)
    sort_order = models.PositiveIntegerField(_("Order"), default=0)
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Sanction type")
        verbose_name_plural = _("Sanction types")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class AccountabilityRecord(models.Model):
    cases = models.ManyToManyField(Case, verbose_name=_("Cases"),
                                   related_name="accountability_records")
    name_enc = EncryptedTextField(editable=False)
    position_enc = EncryptedTextField(blank=True, editable=False)
    notes_enc = EncryptedTextField(blank=True, editable=False)
    official_unit = models.ForeignKey(Unit, verbose_name=_("Official's unit"),
                                      on_delete=models.PROTECT, related_name="+")
    sanction = models.ForeignKey(SanctionType, verbose_name=_("Sanction"),
                                 on_delete=models.PROTECT, related_name="records")
    decided_by = models.CharField(_("Decided by"), max_length=100)
    decided_on = models.DateField(_("Decided on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Recorded by"),
                                    on_delete=models.PROTECT, related_name="+")
    # The recorder's unit at the time: the discipline commission keeps seeing what it
    # recorded even when a case is later routed away from it.
    recorded_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("Recorded at"))
    submission_key = models.CharField(max_length=80, null=True, blank=True, unique=True,
                                      editable=False)

    class Meta:
        verbose_name = _("Accountability record")
        verbose_name_plural = _("Accountability records")
        ordering = ["-decided_on", "-id"]
        indexes = [models.Index(fields=["decided_on"], name="accountability_decided")]

    def __str__(self) -> str:
        # Never the name: this string reaches admin history, logs and error reports.
        return f"#{self.pk}"
