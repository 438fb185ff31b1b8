"""Forms of the case page: one per move of the transition table that a person makes.

A form only checks what a browser sends (required, lengths, choices) and turns it into
the payload `services.perform()` takes; every rule about the case itself stays in the
service, whose field errors are put back next to the fields (`apply_errors`).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from qinqing import limits
from qinqing.cases.models.case import Kind, Satisfaction
from qinqing.org.models import Unit, UnitKind
from qinqing.text import TextForm

def _area(label, required=True, max_length=limits.NOTE, rows=3, help_text=""):
    return limits.LimitedCharField(label=label, required=required, max_length=max_length,
                           help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}))


class ActionForm(TextForm):
    """Base: `payload()` is what the service receives."""

    submit_label = _("Save")
    danger = False

    def payload(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}

    def apply_errors(self, fields: dict[str, str], message: str) -> None:
        """Put the service's field errors next to our fields, the rest at the top."""
        placed = False
        for name, text in fields.items():
            if name in self.fields:
                self.add_error(name, text)
                placed = True
        if not placed:
            self.add_error(None, message)


class NoteForm(ActionForm):
    reason = _area(_("Note"), required=False, rows=2)


class ReasonForm(ActionForm):
    reason = _area(_("Reason"))


def unit_choices():
    """Units that can lead a case, grouped under their county or the city (for the picker)."""
    units = (Unit.objects.active().exclude(kind__in=[UnitKind.WINDOW, UnitKind.SERVICE_HALL])
             .select_related("parent").order_by("path"))
    groups: dict[str, list] = {}
    for unit in units:
        top = unit if unit.kind in (UnitKind.COUNTY, UnitKind.CITY_GOVERNMENT) else unit.parent
        label = top.short_name or top.name if top else ""
        groups.setdefault(label, []).append((unit.code, unit.name))
    return list(groups.items())


