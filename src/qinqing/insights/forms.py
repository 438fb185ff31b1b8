"""What the bulletin and typical-case pages accept from a browser (checked here, then the
services check again)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.insights.metrics import FIRST_DAY, LAST_DAY, MAX_DAYS
from qinqing.insights.queries import regions
from qinqing.text import TextForm


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last finished month."""
    today = today or timezone.localdate()
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


class PeriodForm(TextForm):
    start = forms.DateField(label=_("Period from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Period to"), widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("all I may see"))] + [
            (u.code, u.short_name or u.name) for u in regions()]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        for name, day in (("start", start), ("end", end)):
            if day and not FIRST_DAY <= day <= LAST_DAY:
                self.add_error(name, _("Give a date from %(first)s to %(last)s.") % {
                    "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()})
                return data
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period is before its start."))
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", _("A period may be at most %(years)s years long.") % {
                    "years": 20})
        return data


class TypicalForm(TextForm):
    title = forms.CharField(label=_("Headline"), max_length=80)
    summary = forms.CharField(
        label=_("Anonymised summary"), max_length=2000, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What the public reads. No names, phone or ID numbers, or enterprise names "
                    "(write 某某, 某企业) unless those named agreed."))
    names_publishable = forms.BooleanField(
        label=_("Names may be published (those named agreed)"), required=False)


class ChannelPeriodForm(PeriodForm):
    """The period, region and channel of the channel figures page (default: the mayor's
    mailbox over the last six finished months)."""

    channel = forms.ChoiceField(label=_("Channel"), required=False)

    def __init__(self, *args, **kwargs):
        from qinqing.cases.models import Channel

        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = Channel.choices

    def clean(self):
        from qinqing.cases.models import Channel
        from qinqing.insights.channel_figures import MAX_MONTHS, too_many_months

        data = super().clean()
        data["channel"] = data.get("channel") or Channel.MAYOR_MAILBOX  # as the view
        start, end = data.get("start"), data.get("end")
        if start and end and not self.errors and too_many_months(start, end):
            self.add_error("end", _("The monthly table covers at most %(n)s months.") % {
                "n": MAX_MONTHS})
        return data


def default_months(today: date | None = None, n: int = 6) -> tuple[date, date]:
    """The last n finished months."""
    _first, end = default_period(today)
    start = end.replace(day=1)
    for _i in range(n - 1):
        start = (start - timedelta(days=1)).replace(day=1)
    return start, end
