"""The form of the page a scan opens (/c/<token>): the level, for a bad one the reason
and what happened, and optionally a name and a phone confirmed by an SMS code."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing import limits
from qinqing.cases import confidential
from qinqing.ratings.levels import Level, Reason, is_bad
from qinqing.text import TextForm

TOKEN = re.compile(r"^[0-9a-f]{32}$")


class RateForm(TextForm):
    level = forms.TypedChoiceField(
        label=_("How satisfied are you?"), coerce=int, widget=forms.RadioSelect,
        choices=Level.choices,
        error_messages={"required": _("Choose how satisfied you are."),
                        "invalid_choice": _("Choose how satisfied you are.")})
    reason = forms.ChoiceField(
        label=_("What were you dissatisfied with?"), required=False, widget=forms.RadioSelect,
        choices=Reason.choices,
        error_messages={"invalid_choice": _("Choose a reason from the list.")})
    text = limits.LimitedCharField(label=_("What happened"), required=False,
                                   max_length=limits.NOTE,
                                   widget=forms.Textarea(attrs={"rows": 4}))
    name = limits.LimitedCharField(label=_("Your name"), required=False,
                                   max_length=limits.PERSON_NAME)
    phone = forms.CharField(label=_("Mobile phone"), required=False, max_length=limits.PHONE,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "tel"}))
    sms_code = forms.CharField(label=_("SMS code"), required=False, max_length=12,
                               widget=forms.TextInput(attrs={
                                   "inputmode": "numeric", "autocomplete": "one-time-code"}))
    token = forms.CharField(widget=forms.HiddenInput)

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not TOKEN.match(token):
            raise forms.ValidationError(_("This form has expired: open the page again."))
        return token

    def clean(self):
        data = super().clean()
        level = data.get("level")
        if level is not None and is_bad(level):
            if not data.get("reason") and "reason" not in self.errors:
                self.add_error("reason", _("Say what you were dissatisfied with: choose a "
                                           "reason."))
            if not data.get("text") and "text" not in self.errors:
                self.add_error("text", _("Describe what went wrong, so that it can be put "
                                         "right."))
        phone = data.get("phone") or ""
        if phone:
            if not 7 <= len(confidential.normalise_phone(phone)) <= 15:
                self.add_error("phone", _("Enter a phone number of 7 to 15 digits."))
            elif not (data.get("sms_code") or "").strip():
                self.add_error("sms_code", _("Enter the SMS code sent to your phone, or "
                                             "leave the phone out."))
        return data


class CaseRateForm(RateForm):
    """The form of a case's SMS link (/r/<token>): the level, and for a bad one the
    reason and what happened. No name or phone: the link went to the case's reporter."""

    name = None
    phone = None
    sms_code = None
