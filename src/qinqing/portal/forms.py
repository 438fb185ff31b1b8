from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing.text import TextForm


class TrackForm(TextForm):
    number = forms.CharField(label=_("Case number"), max_length=40,
                             widget=forms.TextInput(attrs={
                                 "autocomplete": "off", "placeholder": "QQ-2026-000123",
                                 "autocapitalize": "characters", "spellcheck": "false"}))
    code = forms.CharField(label=_("Query code"), max_length=40,
                           help_text=_("As it was given to you: spaces, dashes and small "
                                       "letters do not matter."),
                           widget=forms.TextInput(attrs={
                               "autocomplete": "off", "autocapitalize": "characters",
                               "spellcheck": "false"}))
