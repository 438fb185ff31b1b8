"""Reporters (the person who filed a case) and the log of every unmasking.

Name, phone, ID number, contact and enterprise are stored encrypted
(qinqing.cases.confidential); the phone also as a keyed hash so staff can find a
caller's earlier cases without decrypting anything.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models.case import Case
from qinqing.crypto_fields import EncryptedTextField
from qinqing.org.models import Unit


class Reporter(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reporters")
    name_enc = EncryptedTextField(blank=True)
    phone_enc = EncryptedTextField(blank=True)
    id_number_enc = EncryptedTextField(blank=True)
    contact_enc = EncryptedTextField(blank=True)
    enterprise_enc = EncryptedTextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    is_primary = models.BooleanField(default=True)
    # Set on the copy attached to a case that another case was merged into (并单).
    merged_from = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    # Received as the reporter of a report of misconduct (举报): protected for good. The
    # flag belongs to this row, not to the case's current kind, so it survives a merge
    # (copied to the merged-into case's row), a reclassification and every read path;
    # the rule it drives is qinqing.cases.access. `accused_unit` is the unit reported
    # (its whole subtree never sees this person nor, through routing, the case).
    protected = models.BooleanField(_("Protected reporter"), default=False)
    accused_unit = models.ForeignKey(Unit, verbose_name=_("Unit reported"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    # The reporter asked for an SMS at each public step of the case (the milestones the
    # tracking page shows), to the phone above; qinqing.notifications queues them.
    sms_updates = models.BooleanField(_("SMS at each step"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Reporter")
        verbose_name_plural = _("Reporters")


class UnmaskLog(models.Model):
    reporter = models.ForeignKey(Reporter, on_delete=models.PROTECT, related_name="unmaskings")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("Reason"))
    at = models.DateTimeField(_("At"))

    class Meta:
        verbose_name = _("Unmasking")
        verbose_name_plural = _("Unmaskings")
