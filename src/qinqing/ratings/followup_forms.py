"""The forms of the follow-up rating (on /track/ and by a callback agent), the appeal,
the reviewer's decision and the rater's reveal. Each refuses in Chinese at the field;
the services check the same for every other caller."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing import limits
from qinqing.ratings.levels import Level, is_bad
from qinqing.text import TextForm


class FollowUpForm(TextForm):
    level = forms.TypedChoiceField(
        label=_("How satisfied are you with the fix?"), coerce=int, widget=forms.RadioSelect,
        choices=Level.choices,
        error_messages={"required": _("Choose how satisfied you are with the fix."),
                        "invalid_choice": _("Choose how satisfied you are with the fix.")})
    text = limits.LimitedCharField(
        label=_("What is still wrong"), required=False, max_length=limits.NOTE,
        help_text=_("Needed if you are dissatisfied: the case goes back to the unit."),
        widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        level = data.get("level")
        if level is not None and is_bad(level) and not data.get("text") \
                and "text" not in self.errors:
            self.add_error("text", _("Say what is still wrong: the case goes back to the "
                                     "unit."))
        return data


def _reason_field(label, required_message):
    return limits.LimitedCharField(label=label, max_length=limits.NOTE,
                                   error_messages={"required": required_message},
                                   widget=forms.Textarea(attrs={"rows": 3}))


class AppealForm(TextForm):
    reason = _reason_field(_("Why the rating is mistaken or malicious"),
                           _("Say why the rating is mistaken or malicious."))


class DecisionForm(TextForm):
    decision = forms.ChoiceField(
        label=_("Review decision"), widget=forms.RadioSelect,
        choices=[("uphold", _("Uphold: the rating is invalid")),
                 ("reject", _("Reject: the rating stands"))],
        error_messages={"required": _("Choose to uphold or reject the appeal."),
                        "invalid_choice": _("Choose to uphold or reject the appeal.")})
    decision_reason = _reason_field(_("Reasons of the decision"),
                                    _("Give the reasons of the decision."))


class RevealForm(TextForm):
    reason = _reason_field(_("Why you need to see the rater"),
                           _("Say why you need to see the rater."))
