"""What the public side keeps besides the case: SMS codes that prove a phone, and how a
matter came in through the portal."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PhoneChallenge(models.Model):
    """One SMS code sent to prove a phone number. The number and the code are kept only as
    keyed hashes: enough to check a typed code, nothing to read back."""

    phone_index = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("Sent at"))
    expires_at = models.DateTimeField(_("Expires at"))
    attempts = models.PositiveSmallIntegerField(_("Wrong tries"), default=0)
    used_at = models.DateTimeField(_("Used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        indexes = [models.Index(fields=["phone_index", "-created_at"], name="challenge_latest")]


class Submission(models.Model):
    """A case filed through the public portal: what the case itself has no column for."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="+")
    enterprise_code = models.CharField(_("Unified social credit code"), max_length=18,
                                       blank=True)
    phone_verified = models.BooleanField(_("Phone verified by SMS"), default=False)
    created_at = models.DateTimeField(_("Submitted at"))

    class Meta:
        verbose_name = _("Portal submission")
        verbose_name_plural = _("Portal submissions")


class Publication(models.TextChoices):
    NOT_ASKED = "not_asked", _("Not to be published")
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Published")
    REFUSED = "refused", _("Not published")


class MailboxLetter(models.Model):
    """A letter to the mayor's mailbox (市长信箱): a case on the mailbox channel, and whether
    its question and answer may be shown on the public list. Only what staff approved is
    shown, in the anonymised words they approved (never the case's own text)."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="+")
    consent = models.BooleanField(_("Writer agrees to publication"), default=False)
    publication = models.CharField(_("Publication"), max_length=10, choices=Publication.choices,
                                   default=Publication.NOT_ASKED)
    public_title = models.CharField(_("Published title"), max_length=120, blank=True)
    public_question = models.TextField(_("Published letter"), blank=True)
    public_answer = models.TextField(_("Published answer"), blank=True)
    decided_by = models.ForeignKey("org.User", verbose_name=_("Decided by"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("Received at"))

    class Meta:
        verbose_name = _("Mayor's mailbox letter")
        verbose_name_plural = _("Mayor's mailbox letters")
        indexes = [models.Index(fields=["publication", "-decided_at"], name="letter_published")]
