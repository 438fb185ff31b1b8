"""Inspections (监督检查 / 明察暗访) and the problems they find.

Each problem is a case on the `inspection` channel, registered through
cases.services.create_case when the problem is recorded, and followed through the same
pipeline. A problem is rectified when its case is closed with the outcome `resolved`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case
from qinqing.org.models import Unit


class ProblemType(models.TextChoices):
    RESPONSIBILITY = "responsibility", _("Responsibility")
    CONDUCT = "conduct", _("Conduct")
    OTHER = "other", _("Other")


class Inspection(models.Model):
    held_on = models.DateField(_("Held on"))
    team = models.CharField(_("Team"), max_length=200)
    units = models.ManyToManyField(Unit, verbose_name=_("Units visited"), related_name="+")
    undercover = models.BooleanField(_("Undercover (明察暗访)"), default=False)
    summary = models.TextField(_("Inspection summary"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Recorded by"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("Recorded at"))
    submission_key = models.CharField(max_length=80, null=True, blank=True, unique=True,
                                      editable=False)

    class Meta:
        verbose_name = _("Inspection")
        verbose_name_plural = _("Inspections")
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["held_on"], name="inspection_held")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.team}"


class Problem(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="problems")
    type = models.CharField(_("Type"), max_length=16, choices=ProblemType.choices)
    unit = models.ForeignKey(Unit, verbose_name=_("Unit concerned"), on_delete=models.PROTECT,
                             related_name="+")
    description = models.TextField(_("Problem found"))
    case = models.OneToOneField(Case, verbose_name=_("Case"), on_delete=models.PROTECT,
                                related_name="inspection_problem")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField(_("Recorded at"))

    class Meta:
        verbose_name = _("Problem found")
        verbose_name_plural = _("Problems found")
        ordering = ["inspection", "id"]

    def __str__(self) -> str:
        return self.description[:40]
