from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as NumberError

from qinqing import limits
from qinqing.cases.models import Kind
from qinqing.cases.errors import InvalidInput
from qinqing.cases.models.case import Satisfaction
from qinqing.cases.services import check_upload
from qinqing.org.queries import region_choices, unit_picker_options
from qinqing.pickers import resolve_option
from qinqing.portal.queries import category_groups
from qinqing.text import PERSONAL_NUMBER, TextForm, strip_control

PORTAL_KINDS = (Kind.COMPLAINT, Kind.REPORT, Kind.CONSULTATION, Kind.HELP, Kind.SUGGESTION)
# A letter to the mayor: no report of misconduct (that has its own protected channel).
LETTER_KINDS = (Kind.SUGGESTION, Kind.CONSULTATION, Kind.COMPLAINT, Kind.HELP, Kind.PRAISE)
TOKEN = re.compile(r"^[0-9a-f]{32}$")


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


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.Field):
    """Any number of files in one input, as a list; what each may be is judged by the
    form (`SubmitForm.clean_attachments`), not here."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, data):
        if isinstance(data, (list, tuple)):
            return [upload for upload in data if upload]
        return [data] if data else []


# What the file chooser offers (the content still decides, cases/uploads.py): on a phone
# the image types open the camera and the gallery.
ACCEPT = ".pdf,.jpg,.jpeg,.png,.txt,.docx,.xlsx,application/pdf,image/jpeg,image/png"


def _size(size: int) -> str:
    return filesizeformat(size).replace(".0\xa0", "\xa0")  # 5 MB, not 5.0 MB


class SubmitForm(TextForm):
    """A matter as a person outside files it. The service (cases.services.create_case)
    checks the intake's rules again; this form adds what only the public side asks: the
    enterprise's credit code, a verified phone for a named matter, the personal-data
    warning, and the form's own key against double submission."""

    kind = forms.ChoiceField(label=_("What is it?"), widget=forms.RadioSelect,
                             choices=[(k.value, k.label) for k in PORTAL_KINDS])
    category = forms.ChoiceField(label=_("About"))
    title = limits.LimitedCharField(label=_("Title"), required=False, max_length=limits.TITLE,
                                    help_text=_("Optional; the start of the text if left out."))
    content = limits.LimitedCharField(label=_("What happened, and what do you ask?"),
                                      max_length=limits.content_chars,
                                      widget=forms.Textarea(attrs={"rows": 6}))
    region = forms.ChoiceField(label=_("Region"), required=False)
    # A search-as-you-type picker (web/picker.js): by name, short name, pinyin or initials.
    # Without the script, a text box with the browser's own list of names (the datalist).
    subject_unit = forms.CharField(
        label=_("Unit or window concerned"), required=False, max_length=200,
        help_text=_("Optional. Type its name or pinyin initials (spj for 审批局) and pick it "
                    "from the list."),
        widget=forms.TextInput(attrs={
            "role": "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
            "aria-controls": "unit-list", "data-combobox": "unit-options-data",
            "list": "unit-options", "autocomplete": "off", "spellcheck": "false",
            "aria-describedby": "id_subject_unit_help"}))
    enterprise_name = limits.LimitedCharField(label=_("Enterprise concerned"), required=False,
                                              max_length=limits.ENTERPRISE)
    enterprise_code = forms.CharField(
        label=_("Unified social credit code"), required=False, max_length=30,
        help_text=_("18 characters, on the business licence."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}))
    anonymous = forms.BooleanField(label=_("File anonymously (no name, no phone; you follow "
                                           "it with the query code only)"), required=False)
    name = limits.LimitedCharField(label=_("Your name"), required=False,
                                   max_length=limits.PERSON_NAME)
    phone = forms.CharField(label=_("Mobile phone"), required=False, max_length=limits.PHONE,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "tel"}))
    sms_updates = forms.BooleanField(
        label=_("Also send me an SMS at each step of the matter"), required=False,
        help_text=_("When it is passed to a unit, answered, called back… Only the number "
                    "of the matter and the step are in the message."),
        widget=forms.CheckboxInput(attrs={"aria-describedby": "id_sms_updates_help"}))
    sms_code = forms.CharField(label=_("SMS code"), required=False, max_length=12,
                               widget=forms.TextInput(attrs={
                                   "inputmode": "numeric", "autocomplete": "one-time-code"}))
    personal_ok = forms.BooleanField(
        label=_("I have checked: the text may contain these numbers"), required=False)
    attachments = FilesField(label=_("Attachments"),
                             widget=MultipleFileInput(attrs={
                                 "accept": ACCEPT, "aria-describedby": "id_attachments_help"}))
    token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, places: list[tuple[str, str]] | None = None,
                 letter: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if letter:
            # A letter to the mayor: its type, a title, and whether it may be published.
            self.fields["kind"].label = _("Type of letter")
            self.fields["kind"].choices = [(k.value, k.label) for k in LETTER_KINDS]
            self.fields["title"].required = True
            self.fields["title"].help_text = ""
            self.fields["consent"] = forms.BooleanField(
                label=_("The letter and its answer may be published on the mailbox list, "
                        "without my name or contact details"), required=False)
        self.fields["category"].choices = [("", _("Choose…")), *category_groups()]
        self.fields["region"].choices = [("", _("The whole city")), *region_choices()]
        if places:
            # At a hall's window: the hall or one of its windows, nothing else.
            self.fields["subject_unit"] = forms.ChoiceField(
                label=_("Where did it happen?"), choices=places, initial=places[0][0])
            self.fields.pop("region")
        self.at_hall = bool(places)
        most = settings.QINQING_PORTAL_MAX_FILES
        if most:
            # For the page's script (portal/files.js), which checks before sending.
            self.fields["attachments"].widget.attrs.update({
                "data-max-files": most,
                "data-max-bytes": settings.QINQING_PORTAL_MAX_FILE_BYTES,
                "data-max-total": settings.QINQING_PORTAL_MAX_TOTAL_BYTES})
            self.fields["attachments"].help_text = _(
                "Optional: up to %(n)s photos or documents (JPEG, PNG, PDF, Word, Excel), "
                "each at most %(each)s, %(total)s together. Staff handling the matter "
                "see them; they are never shown in public.") % {
                "n": most, "each": _size(settings.QINQING_PORTAL_MAX_FILE_BYTES),
                "total": _size(settings.QINQING_PORTAL_MAX_TOTAL_BYTES)}
        else:
            self.fields.pop("attachments")

    @cached_property
    def unit_options(self) -> list:
        """The units a person may name, for the page's picker and for resolving what was
        typed (one query, only when a page is shown or the field is checked)."""
        return [] if self.at_hall else unit_picker_options()

    @property
    def unit_options_json(self) -> list[dict]:
        return [option.as_json() for option in self.unit_options]

    def clean_subject_unit(self):
        typed = self.cleaned_data["subject_unit"]
        if self.at_hall or not typed.strip():
            return typed.strip()
        code = resolve_option(self.unit_options, typed)
        if code is None:
            raise forms.ValidationError(_(
                "No unit has this name. Type its name or pinyin initials and pick it from "
                "the list, or leave the field empty."))
        return code

    def clean_attachments(self):
        """Every file checked before anything is stored: how many, each one's size and
        type by its content, and their total. One bad file refuses the form."""
        uploads = self.cleaned_data.get("attachments") or []
        most = settings.QINQING_PORTAL_MAX_FILES
        if len(uploads) > most:
            raise forms.ValidationError(_("At most %(n)s files can be sent with a matter; "
                                          "you chose %(m)s.") % {"n": most, "m": len(uploads)})
        checked, problems = [], []
        for upload in uploads:
            try:
                checked.append(check_upload(upload,
                                            max_bytes=settings.QINQING_PORTAL_MAX_FILE_BYTES))
            except InvalidInput as exc:
                name = strip_control(upload.name or "")[-60:] or "?"
                problems.append(_("“%(name)s”: %(problem)s") % {
                    "name": name, "problem": exc.fields.get("file", exc.message)})
        if problems:
            raise forms.ValidationError(problems)
        total = sum(len(upload.body) for upload in checked)
        if total > settings.QINQING_PORTAL_MAX_TOTAL_BYTES:
            raise forms.ValidationError(_(
                "The files are %(size)s together; at most %(total)s can be sent.") % {
                "size": _size(total),
                "total": _size(settings.QINQING_PORTAL_MAX_TOTAL_BYTES)})
        return checked

    def clean_enterprise_code(self):
        raw = self.cleaned_data["enterprise_code"]
        code = re.sub(r"[\s-]", "", raw).upper()
        if not code:
            return ""
        try:
            return uscc.validate(code)
        except NumberError:
            raise forms.ValidationError(_(
                "This is not a valid unified social credit code: it has 18 characters "
                "and its last one is a check character. Copy it again from the business "
                "licence.")) from None

    def clean_token(self):
        token = self.cleaned_data["token"]
        if not TOKEN.match(token):
            raise forms.ValidationError(_("The form has expired; open it again."))
        return token

    def clean(self):
        data = super().clean()
        if not data.get("anonymous"):
            if not (data.get("name") or "").strip():
                self.add_error("name", _("Give your name, or file anonymously."))
            if not (data.get("phone") or "").strip():
                self.add_error("phone", _("Give a mobile phone, or file anonymously."))
        text = f"{data.get('title', '')}\n{data.get('content', '')}"
        self.personal_found = bool(PERSONAL_NUMBER.search(text))
        if self.personal_found and not data.get("personal_ok"):
            self.add_error("content", _(
                "The text seems to contain a phone or ID number. Staff of the units "
                "handling it will read it: delete what is not needed, or tick the box "
                "below to send it as it is."))
        return data

    def intake_data(self, unit_code: str) -> dict:
        data = self.cleaned_data
        reporter = ({} if data["anonymous"] else
                    {"name": data["name"], "phone": data["phone"],
                     "sms_updates": bool(data.get("sms_updates"))})
        return {"kind": data["kind"], "category": data["category"], "title": data["title"],
                "content": data["content"], "region": data.get("region", ""),
                "subject_unit": unit_code, "enterprise_name": data["enterprise_name"],
                "reporter": reporter, "anonymous": data["anonymous"]}


