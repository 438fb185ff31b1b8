"""Calendar overrides an administrator edits.

The chinese-calendar package carries the State Council's holidays and make-up working
days (调休) for the years it knows. Each November the next year's schedule is announced,
often before a new package is released: an administrator enters it here, and local
changes (a day off for a local event) go here too. An override wins over the package.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarOverride(models.Model):
    date = models.DateField(_("Date"), unique=True)
    is_workday = models.BooleanField(
        _("Working day"), help_text=_("Ticked: a working day (e.g. a make-up working day). Unticked: a day off."),
    )
    note = models.CharField(_("Note"), max_length=100, blank=True,
                            help_text=_("E.g. Spring Festival make-up working day, National Day holiday."))
    updated_at = models.DateTimeField(_("Updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("Updated by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("Calendar override")
        verbose_name_plural = _("Calendar overrides")
        ordering = ["-date"]

    def __str__(self) -> str:
        state = _("working day") if self.is_workday else _("day off")
        return f"{self.date:%Y-%m-%d} {state}"
