"""Supervision: the escalation policy, the ladder's steps, reminder letters, listed
supervision, and the duty phones the ladder texts.

Exactly once is kept by constraints, not by checks: one step per stage clock and rung
(`EscalationStep`; the steps of one case and rung done together make one notice or
letter), one letter per letter step, one letter number per year and sequence,
one open listing per case.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.cases import confidential
from qinqing.cases.models import Attachment, Case, CaseEvent, StageClock
from qinqing.crypto_fields import EncryptedTextField
from qinqing.org.models import Unit


class LetterTitle(models.TextChoices):
    SUPERVISION = "督办函", _("Supervision letter (督办函)")
    WORK_REMINDER = "工作提示函", _("Work reminder letter (工作提示函)")


class EscalationPolicy(models.Model):
    """The thresholds of the escalation ladder. One row (pk 1), edited in the admin;
    `EscalationPolicy.current()` creates it with the defaults when missing."""

    notify_warning = models.BooleanField(
        _("Notify a unit when a stage enters warning"), default=True)
    remind_overdue = models.BooleanField(
        _("Remind a unit automatically when a stage is overdue (催办)"), default=True)
    send_sms = models.BooleanField(
        _("Also text the unit's duty phone"), default=True,
        help_text=_("Only units with a duty phone (Supervision → Duty phones) get SMS."))
    letter_after_days = models.PositiveSmallIntegerField(
        _("Reminder letter after this many working days overdue"), null=True, blank=True,
        default=2, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Empty: never send letters automatically."))
    auto_list_after_days = models.PositiveSmallIntegerField(
        _("List for supervision automatically after this many working days overdue"),
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Empty: only a supervisor lists a case."))
    listing_days = models.PositiveSmallIntegerField(
        _("Working days a listed case is given"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)])
    letter_title = models.CharField(_("Letter title"), max_length=10,
                                    choices=LetterTitle.choices,
                                    default=LetterTitle.SUPERVISION)
    letter_prefix = models.CharField(
        _("Letter number prefix"), max_length=12, default="督办",
        help_text=_("Letters are numbered <prefix>〔year〕第N号, e.g. 督办〔2026〕第12号."))
    issuing_unit = models.CharField(_("Issuing office"), max_length=80,
                                    default="优化营商环境监督专线办公室")
    signatory = models.CharField(_("Signed by"), max_length=60, blank=True)
    contact = models.CharField(_("Contact line on letters"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("Escalation policy")
        verbose_name_plural = _("Escalation policy")

    def __str__(self) -> str:
        return str(_("Escalation policy"))

    def save(self, *args, **kwargs):
        self.pk = 1  # one policy for the site
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "EscalationPolicy":
        policy = cls.objects.filter(pk=1).first()
        if policy is None:
            policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class DutyPhone(models.Model):
    """The phone a unit's duty officer carries (值班手机), texted by the ladder. Often a
    person's own mobile, so it is kept encrypted like a reporter's phone and shown
    masked. Master data: edited in the admin."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="duty_phone",
                                verbose_name=_("Unit"))
    phone_enc = EncryptedTextField(editable=False)
    note = models.CharField(_("Note"), max_length=100, blank=True)
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Duty phone")
        verbose_name_plural = _("Duty phones")

    def __str__(self) -> str:
        return f"{self.unit} {self.phone_masked}"

    @property
    def phone(self) -> str:
        return confidential.decrypt(self.phone_enc)

    @phone.setter
    def phone(self, value: str) -> None:
        self.phone_enc = confidential.encrypt(confidential.normalise_phone(value))

    @property
    def phone_masked(self) -> str:
        return confidential.mask_phone(self.phone)


class Rung(models.TextChoices):
    WARNING = "warning", _("Warning notice")
    REMINDER = "reminder", _("Automatic reminder (催办)")
    LETTER = "letter", _("Reminder letter (督办函)")
    LISTING = "listing", _("Listed for supervision (挂牌督办)")


class StepStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped (stage no longer late)")
    RETRY = "retry", _("Waiting to retry")
    FAILED = "failed", _("Failed")


