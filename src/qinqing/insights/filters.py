"""The period and region filter of the dashboard and the ranking (query-string input)."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.org import queries as org_queries

DEFAULT_DAYS = 30
# A day-by-day trend of more than a year is unreadable, and its cost grows with the span.
MAX_DAYS = 366
# Dates a case can have; outside them a date is a typing mistake (and 9999-12-31 would
# overflow the day after the period's end).
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)


def region_choices() -> list[tuple[str, str]]:
    return [("", _("whole city"))] + org_queries.region_choices(include_inactive=True)


class PeriodFilter(forms.Form):
    start = forms.DateField(label=_("Start date"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")})
    end = forms.DateField(label=_("End date"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}),
                          error_messages={"invalid": _("Enter a date as YYYY-MM-DD.")})
    region = forms.ChoiceField(label=_("Region"), required=False, choices=(),
                               error_messages={"invalid_choice": _(
                                   "There is no region with the code %(value)s.")})

    def __init__(self, data=None, *, today: date | None = None, default_days=DEFAULT_DAYS):
        self.today = today or timezone.localdate()
        self.default_days = default_days
        super().__init__(data)
        self.fields["region"].choices = region_choices()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for name in ("start", "end"):
            value = cleaned.get(name)
            if value and not FIRST_DATE <= value <= LAST_DATE:
                self.add_error(name, forms.ValidationError(
                    _("Choose a date from %(first)s to %(last)s."), code="range",
                    params={"first": FIRST_DATE, "last": LAST_DATE}))
        if self.errors:
            return cleaned
        end = cleaned.get("end") or self.today
        start = cleaned.get("start") or end - timedelta(days=self.default_days - 1)
        if start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."),
                                        code="order")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(days)s days."), code="span",
                params={"days": MAX_DAYS})
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def default(self) -> dict:
        """The filter when nothing (valid) was given: the last DEFAULT_DAYS days, the city."""
        end = self.today
        return {"start": end - timedelta(days=self.default_days - 1), "end": end,
                "region": ""}


class LobbyOptions(forms.Form):
    """The lobby display's options in its URL: region, seconds per view, seconds between
    data refreshes."""

    region = forms.ChoiceField(label=_("Region"), required=False, choices=(),
                               error_messages={"invalid_choice": _(
                                   "There is no region with the code %(value)s.")})
    cycle = forms.IntegerField(label=_("Seconds per view"), required=False, min_value=2,
                               max_value=600)
    refresh = forms.IntegerField(label=_("Seconds between updates"), required=False,
                                 min_value=2, max_value=3600)

    CYCLE, REFRESH = 15, 60

    def __init__(self, data=None):
        super().__init__(data)
        self.fields["region"].choices = region_choices()

    def clean(self):
        cleaned = super().clean()
        cleaned["cycle"] = cleaned.get("cycle") or self.CYCLE
        cleaned["refresh"] = cleaned.get("refresh") or self.REFRESH
        return cleaned
