"""Overdue sweep campaigns (专项清零): a snapshot of the cases overdue at the start.

Membership is fixed when the campaign starts. Whether a member is cleared is not stored:
it is read from the stage clocks it was snapshotted with (their `done_at`) and the case's
`closed_at`, so every figure of a campaign, the burn-down included, can be recomputed
from the data at any time.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case, Kind, StageClock
from qinqing.org.models import Unit


class Campaign(models.Model):
    name = models.CharField(_("Name"), max_length=120)
    note = models.TextField(_("Note"), blank=True)
    # The scope: every part optional; an empty scope is the whole city (or whatever the
    # supervisor who starts it may see).
    region = models.ForeignKey(Unit, verbose_name=_("Region"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("Unit that must act"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices, blank=True)
    started_at = models.DateTimeField(_("Started at"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Started by"),
                                   on_delete=models.PROTECT, related_name="+")
    snapshot_count = models.PositiveIntegerField(_("Overdue cases at the start"))
    closed_at = models.DateTimeField(_("Closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Closed by"),
                                  null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closing_note = models.TextField(_("Closing note"), blank=True)
    remaining_at_close = models.PositiveIntegerField(_("Still unresolved at the close"),
                                                     null=True, blank=True)
    submission_key = models.CharField(max_length=80, null=True, blank=True, unique=True,
                                      editable=False)

    class Meta:
        verbose_name = _("Overdue sweep campaign")
        verbose_name_plural = _("Overdue sweep campaigns")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CampaignCase(models.Model):
    """A case in a campaign's snapshot, with the stages that were overdue then."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="campaign_entries")
    # The unit that had to act on the overdue stages at the start (the lead unit for
    # signing and resolving, the hotline for dispatch and callback), for "remaining by unit".
    unit = models.ForeignKey(Unit, verbose_name=_("Unit that must act"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="+")
    clocks = models.ManyToManyField(StageClock, verbose_name=_("Overdue stages at the start"),
                                    related_name="+")
    first_due_at = models.DateTimeField(_("Overdue since"))

    class Meta:
        verbose_name = _("Case in a campaign")
        verbose_name_plural = _("Cases in campaigns")
        constraints = [models.UniqueConstraint(fields=["campaign", "case"],
                                               name="campaign_case_once")]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.case_id}"
