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
    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(
        _("上班"), help_text=_("勾选表示当天上班（如调休上班日）；不勾选表示当天放假。"),
    )
    note = models.CharField(_("说明"), max_length=100, blank=True,
                            help_text=_("如：春节调休上班、国庆节放假。"))
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("更新人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("日历调整")
        verbose_name_plural = _("日历调整")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {'上班' if self.is_workday else '放假'}"
