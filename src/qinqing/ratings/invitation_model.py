"""An SMS invitation to rate a closed case (issue 17 §3): the link /r/<token>, when it is
sent and sent again, and until when the person may rate before the default is given.

A module of its own (imported at the end of models.py) so that the ratings of codes and
the invitations of cases can change apart. What the database keeps:
- one invitation per case and round (unique), so closing a case twice, or two workers
  running the same tick, never invites twice;
- the token is random (128 bits) and unique: the link is the only key to the page;
- `rating` is the rating it led to, real or default (one per case and round: the
  Rating constraints).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case, Reporter
from qinqing.org.models import Unit
from qinqing.ratings.levels import Round


class Invitation(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("Case"), on_delete=models.PROTECT,
                             related_name="rating_invitations")
    round = models.PositiveSmallIntegerField(_("Rating round"), choices=Round.choices,
                                             default=Round.FIRST)
    # The case's own reporter (not a copy from a merged case): the phone is read from it
    # when the SMS is queued, so a phone corrected meanwhile is the one texted.
    reporter = models.ForeignKey(Reporter, on_delete=models.PROTECT, related_name="+")
    # The unit that handled the case at its close (its lead unit, or the hotline that
    # answered it directly) and the case's region: the rating's object, as of the close.
    unit = models.ForeignKey(Unit, verbose_name=_("Unit"), on_delete=models.PROTECT,
                             related_name="+")
    token = models.CharField(max_length=32, unique=True, editable=False)
    closed_at = models.DateTimeField(_("Closed at"))
    # When the next SMS is due (the first, then the one reminder); null: nothing more to
    # send (both sent, or rated, or given the default).
    next_send_at = models.DateTimeField(_("Next SMS"), null=True, blank=True)
    sends = models.PositiveSmallIntegerField(_("SMS sent"), default=0)
    first_sent_at = models.DateTimeField(_("First SMS"), null=True, blank=True)
    # The end of the window to rate: after it the default rating is given.
    due_at = models.DateTimeField(_("Rate by"))
    rating = models.OneToOneField("ratings.Rating", verbose_name=_("Rating"), null=True,
                                  blank=True, on_delete=models.PROTECT,
                                  related_name="invitation")
    created_at = models.DateTimeField(_("Created"))

    class Meta:
        verbose_name = _("Rating invitation")
        verbose_name_plural = _("Rating invitations")
        constraints = [
            models.UniqueConstraint(fields=["case", "round"],
                                    name="invitation_one_per_case_round"),
            models.CheckConstraint(condition=Q(sends__lte=2), name="invitation_at_most_two_sms"),
        ]
        indexes = [
            # The tick reads the invitations with an SMS due, and those past their window
            # without a rating: partial indexes keep both cheap as rated ones pile up.
            models.Index(fields=["next_send_at"], condition=Q(next_send_at__isnull=False),
                         name="invitation_sms_due"),
            models.Index(fields=["due_at"], condition=Q(rating__isnull=True),
                         name="invitation_unrated"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.round}"
