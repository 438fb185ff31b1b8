"""Forms of the case page: one per move of the transition table that a person makes.

A form says how a move's input is shown (labels, widgets, help) and turns what a browser
sends into the move's payload model (transitions.TABLE[move].payload), which validates
it: required fields, limits, choices are the model's, the same the API applies, checked
once. Each field only converts what the browser sent (text, a box ticked, a unit picked
by name); the model's refusals are put next to the fields, as are the service's
(`apply_errors`) for what only the case can say.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from qinqing import limits
from qinqing.cases import schemas
from qinqing.cases.models.case import Kind, Satisfaction
from qinqing.cases.transitions import TABLE
from qinqing.org.models import Unit, UnitKind
from qinqing.text import TextForm


class _ConvertOnly:
    """A form field that converts and checks nothing: the payload model does (its
    `required` is the model's, for the page's asterisk only)."""

    def validate(self, value):
        pass

    def run_validators(self, value):
        pass


class Text(_ConvertOnly, forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        # A browser sends a line break as CR LF; the counter and the API count one.
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


class Choice(_ConvertOnly, forms.ChoiceField):
    pass


class Choices(_ConvertOnly, forms.MultipleChoiceField):
    pass


class Flag(_ConvertOnly, forms.BooleanField):
    pass


def _area(label, rows=3, help_text=""):
    return Text(label=label, required=False, help_text=help_text,
                widget=forms.Textarea(attrs={"rows": rows}))


class ActionForm(forms.Form):
    """Base: `move` names the row of the transition table; `payload()` is its validated
    payload model, what the service receives."""

    move: str
    submit_label = _("Save")
    danger = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model = TABLE[self.move].payload
        for name, field in self.fields.items():
            declared = model.model_fields.get(name)
            if declared is None:
                continue
            field.required = declared.is_required()
            limit = next((m for m in declared.metadata if isinstance(m, schemas.Limit)), None)
            if limit is not None:  # the page's live counter (limits.py)
                field.widget.attrs["data-max-chars"] = str(limit.value())

    def form_field(self, name: str) -> str | None:
        """The field of this form that shows the payload's field `name` (None: the top)."""
        return name if name in self.fields else None

    def data_for_model(self) -> dict:
        """What the fields give the payload model (empty ones left to its defaults)."""
        model = TABLE[self.move].payload
        return {k: v for k, v in self.cleaned_data.items()
                if k in model.model_fields and v not in (None, "", [])}

    def clean(self):
        data = super().clean()
        try:
            self.validated = TABLE[self.move].payload.model_validate(self.data_for_model())
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err.get("loc") else ""
                field = self.form_field(name)
                if err["type"] == "string_too_long":
                    # As the page says it: what was typed is kept, shorten it.
                    message = limits.TOO_LONG % {"limit_value": err["ctx"]["max_length"],
                                                 "show_value": len(str(err["input"]).strip())}
                else:
                    label = str(self.fields[field].label) if field else name
                    message = schemas.field_message(err, label)
                if field is None or field not in self.errors:
                    self.add_error(field, message)
        return data

    def payload(self) -> schemas.MoveIn:
        return self.validated

    def apply_errors(self, fields: dict[str, str], message: str) -> None:
        """Put the service's field errors next to our fields, the rest at the top."""
        placed = False
        for name, text in fields.items():
            field = self.form_field(name)
            if field is not None:
                self.add_error(field, text)
                placed = True
        if not placed:
            self.add_error(None, message)


