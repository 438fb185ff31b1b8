"""Joint meetings (联席会议) about complex cases, and their decisions tracked to done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case
from qinqing.org.models import Unit


class Meeting(models.Model):
    title = models.CharField(_("Subject"), max_length=120)
    held_on = models.DateField(_("Held on"))
    cases = models.ManyToManyField(Case, verbose_name=_("Cases"), related_name="meetings")
    units = models.ManyToManyField(Unit, verbose_name=_("Attending units"), related_name="+")
    minutes = models.TextField(_("Minutes"))
    convened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Convened by"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("Recorded at"))
    submission_key = models.CharField(max_length=80, null=True, blank=True, unique=True,
                                      editable=False)

    class Meta:
        verbose_name = _("Joint meeting")
        verbose_name_plural = _("Joint meetings")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Decision(models.Model):
    """One decision of a meeting: what a unit must do by when, and whether it is done.

    Overdue means not done after the end of `due_on` (a date: decisions are given in days).
    """

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("Decision"))
    owner_unit = models.ForeignKey(Unit, verbose_name=_("Unit responsible"),
                                   on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("Deadline"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("Recorded at"))
    done_at = models.DateTimeField(_("Done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("Done by"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="+")
    done_note = models.TextField(_("How it was done"), blank=True)

    class Meta:
        verbose_name = _("Meeting decision")
        verbose_name_plural = _("Meeting decisions")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["due_on"], condition=models.Q(done_at__isnull=True),
                                name="decision_open_due")]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