class EscalationStep(models.Model):
    """One rung of the ladder for one stage clock: created by the tick when due (at most
    once: the unique constraint), done by a background job in one transaction with its
    timeline event (the job locks the row and does nothing if it is no longer queued)."""

    clock = models.ForeignKey(StageClock, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    rung = models.CharField(_("Rung"), max_length=10, choices=Rung.choices)
    unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("Unit addressed"))
    status = models.CharField(_("Status"), max_length=10, choices=StepStatus.choices,
                              default=StepStatus.QUEUED)
    due_at = models.DateTimeField(_("Stage deadline"))
    # The stored moment the clock reached the rung (its warning time or deadline): where
    # the sweep's cursor moves to after a full batch.
    reached_at = models.DateTimeField(_("Reached the rung at"))
    created_at = models.DateTimeField(_("Found due at"))
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    retry_at = models.DateTimeField(_("Retry at"), null=True, blank=True)
    last_error = models.TextField(_("Last error"), blank=True)
    done_at = models.DateTimeField(_("Done at"), null=True, blank=True)
    event = models.OneToOneField(CaseEvent, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    # Steps of the same case and rung done together are one notice, reminder or letter
    # (a case late at two stages is one case): the job does the first and marks the
    # others done as merged into it.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged", verbose_name=_("Merged into step"))

    class Meta:
        verbose_name = _("Escalation step")
        verbose_name_plural = _("Escalation steps")
        constraints = [
            models.UniqueConstraint(fields=["clock", "rung"], name="one_step_per_clock_rung"),
        ]
        indexes = [
            # Work left over: steps to retry, and queued ones whose job may be lost.
            models.Index(fields=["retry_at"], condition=Q(status="retry"), name="step_retry"),
            models.Index(fields=["created_at"], condition=Q(status="queued"),
                         name="step_queued"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.clock_id} {self.rung} {self.status}"


class LadderCursor(models.Model):
    """How far the tick's sweep has looked, per rung (ladder.py): `swept_to` is the
    threshold moment up to which every clock was considered, so the next sweep reads
    only what crossed since (plus an overlap); `audit_after` is where the rolling
    re-check of older clocks (whose deadline moved back, say) goes on next tick."""

    rung = models.CharField(max_length=10, primary_key=True)
    swept_to = models.DateTimeField(null=True, blank=True)
    audit_after = models.DateTimeField(null=True, blank=True)


class ReminderLetter(models.Model):
    """A reminder letter (督办函 / 工作提示函) issued to a unit about a late stage; the PDF
    is filed on the case as an attachment."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    step = models.OneToOneField(EscalationStep, null=True, blank=True,
                                on_delete=models.PROTECT, related_name="letter")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("Addressed to"))
    year = models.PositiveIntegerField(_("Year"))
    seq = models.PositiveIntegerField(_("Number in the year"))
    number = models.CharField(_("Letter number"), max_length=40, unique=True)
    title = models.CharField(_("Title"), max_length=10)
    # The most overdue of the stages the letter is about, and all of them in `stages`
    # ([{"stage", "due", "started", "days_overdue"}], most overdue first).
    stage = models.CharField(_("Stage"), max_length=10)
    due_at = models.DateTimeField(_("Deadline"))
    days_overdue = models.PositiveSmallIntegerField(_("Working days overdue"))
    stages = models.JSONField(_("Late stages"), default=list)
    issued_at = models.DateTimeField(_("Issued at"))
    attachment = models.OneToOneField(Attachment, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("Reminder letter")
        verbose_name_plural = _("Reminder letters")
        constraints = [
            models.UniqueConstraint(fields=["year", "seq"], name="letter_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class Listing(models.Model):
    """Listed supervision (挂牌督办): a case the supervisor (or the policy) puts under
    supervision with its own deadline. Shown on the public list; closed when the case
    closes."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="listings")
    unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("Unit responsible"))
    listed_at = models.DateTimeField(_("Listed at"))
    listed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("Listed by"))
    automatic = models.BooleanField(_("Listed by the policy"), default=False)
    reason = models.TextField(_("Reason"), blank=True)
    deadline = models.DateTimeField(_("Deadline"))
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Listed case")
        verbose_name_plural = _("Listed cases")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(closed_at__isnull=True),
                                    name="one_open_listing_per_case"),
        ]
        indexes = [models.Index(fields=["-listed_at", "-id"], name="listing_newest")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.listed_at:%Y-%m-%d}"
