"""The hotline intake form: what the agent types during a call, turned into the data
`cases.services.create_case` takes.

The form checks what it alone can know — the pickers' typed text resolved to a code, the
required fields, lengths, an answer only for a consultation — and the service checks the
rest (units, ID numbers, the organisation). The service's field errors are put back next
to the fields they concern (`apply_errors`), so whichever side finds a mistake, the agent
sees it where they typed.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing import limits
from qinqing.cases import confidential
from qinqing.cases.models import Kind
from qinqing.cases.models.case import Channel, Urgency
from qinqing.intake import queries
from qinqing.org.queries import region_choices, resolve_unit
from qinqing.text import TextForm

# The service's field names → this form's (the reporter's fields are nested there).
SERVICE_FIELDS = {"reporter.phone": "phone", "reporter.name": "name",
                  "reporter.id_number": "id_number", "reporter.contact": "contact",
                  "reporter.enterprise": "reporter_enterprise",
                  "reporter.sms_updates": "sms_updates"}


def _text(label, *, required=False, max_length=limits.TITLE, help_text="", **attrs):
    return limits.LimitedCharField(label=label, required=required, max_length=max_length,
                           help_text=help_text, widget=forms.TextInput(attrs=attrs))


def _picker(list_id: str, options_id: str):
    # An ARIA 1.2 combobox (the page's script drives it); without the script it is a plain
    # text box that takes a code or a full label, which the form resolves the same way.
    return forms.TextInput(attrs={
        "role": "combobox", "aria-autocomplete": "list", "aria-expanded": "false",
        "aria-controls": list_id, "autocomplete": "off", "spellcheck": "false",
        "data-combobox": options_id})


class IntakeForm(TextForm):
    # The caller (kept encrypted; shown masked everywhere after this form).
    phone = _text(_("Caller's phone"), max_length=limits.PHONE, type="tel", autofocus=True,
                  inputmode="tel", autocomplete="off",
                  help_text=_("Earlier cases from this number appear alongside."))
    name = _text(_("Caller's name"), max_length=limits.PERSON_NAME, autocomplete="off")
    reporter_enterprise = _text(_("Caller's enterprise"), autocomplete="off",
                                help_text=_("Confidential, like the name and phone."))
    anonymous = forms.BooleanField(label=_("The caller wants to stay anonymous"), required=False,
                                   help_text=_("Nothing about the caller is kept; they follow "
                                               "the case with the query code."))
    sms_updates = forms.BooleanField(
        label=_("The caller wants an SMS at each step"), required=False,
        help_text=_("The number and query code go by SMS to the phone in any case; this "
                    "adds one when the case is dispatched, answered, called back…"))
    id_number = _text(_("Resident ID number"), max_length=limits.ID_NUMBER, autocomplete="off")
    contact = _text(_("Other contact (address, e-mail)"), max_length=limits.CONTACT, autocomplete="off")

    # The matter.
    kind = limits.LimitedCharField(
        label=_("Kind of matter"), max_length=60,
        error_messages={"required": _("Choose a kind from the list.")},
        help_text=_("Type to search, e.g. zx for 咨询; ↑↓ to choose, Enter to take."),
        widget=_picker("kind-list", "kind-options"))
    category = limits.LimitedCharField(
        label=_("Category"), max_length=120,
        error_messages={"required": _("Choose a category from the catalogue.")},
        help_text=_("Type a name, its pinyin initials (spfw = 审批服务) or a code."),
        widget=_picker("category-list", "category-options"))
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    content = limits.LimitedCharField(
        label=_("What the caller says"), max_length=limits.content_chars,
        error_messages={"required": _("Describe the matter.")},
        widget=forms.Textarea(attrs={"rows": 5}))
    answer = limits.LimitedCharField(
        label=_("Answer given now"), required=False, max_length=limits.content_chars,
        help_text=_("Consultations only: the case is registered and closed as answered directly."),
        widget=forms.Textarea(attrs={"rows": 3}))
    title = _text(_("Title"), help_text=_("Optional: the start of the text is used otherwise."))
    enterprise_name = _text(_("Enterprise concerned"),
                            help_text=_("The enterprise the matter is about; shown to the units."))
    subject_unit = _text(_("Unit or window complained about"), max_length=140,
                         list="unit-options", autocomplete="off",
                         help_text=_("Type a name or code and pick from the list."))
    region = forms.ChoiceField(label=_("Region"), required=False,
                               help_text=_("Left empty: the region of the unit complained about, "
                                           "or the hotline's own."))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices,
                                initial=Channel.HOTLINE)
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, categories=None, kinds=None, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = categories if categories is not None else queries.category_options()
        self.kinds = kinds if kinds is not None else queries.kind_options()
        self.fields["region"].choices = [("", _("— from the unit or the hotline —"))] + list(
            regions if regions is not None else region_choices())
        for name, field in self.fields.items():
            if field.help_text and not field.widget.is_hidden:
                # The help text is read out with the field (web/field.html gives it this id).
                field.widget.attrs.setdefault("aria-describedby", f"id_{name}_help")

    # ------------------------------------------------------------------ cleaning

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        digits = confidential.normalise_phone(phone)
        # The service has the same rule; checked here too so that every mistake of a
        # first submit shows at once, not one round trip at a time.
        if phone and not 7 <= len(digits) <= 15:
            raise forms.ValidationError(_("Enter a phone number of 7 to 15 digits."))
        return phone

    def clean_kind(self):
        value = queries.resolve_option(self.kinds, self.cleaned_data["kind"])
        if value is None:
            raise forms.ValidationError(_("Choose a kind from the list."))
        return value

    def clean_category(self):
        value = queries.resolve_option(self.categories, self.cleaned_data["category"])
        if value is None:
            raise forms.ValidationError(_("Choose a category from the catalogue."))
        return value

    def clean_subject_unit(self):
        return resolve_unit(self.cleaned_data["subject_unit"])

    def clean(self):
        data = super().clean()
        if data.get("answer", "").strip() and data.get("kind") not in (None, Kind.CONSULTATION):
            self.add_error("answer", _("Only a consultation can be answered directly."))
        if data.get("sms_updates") and not data.get("anonymous") and not data.get("phone"):
            self.add_error("sms_updates", _("Give a phone to receive an SMS at each step."))
        return data

    # ------------------------------------------------------------- to the service

    def case_data(self) -> dict:
        """The body `services.create_case` takes (the same shape as the API's)."""
        d = self.cleaned_data
        return {
            "kind": d["kind"], "channel": d["channel"], "category": d["category"],
            "urgency": Urgency.URGENT if d["urgent"] else Urgency.NORMAL,
            "region": d["region"] or None, "subject_unit": d["subject_unit"] or None,
            "title": d["title"], "content": d["content"], "enterprise_name": d["enterprise_name"],
            "anonymous": d["anonymous"],
            "reporter": {"name": d["name"], "phone": d["phone"], "id_number": d["id_number"],
                         "contact": d["contact"], "enterprise": d["reporter_enterprise"],
                         "sms_updates": d["sms_updates"]},
        }

    @property
    def answer_text(self) -> str:
        return self.cleaned_data.get("answer", "").strip()

    def apply_errors(self, fields: dict[str, str], message: str) -> None:
        """The service's field errors next to our fields; anything else at the top."""
        unplaced = []
        for key, text in fields.items():
            name = SERVICE_FIELDS.get(key, key)
            if name in self.fields and not self.fields[name].widget.is_hidden:
                self.add_error(name, text)
            else:
                unplaced.append(text)
        if unplaced or not fields:
            self.add_error(None, " ".join(unplaced) or message)

    def add_error(self, field, error):
        super().add_error(field, error)
        # A field in error says so to assistive technology and is described by its message.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                described = [f"id_{name}_error"]
                if self.fields[name].help_text:
                    described.append(f"id_{name}_help")
                attrs["aria-describedby"] = " ".join(described)

    @property
    def show_more_caller(self) -> bool:
        """Open the 'more about the caller' group when it holds something to see."""
        return any(self[name].value() or self[name].errors for name in ("id_number", "contact"))
