"""In-app notifications for staff, and the record of every SMS message.

An SMS recipient's phone is personal data: it is stored encrypted like a reporter's
(qinqing.cases.confidential) and shown masked.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.cases import confidential
from qinqing.cases.models import Case
from qinqing.crypto_fields import EncryptedTextField


class Kind(models.TextChoices):
    STAGE_WARNING = "stage_warning", _("Deadline approaching")
    STAGE_OVERDUE = "stage_overdue", _("Deadline passed")
    REMINDER = "reminder", _("Reminder")
    LETTER = "letter", _("Reminder letter")
    LISTED = "listed", _("Listed for supervision")
    OTHER = "other", _("Notice")


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications", verbose_name=_("Recipient"))
    kind = models.CharField(_("Kind"), max_length=32, choices=Kind.choices, default=Kind.OTHER)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", verbose_name=_("Case"))
    title = models.CharField(_("Title"), max_length=200)
    body = models.TextField(_("Text"), blank=True)
    # Names the event a notification is about, so the same event never notifies the same
    # person twice (a tick that runs again after a crash, say). Blank: no such guarantee.
    event_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("Created"))
    read_at = models.DateTimeField(_("Read"), null=True, blank=True)

    class Meta:
        verbose_name = _("Notification")
        verbose_name_plural = _("Notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "event_key"],
                                    condition=~Q(event_key=""),
                                    name="notification_once_per_event"),
        ]
        indexes = [
            # A user's unread ones, newest first: the only list read often.
            models.Index(fields=["recipient", "-created_at"], condition=Q(read_at__isnull=True),
                         name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.title


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class SmsMessage(models.Model):
    phone_enc = EncryptedTextField()
    text = models.TextField(_("Text"))
    # One message per event, ever: the unique key is what makes queueing idempotent, and
    # it goes to the gateway as the Idempotency-Key header.
    event_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(_("Status"), max_length=10, choices=SmsStatus.choices,
                              default=SmsStatus.QUEUED)
    attempts = models.PositiveIntegerField(_("Attempts"), default=0)
    # While queued: when it may be tried next. A worker that claims it moves this past
    # its own send (a lease), so no other worker takes it meanwhile.
    next_attempt_at = models.DateTimeField(_("Next attempt"))
    last_error = models.TextField(_("Last error"), blank=True)
    created_at = models.DateTimeField(_("Created"))
    sent_at = models.DateTimeField(_("Sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        indexes = [
            # deliver_due reads only queued rows that are due: a partial index keeps that
            # cheap however many sent messages pile up.
            models.Index(fields=["next_attempt_at"], condition=Q(status="queued"),
                         name="sms_due"),
        ]

    def __str__(self) -> str:
        return f"{self.phone_masked} {self.event_key}"

    # `phone` (the clear number) comes with the EncryptedTextField.

    @property
    def phone_masked(self) -> str:
        return confidential.mask_phone(self.phone)
