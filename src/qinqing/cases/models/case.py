"""The case (工单): one matter, whatever channel it came in by."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.crypto_fields import EncryptedTextField
from qinqing.org.models import Unit


class Kind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report of misconduct")
    CONSULTATION = "consultation", _("Consultation")
    HELP = "help", _("Request for help")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline call")
    WEB = "web", _("Web or mobile portal")
    WINDOW_QR = "window_qr", _("Window QR code")
    ENTERPRISE_QR = "enterprise_qr", _("Enterprise QR code")
    RATING = "rating", _("Bad-rating follow-up")
    CANNOT_DO_WINDOW = "cannot_do_window", _("Couldn't-get-it-done window")
    MONITORING_POINT = "monitoring_point", _("Monitoring point")
    ENTERPRISE_VISIT = "enterprise_visit", _("Enterprise visit or meeting")
    DELIBERATION_DAY = "deliberation_day", _("Resident deliberation day")
    MAYOR_MAILBOX = "mayor_mailbox", _("Mayor's mailbox")
    INSPECTION = "inspection", _("Inspection finding")
    TRANSFER = "transfer", _("Transfer from another hotline")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLING = "handling", _("Handling")
    RETURNED = "returned", _("Returned")
    REPLIED = "replied", _("Replied")
    REVIEWED = "reviewed", _("Reviewed")
    CLOSED = "closed", _("Closed")


OPEN_STATES = [s for s in State.values if s != State.CLOSED]


class Outcome(models.TextChoices):
    DIRECT_ANSWER = "direct_answer", _("Answered directly")
    RESOLVED = "resolved", _("Closed after callback")
    MERGED = "merged", _("Merged into another case")
    REJECTED = "rejected", _("Rejected as invalid")
    NOT_ACCEPTED = "not_accepted", _("Not accepted (another procedure)")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class Category(models.Model):
    """A node of the configurable category tree (approval services, law enforcement, …)."""

    code = models.CharField(_("Code"), max_length=32, unique=True)
    name = models.CharField(_("Name"), max_length=60)
    parent = models.ForeignKey("self", verbose_name=_("Parent category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    sort_order = models.PositiveIntegerField(_("Order"), default=0)
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Category")
        verbose_name_plural = _("Categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class NumberSequence(models.Model):
    """The last number of a series given out in a year: case numbers (series "case",
    QQ-2026-000123), reminder letters ("letter", 督办〔2026〕第12号). Taken only through
    qinqing.cases.numbering (gap-free)."""

    series = models.CharField(max_length=20)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"],
                                               name="number_sequence_series_year")]


class Case(models.Model):
    number = models.CharField(_("Case number"), max_length=20, unique=True)
    # The query code is shown once to the person who filed the case. It is kept encrypted
    # (a retried intake must be able to return it again) and as a keyed hash to check it.
    query_code_enc = EncryptedTextField(editable=False)
    query_code_hash = models.CharField(max_length=64, editable=False)

    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("Channel"), max_length=20, choices=Channel.choices)
    category = models.ForeignKey(Category, verbose_name=_("Category"), on_delete=models.PROTECT,
                                 related_name="cases")
    urgency = models.CharField(_("Urgency"), max_length=8, choices=Urgency.choices,
                               default=Urgency.NORMAL)
    title = models.CharField(_("Title"), max_length=120)
    content = models.TextField(_("Content"))
    enterprise_name = models.CharField(_("Enterprise concerned"), max_length=120, blank=True)
    subject_unit = models.ForeignKey(
        Unit, verbose_name=_("Unit or window complained about"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    region = models.ForeignKey(Unit, verbose_name=_("Region"), on_delete=models.PROTECT,
                               related_name="+")
    # The hotline that took the case; its staff (and their superiors) see it before routing.
    owner_unit = models.ForeignKey(Unit, verbose_name=_("Hotline"), on_delete=models.PROTECT,
                                   related_name="+")
    lead_unit = models.ForeignKey(Unit, verbose_name=_("Lead unit"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    co_units = models.ManyToManyField(Unit, verbose_name=_("Co-units"), blank=True,
                                      related_name="co_cases")
    is_anonymous = models.BooleanField(_("Anonymous"), default=False)

    state = models.CharField(_("State"), max_length=12, choices=State.choices,
                             default=State.RECEIVED)
    outcome = models.CharField(_("Outcome"), max_length=16, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("Answer or result"), blank=True)
    satisfaction = models.CharField(_("Satisfaction"), max_length=20,
                                    choices=Satisfaction.choices, blank=True)
    resolved = models.BooleanField(_("Caller says solved"), null=True)
    merged_into = models.ForeignKey("self", verbose_name=_("Merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_cases")
    reopen_count = models.PositiveSmallIntegerField(_("Reopened"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("Extensions"), default=0)
    suspension_count = models.PositiveSmallIntegerField(_("Suspensions"), default=0)
    is_suspended = models.BooleanField(_("Suspended"), default=False)
    # Set when the dispatcher upholds an assignment the unit objected to: the unit may not
    # send the same case back again (no ping-pong between units).
    return_locked = models.BooleanField(_("Return refused"), default=False)

    received_at = models.DateTimeField(_("Received at"))
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Registered by"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    intake_key = models.CharField(max_length=200, null=True, blank=True, unique=True,
                                  editable=False)
    intake_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("Case")
        verbose_name_plural = _("Cases")
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="case_newest"),
            models.Index(fields=["lead_unit", "state", "-received_at", "-id"],
                         name="case_unit_state_newest"),
            models.Index(fields=["state", "-received_at", "-id"], name="case_state_newest"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state != State.CLOSED
