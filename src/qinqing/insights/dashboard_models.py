"""Data of the dashboard: the ranking weights, the lobby's display tokens, and the words of
recent cases that the hot topics count (hot_topics.py).

Imported by insights/models.py (Django finds an app's models there).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case
from qinqing.org.models import REGION_KINDS, Unit

_WEIGHT = dict(max_digits=6, decimal_places=2,
               validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(1000))])


class RankingPolicy(models.Model):
    """The weights of the unit ranking (考核). One row, edited by an administrator.

    A weight is relative: the score divides by the sum of the weights of the components
    that can be computed, so weights need not add up to 100.
    """

    SINGLETON = 1

    weight_on_time = models.DecimalField(_("Weight: on-time rate"), default=Decimal(40),
                                         **_WEIGHT)
    weight_satisfaction = models.DecimalField(_("Weight: satisfaction rate"),
                                              default=Decimal(30), **_WEIGHT)
    weight_reopen = models.DecimalField(_("Weight: reopen rate"), default=Decimal(15),
                                        **_WEIGHT)
    weight_bad_ratings = models.DecimalField(
        _("Weight: bad ratings"), default=Decimal(15), **_WEIGHT,
        help_text=_("Ratings are not recorded yet: this weight is ignored until they are."))
    min_cases = models.PositiveIntegerField(
        _("Fewest cases for a rate"), default=5,
        validators=[MinValueValidator(1), MaxValueValidator(100000)],
        help_text=_("A unit with fewer cases than this behind any of its rates is shown "
                    "apart, not ranked."))
    updated_at = models.DateTimeField(_("Changed at"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Changed by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    class Meta:
        verbose_name = _("Ranking weights")
        verbose_name_plural = _("Ranking weights")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="one_ranking_policy"),
        ]

    def __str__(self) -> str:
        return str(_("Ranking weights"))

    @classmethod
    def current(cls) -> "RankingPolicy":
        """The saved weights, or the defaults (unsaved) before an administrator set any."""
        return cls.objects.filter(pk=cls.SINGLETON).first() or cls(pk=cls.SINGLETON)

    def weights(self) -> dict[str, Decimal]:
        """criterion key -> weight: the field weight_<key> is the weight of the ranking's
        criterion <key> (ranking.CRITERIA). Which criteria can be computed is the
        ranking's to say (the admin's form checks that one of them weighs something):
        this model is below the figures and knows nothing of them."""
        return {f.name.removeprefix("weight_"): getattr(self, f.name)
                for f in self._meta.concrete_fields if f.name.startswith("weight_")}

    def clean(self) -> None:
        self.pk = self.SINGLETON

    def save(self, *args, **kwargs) -> None:
        self.pk = self.SINGLETON
        super().save(*args, **kwargs)


class DisplayToken(models.Model):
    """Lets one wall screen show the lobby display without a login, until revoked.

    Only a SHA-256 of the token is kept; the token itself is shown once, when issued
    (insights/display_tokens.py).
    """

    name = models.CharField(_("Screen"), max_length=60,
                            help_text=_("Where the screen hangs, e.g. the city service hall."))
    region = models.ForeignKey(Unit, verbose_name=_("Region shown"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               limit_choices_to={"kind__in": REGION_KINDS},
                               help_text=_("Empty: the whole city."))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("Issued at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Issued by"),
                                   null=True, on_delete=models.SET_NULL, related_name="+",
                                   editable=False)
    revoked_at = models.DateTimeField(_("Revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Lobby display token")
        verbose_name_plural = _("Lobby display tokens")

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class CaseTerms(models.Model):
    """The topic words of one recent case, as hot_topics.terms_of() found them, with how
    often each occurs: {word: mentions}.

    Written by the worker's tick (hot_topics.segment_recent) so that segmenting Chinese,
    which is slow in Python, stays off the dashboard's request; forgotten when the case is
    older than the longest period the hot topics read, and when its text is edited.
    """

    case = models.OneToOneField(Case, primary_key=True, on_delete=models.CASCADE,
                                related_name="topic_terms")
    received_at = models.DateTimeField(db_index=True)  # the case's: old rows are pruned by it
    terms = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("Words of a case")
        verbose_name_plural = _("Words of cases")

    def __str__(self) -> str:
        return f"{self.case_id}: {len(self.terms)}"
