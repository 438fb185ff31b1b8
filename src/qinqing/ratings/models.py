"""A rating (好差评) of a window, unit, staff member or enterprise, given by scanning its
supervision code. The record carries the GB/T 39046 fields (levels.py says the numbering).

What the database keeps, not the code:
- level 1..5; a bad rating (4, 5) has a reason and its rectification case: a bad rating
  without its case cannot exist (the case is written first, in the same transaction);
- one rating per form: `form_token` is unique (the page load's key: a double click, a
  network retry, 20 identical submissions make one rating);
- one rating per verified phone per object per day (the "service visit" of a scan: a
  person at a window comes once a day): unique (phone_index, object_key, visit_day)
  where a phone was given. An anonymous rater is one visit per page load.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case
from qinqing.codes.models import SupervisionCode
from qinqing.crypto_fields import EncryptedTextField
from qinqing.enterprises.models import Enterprise
from qinqing.org.models import Unit
from qinqing.ratings.levels import FIRST_BAD, Channel, Level, Reason, Round, Status


class Rating(models.Model):
    # A scan's rating names its code; a case's rating (issue 17 §3) has none and names
    # the case instead (`rated_case`). Each rating is of exactly one kind (constraints).
    code = models.ForeignKey(SupervisionCode, verbose_name=_("Supervision code"), null=True,
                             blank=True, on_delete=models.PROTECT, related_name="ratings")
    rated_case = models.ForeignKey(Case, verbose_name=_("Case rated"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="service_ratings")
    # 事项编码/名称 of the service item rated, as given (the catalogue is a later issue).
    service_item = models.CharField(_("Service item"), max_length=200, blank=True)
    # Given by the platform when nobody rated in time (ratings.defaults): counted apart.
    is_default = models.BooleanField(_("Default rating"), default=False)
    # The object as it was at the moment of rating (a code is for exactly one of them):
    # later moves of a window or a staff member do not move old ratings.
    unit = models.ForeignKey(Unit, verbose_name=_("Unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="ratings")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Staff member"),
                              null=True, blank=True, on_delete=models.PROTECT,
                              related_name="ratings")
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("Enterprise"), null=True,
                                   blank=True, on_delete=models.PROTECT, related_name="ratings")
    # The unit answering for the object then (a window's hall, a staff member's unit, an
    # enterprise's region) and the object's region (行政区划), both as of the moment.
    answerable_unit = models.ForeignKey(Unit, verbose_name=_("Unit answering"),
                                        on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Unit, verbose_name=_("Region"), on_delete=models.PROTECT,
                               related_name="+")
    object_key = models.CharField(max_length=40, editable=False)  # "unit:12", "staff:3"
    level = models.PositiveSmallIntegerField(_("Level"), choices=Level.choices)
    channel = models.CharField(_("Channel"), max_length=16, choices=Channel.choices)
    round = models.PositiveSmallIntegerField(_("Rating round"), choices=Round.choices,
                                             default=Round.FIRST)
    reason = models.CharField(_("Reason"), max_length=20, choices=Reason.choices, blank=True)
    text = models.TextField(_("What happened"), blank=True)
    rater_name_enc = EncryptedTextField(blank=True)
    rater_phone_enc = EncryptedTextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_verified = models.BooleanField(_("Phone verified"), default=False)
    rated_at = models.DateTimeField(_("Rated at"), db_index=True)
    visit_day = models.DateField(_("Day of the visit"))
    form_token = models.CharField(max_length=32, unique=True, editable=False)
    case = models.OneToOneField(Case, verbose_name=_("Rectification case"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="rating")
    # The rating of the fix (round 2), pointing at the first rating: one-to-one, so the
    # database keeps one follow-up per first rating (ratings/followup.py).
    follow_up_of = models.OneToOneField("self", verbose_name=_("Follow-up of"), null=True,
                                        blank=True, on_delete=models.PROTECT,
                                        related_name="follow_up")
    # An upheld appeal marks a rating invalid; it is never deleted (ratings/appeals.py).
    status = models.CharField(_("Validity"), max_length=12, choices=Status.choices,
                              default=Status.VALID)

    class Meta:
        verbose_name = _("Rating")
        verbose_name_plural = _("Ratings")
        ordering = ["-rated_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5),
                                   name="rating_level_1_to_5"),
            # A follow-up rates the fix of the first rating's case: it has no case of
            # its own, and a bad one reopens that case (ratings/followup.py).
            models.CheckConstraint(
                condition=Q(level__lt=FIRST_BAD) | Q(round=Round.FOLLOW_UP)
                | ~Q(reason="") & Q(case__isnull=False),
                name="rating_bad_has_reason_and_case"),
            models.CheckConstraint(
                condition=Q(round=Round.FIRST, follow_up_of__isnull=True)
                | Q(round=Round.FOLLOW_UP, follow_up_of__isnull=False, case__isnull=True),
                name="rating_follow_up_round_and_link"),
            models.CheckConstraint(condition=Q(code__isnull=False, rated_case__isnull=True)
                                   & (Q(unit__isnull=False, staff__isnull=True,
                                        enterprise__isnull=True)
                                      | Q(unit__isnull=True, staff__isnull=False,
                                          enterprise__isnull=True)
                                      | Q(unit__isnull=True, staff__isnull=True,
                                          enterprise__isnull=False))
                                   | Q(code__isnull=True, rated_case__isnull=False,
                                       unit__isnull=True, staff__isnull=True,
                                       enterprise__isnull=True),
                                   name="rating_for_exactly_one_object"),
            # One rating of a case per round, real or default: the first to commit wins,
            # so a default never overwrites a real one that came in at the same moment.
            models.UniqueConstraint(fields=["rated_case", "round"],
                                    condition=Q(rated_case__isnull=False),
                                    name="rating_one_per_case_round"),
            # Only a case's rating can be a default one, and never a bad one.
            models.CheckConstraint(condition=Q(is_default=False)
                                   | Q(rated_case__isnull=False, level__lt=FIRST_BAD),
                                   name="rating_default_of_case_not_bad"),
            models.UniqueConstraint(fields=["phone_index", "object_key", "visit_day"],
                                    condition=~Q(phone_index=""),
                                    name="rating_one_per_phone_object_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} · {self.rated_at:%Y-%m-%d}"

    @property
    def is_bad(self) -> bool:
        return self.level >= FIRST_BAD


# Appeals (申诉复核) live in their own module; imported here so Django finds the model.
from qinqing.ratings.appeal_models import Appeal  # noqa: E402,F401
from qinqing.ratings.invitation_model import Invitation  # noqa: E402,F401 (issue 17 §3)
