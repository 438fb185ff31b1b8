"""An answering unit's appeal of a rating it believes mistaken or malicious (申诉复核,
国办发〔2019〕51号), and the reviewer's decision (ratings/appeals.py writes both).

What the database keeps: one open appeal per rating (a partial unique constraint); a
decided appeal has its decision, its reviewer, its moment and its reasons; an open one
has none of them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case
from qinqing.org.models import Unit


class Decision(models.TextChoices):
    OPEN = "open", _("Waiting for review")
    UPHELD = "upheld", _("Upheld: the rating is invalid")
    REJECTED = "rejected", _("Rejected: the rating stands")


class Appeal(models.Model):
    rating = models.ForeignKey("ratings.Rating", verbose_name=_("Rating"),
                               on_delete=models.PROTECT, related_name="appeals")
    case = models.ForeignKey(Case, verbose_name=_("Rectification case"),
                             on_delete=models.PROTECT, related_name="rating_appeals")
    unit = models.ForeignKey(Unit, verbose_name=_("Appealing unit"), on_delete=models.PROTECT,
                             related_name="+")
    appealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Appealed by"),
                                    on_delete=models.PROTECT, related_name="+")
    appealed_at = models.DateTimeField(_("Appealed at"))
    reason = models.TextField(_("Why the rating is mistaken or malicious"))
    decision = models.CharField(_("Review decision"), max_length=10, choices=Decision.choices,
                                default=Decision.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Reviewer"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("Reviewed at"), null=True, blank=True)
    decision_reason = models.TextField(_("Reasons of the decision"), blank=True)

    class Meta:
        verbose_name = _("Rating appeal")
        verbose_name_plural = _("Rating appeals")
        ordering = ["-appealed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["rating"], condition=Q(decision="open"),
                                    name="appeal_one_open_per_rating"),
            models.CheckConstraint(condition=~Q(reason=""), name="appeal_has_reason"),
            models.CheckConstraint(
                condition=Q(decision="open", decided_at__isnull=True, decided_by__isnull=True,
                            decision_reason="")
                | Q(decision__in=["upheld", "rejected"], decided_at__isnull=False,
                    decided_by__isnull=False) & ~Q(decision_reason=""),
                name="appeal_decided_with_reviewer_and_reasons"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} · {self.appealed_at:%Y-%m-%d}"