class PublishForm(TextForm):
    """Staff's anonymised words for the public mailbox list."""

    title = limits.LimitedCharField(label=_("Published title"), max_length=limits.TITLE)
    question = limits.LimitedCharField(label=_("Published letter"),
                                       max_length=limits.content_chars,
                                       widget=forms.Textarea(attrs={"rows": 5}))
    answer = limits.LimitedCharField(label=_("Published answer"),
                                     max_length=limits.content_chars,
                                     widget=forms.Textarea(attrs={"rows": 5}))


class RateForm(TextForm):
    """The person's judgement of the answer (the satisfaction levels of a callback)."""

    satisfaction = forms.ChoiceField(label=_("Are you satisfied with the answer?"),
                                     widget=forms.RadioSelect, choices=Satisfaction.choices)
    resolved = forms.TypedChoiceField(
        label=_("Is the problem solved?"), widget=forms.RadioSelect, required=False,
        choices=[("yes", _("Solved")), ("no", _("Not solved"))],
        coerce=lambda value: value == "yes", empty_value=None)
    reason = limits.LimitedCharField(
        label=_("Why are you dissatisfied?"), required=False, max_length=limits.NOTE,
        help_text=_("Needed if you are dissatisfied: the matter goes back to the unit."),
        widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("satisfaction") == Satisfaction.DISSATISFIED and not data.get("reason"):
            self.add_error("reason", _("Say why you are dissatisfied: the matter goes back "
                                       "to the unit."))
        return data