class DispatchForm(ActionForm):
    submit_label = _("Dispatch")
    # Picked by name (the list offers names); a code is still taken.
    lead_unit = limits.LimitedCharField(
        label=_("Lead unit"), max_length=140,
        help_text=_("Type a name or code; the catalogue's proposal is filled in."),
        widget=forms.TextInput(attrs={"list": "unit-options", "autocomplete": "off"}))
    co_units = forms.MultipleChoiceField(label=_("Co-units"), required=False,
                                         widget=forms.SelectMultiple(attrs={"size": 6}))
    reason = _area(_("Reason"), required=False, rows=2,
                   help_text=_("Needed when you route away from the catalogue's proposal."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["co_units"].choices = unit_choices()

    def clean_lead_unit(self):
        from qinqing.org.queries import resolve_unit

        return resolve_unit(self.cleaned_data["lead_unit"])


class RedispatchForm(DispatchForm):
    submit_label = _("Decide the objection")
    reason = _area(_("Decision and reason"), rows=2,
                   help_text=_("Send it to the same unit to uphold the assignment: the unit may not return it again."))


class AnswerForm(ActionForm):
    submit_label = _("Answer and close")
    answer = _area(_("Answer given to the caller"), max_length=limits.content_chars, rows=4)


class NotAcceptForm(ActionForm):
    submit_label = _("Record as not accepted")
    reason = _area(_("Which procedure applies"), rows=2)
    told = _area(_("What the caller was told"), rows=2)


class MergeForm(ActionForm):
    submit_label = _("Merge")
    into = forms.CharField(label=_("Earlier case number"), max_length=20,
                           widget=forms.TextInput(attrs={"placeholder": "QQ-2026-000123"}))
    reason = _area(_("Reason"), required=False, rows=2)


class ExtensionForm(ActionForm):
    submit_label = _("Request extension")
    limit = forms.CharField(label=_("Extra time"), max_length=8,
                            help_text=_("In working days or hours, e.g. 2d or 4h."))
    reason = _area(_("Reason"))


class ReplyForm(ActionForm):
    submit_label = _("Reply")
    answer = _area(_("Result of the handling"), max_length=limits.content_chars, rows=5)
    evidence = forms.FileField(label=_("Evidence (optional)"), required=False, help_text=_(
        "PDF, JPEG or PNG image, text, Word (.docx) or Excel (.xlsx); at most %(mb)s MB.") % {
            "mb": settings.QINQING_MAX_ATTACHMENT_BYTES >> 20})

    def payload(self) -> dict:
        return {"answer": self.cleaned_data["answer"]}


class CallbackForm(ActionForm):
    submit_label = _("Record the callback")
    satisfaction = forms.ChoiceField(label=_("The caller is"), choices=Satisfaction.choices,
                                     widget=forms.RadioSelect)
    resolved = forms.BooleanField(label=_("The caller says the matter is solved"), required=False,
                                  initial=True)
    reason = _area(_("Note (needed when dissatisfied)"), required=False, rows=2)

    def clean(self):
        data = super().clean()
        if data.get("satisfaction") == Satisfaction.DISSATISFIED and not data.get("reason"):
            self.add_error("reason", _("Say why the caller is dissatisfied: the case is reopened."))
        return data

    def payload(self) -> dict:
        data = self.cleaned_data
        payload = {"satisfaction": data["satisfaction"], "resolved": bool(data.get("resolved"))}
        if data["satisfaction"] == Satisfaction.DISSATISFIED:
            payload["reason"] = data["reason"]
        elif data.get("reason"):
            payload["note"] = data["reason"]
        return payload


class UnmaskForm(TextForm):
    reason = limits.LimitedCharField(label=_("Why you need the number"),
                                     max_length=limits.UNMASK_REASON,
                             initial=_("Callback"))


class ReclassifyForm(forms.Form):
    """The discipline commission corrects a report of misconduct (services.reclassify_report)."""
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", "—"), *Kind.choices])
    subject_unit = forms.CharField(label=_("Unit reported"), max_length=32, required=False,
                                   help_text=_("Unit code; leave empty to keep it."))
    clear_subject = forms.BooleanField(label=_("Remove the unit reported"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea)


class RejectForm(ReasonForm):
    submit_label = _("Reject as invalid")
    danger = True


class SignForm(ActionForm):
    submit_label = _("Sign for the case")


class ReturnForm(ReasonForm):
    submit_label = _("Return: not ours")
    danger = True


class ApproveExtForm(NoteForm):
    submit_label = _("Approve extension")


class DenyExtForm(ReasonForm):
    submit_label = _("Refuse extension")
    danger = True


class SuspendForm(ReasonForm):
    submit_label = _("Request suspension")


class ApproveSusForm(NoteForm):
    submit_label = _("Approve suspension")


class DenySusForm(ReasonForm):
    submit_label = _("Refuse suspension")
    danger = True


class ResumeForm(NoteForm):
    submit_label = _("Resume")


class ReviewForm(NoteForm):
    submit_label = _("Accept the reply")


class SendBackForm(ReasonForm):
    submit_label = _("Send back to the unit")
    danger = True


class CloseUnratedForm(ReasonForm):
    submit_label = _("Close unrated")


# The move → its form on the case page. The two moves of the table not here are made
# elsewhere: "reopen" is the callback form with "dissatisfied", "edit" belongs to intake.
ACTION_FORMS: dict[str, type[ActionForm]] = {
    "answer": AnswerForm,
    "not_accept": NotAcceptForm,
    "reject": RejectForm,
    "merge": MergeForm,
    "dispatch": DispatchForm,
    "redispatch": RedispatchForm,
    "sign": SignForm,
    "return": ReturnForm,
    "request_extension": ExtensionForm,
    "approve_extension": ApproveExtForm,
    "deny_extension": DenyExtForm,
    "request_suspension": SuspendForm,
    "approve_suspension": ApproveSusForm,
    "deny_suspension": DenySusForm,
    "resume": ResumeForm,
    "reply": ReplyForm,
    "review": ReviewForm,
    "send_back": SendBackForm,
    "callback": CallbackForm,
    "close_unrated": CloseUnratedForm,
}