class NoteForm(ActionForm):
    reason = _area(_("Note"), rows=2)


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
    move = "dispatch"
    lead_unit = Text(
        label=_("Lead unit"),
        help_text=_("Type a name or code; the catalogue's proposal is filled in."),
        widget=forms.TextInput(attrs={"list": "unit-options", "autocomplete": "off"}))
    co_units = Choices(label=_("Co-units"), required=False,
                       widget=forms.SelectMultiple(attrs={"size": 6}))
    reason = _area(_("Reason"), rows=2,
                   help_text=_("Needed when you route away from the catalogue's proposal."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["co_units"].choices = unit_choices()
        # The picker offers names; a name's code goes to the payload (the typed text
        # when no unit has it: the service then says so).
        self.fields["lead_unit"].widget.attrs.pop("data-max-chars", None)

    def clean_lead_unit(self):
        from qinqing.org.queries import resolve_unit

        return resolve_unit(self.cleaned_data["lead_unit"])


class RedispatchForm(DispatchForm):
    move = "redispatch"
    submit_label = _("Decide the objection")
    reason = _area(_("Decision and reason"), rows=2,
                   help_text=_("Send it to the same unit to uphold the assignment: the unit may not return it again."))


class AnswerForm(ActionForm):
    submit_label = _("Answer and close")
    move = "answer"
    answer = _area(_("Answer given to the caller"), rows=4)


class NotAcceptForm(ActionForm):
    move = "not_accept"
    submit_label = _("Record as not accepted")
    reason = _area(_("Which procedure applies"), rows=2)
    told = _area(_("What the caller was told"), rows=2)


class MergeForm(ActionForm):
    submit_label = _("Merge")
    move = "merge"
    into = Text(label=_("Earlier case number"),
                widget=forms.TextInput(attrs={"placeholder": "QQ-2026-000123"}))
    reason = _area(_("Reason"), rows=2)


class ExtensionForm(ActionForm):
    submit_label = _("Request extension")
    move = "request_extension"
    limit = Text(label=_("Extra time"), help_text=_("In working days or hours, e.g. 2d or 4h."))
    reason = _area(_("Reason"))


class ReplyForm(ActionForm):
    submit_label = _("Reply")
    move = "reply"
    answer = _area(_("Result of the handling"), rows=5)
    # Not in the payload: the view stores it first and the payload names the attachment.
    evidence = forms.FileField(label=_("Evidence (optional)"), required=False, help_text=_(
        "PDF, JPEG or PNG image, text, Word (.docx) or Excel (.xlsx); at most %(mb)s MB.") % {
            "mb": settings.QINQING_MAX_ATTACHMENT_BYTES >> 20})


class CallbackForm(ActionForm):
    submit_label = _("Record the callback")
    move = "callback"
    satisfaction = Choice(label=_("The caller is"), choices=Satisfaction.choices,
                          widget=forms.RadioSelect)
    resolved = Flag(label=_("The caller says the matter is solved"), required=False,
                    initial=True)
    # One box on the page: the payload's reason when dissatisfied (the case is reopened
    # and says why), else its note.
    reason = _area(_("Note (needed when dissatisfied)"), rows=2)

    def form_field(self, name: str) -> str | None:
        return "reason" if name == "note" else super().form_field(name)

    def data_for_model(self) -> dict:
        data = self.cleaned_data
        payload = {"satisfaction": data.get("satisfaction") or None,
                   "resolved": bool(data.get("resolved"))}
        text = data.get("reason") or ""
        if data.get("satisfaction") == Satisfaction.DISSATISFIED:
            payload["reason"] = text
        elif text:
            payload["note"] = text
        return {k: v for k, v in payload.items() if v is not None}


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
    move = "reject"
    submit_label = _("Reject as invalid")
    danger = True


class SignForm(ActionForm):
    move = "sign"
    submit_label = _("Sign for the case")


class ReturnForm(ReasonForm):
    move = "return"
    submit_label = _("Return: not ours")
    danger = True


class ApproveExtForm(NoteForm):
    move = "approve_extension"
    submit_label = _("Approve extension")


class DenyExtForm(ReasonForm):
    move = "deny_extension"
    submit_label = _("Refuse extension")
    danger = True


class SuspendForm(ReasonForm):
    move = "request_suspension"
    submit_label = _("Request suspension")


class ApproveSusForm(NoteForm):
    move = "approve_suspension"
    submit_label = _("Approve suspension")


class DenySusForm(ReasonForm):
    move = "deny_suspension"
    submit_label = _("Refuse suspension")
    danger = True


class ResumeForm(NoteForm):
    move = "resume"
    submit_label = _("Resume")


class ReviewForm(NoteForm):
    move = "review"
    submit_label = _("Accept the reply")


class SendBackForm(ReasonForm):
    move = "send_back"
    submit_label = _("Send back to the unit")
    danger = True


class CloseUnratedForm(ReasonForm):
    move = "close_unrated"
    submit_label = _("Close unrated")


# The move → its form on the case page. The two moves of the table not here are made
# elsewhere: "reopen" is the callback form with "dissatisfied", "edit" belongs to intake.
ACTION_FORMS: dict[str, type[ActionForm]] = {form.move: form for form in [
    AnswerForm, NotAcceptForm, RejectForm, MergeForm, DispatchForm, RedispatchForm, SignForm,
    ReturnForm, ExtensionForm, ApproveExtForm, DenyExtForm, SuspendForm, ApproveSusForm,
    DenySusForm, ResumeForm, ReplyForm, ReviewForm, SendBackForm, CallbackForm,
    CloseUnratedForm,
]}
