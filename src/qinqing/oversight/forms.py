"""Forms of the oversight pages.

As on the case page, a form only checks what a browser sends (required, lengths, choices,
dates) and turns it into the service's input; the rules themselves live in the services,
whose field errors are put back next to the fields (`put_errors`). Rows of decisions and
problems are formsets; a service's `decisions.1.due_on` lands on row 1's `due_on`.
"""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from qinqing import limits
from qinqing.cases.models import Category, Kind
from qinqing.org.models import Unit, UnitKind
from qinqing.org.queries import region_choices
from qinqing.oversight.models import ProblemType, SanctionType
from qinqing.text import TextForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SEVERAL = _("Hold Ctrl (⌘ on a Mac) to choose several.")


def _area(label, *, required=True, max_length=limits.NOTE, rows=3, help_text=""):
    return limits.LimitedCharField(label=label, required=required, max_length=max_length,
                           help_text=help_text, widget=forms.Textarea(attrs={"rows": rows}))


def _with_blank(choices, blank=_("— choose —")):
    return [("", blank), *choices]


def unit_choices(*, places: bool = False):
    """Active units grouped under their county or the city, for the pickers. With
    `places`, service halls and windows too (an inspection visits them)."""
    units = Unit.objects.active().select_related("parent").order_by("path")
    if not places:
        units = units.exclude(kind__in=[UnitKind.WINDOW, UnitKind.SERVICE_HALL])
    by_code = {}
    groups: dict[str, list] = {}
    for unit in units:
        by_code[unit.pk] = unit
        top = unit
        while top.parent_id and top.kind not in (UnitKind.COUNTY, UnitKind.CITY_GOVERNMENT,
                                                 UnitKind.DEVELOPMENT_ZONE):
            top = by_code.get(top.parent_id) or top.parent
        groups.setdefault(top.short_name or top.name, []).append(
            (unit.code, f"{unit.name}（{unit.code}）"))
    return list(groups.items())


def category_choices():
    groups: dict[str, list] = {}
    for c in Category.objects.filter(is_active=True).select_related("parent").order_by(
            "parent__sort_order", "sort_order", "code"):
        top = c.parent.name if c.parent_id else c.name
        groups.setdefault(top, []).append((c.code, f"{c.name}（{c.code}）"))
    return list(groups.items())


def put_errors(form: forms.Form, fields: dict[str, str], message: str,
               formsets: dict[str, forms.BaseFormSet] | None = None) -> None:
    """Put a service's field errors next to the fields of the form and its formsets;
    anything that has no field goes at the top of the form."""
    placed = False
    for name, text in fields.items():
        head, _sep, rest = name.partition(".")
        if formsets and head in formsets and rest:
            index, _sep, field = rest.partition(".")
            rows = formsets[head].forms
            if index.isdigit() and int(index) < len(rows) and field in rows[int(index)].fields:
                rows[int(index)].add_error(field, text)
                placed = True
                continue
        if name in form.fields:
            form.add_error(name, text)
            placed = True
        else:
            form.add_error(None, text)
            placed = True
    if not placed:
        form.add_error(None, message)


class KeyedForm(TextForm):
    """A form with a key minted when it is shown: sent twice, it is saved once."""

    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", secrets.token_urlsafe(16))


# ------------------------------------------------------------------ sweep campaigns

class CampaignForm(KeyedForm):
    name = forms.CharField(label=_("Name of the campaign"), max_length=120,
                           widget=forms.TextInput(attrs={"placeholder": _(
                               "e.g. Second-quarter sweep of overdue cases")}))
    region = forms.ChoiceField(label=_("Region (optional)"), required=False)
    unit = forms.ChoiceField(label=_("Unit that must act (optional)"), required=False,
                             help_text=_("This unit and the units below it."))
    kind = forms.ChoiceField(label=_("Kind (optional)"), required=False,
                             choices=_with_blank(Kind.choices, _("any")))
    note = _area(_("Note"), required=False, rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _with_blank(region_choices(), _("whole city"))
        self.fields["unit"].choices = _with_blank(unit_choices(), _("any unit"))

    def payload(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k in ("name", "region", "unit", "kind",
                                                          "note")}


class CloseCampaignForm(TextForm):
    note = _area(_("Closing note"), required=False, rows=2)


# ------------------------------------------------------------------- joint meetings

class MeetingForm(KeyedForm):
    title = forms.CharField(label=_("Subject"), max_length=120)
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    cases = forms.CharField(label=_("Case numbers"), max_length=600,
                            help_text=_("One or more, separated by spaces or commas."),
                            widget=forms.TextInput(attrs={"placeholder": "QQ-2026-000123"}))
    units = forms.MultipleChoiceField(label=_("Attending units"), help_text=SEVERAL,
                                      widget=forms.SelectMultiple(attrs={"size": 8}))
    minutes = _area(_("Minutes"), max_length=10000, rows=6)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = unit_choices()

    def payload(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("title", "held_on", "cases", "units",
                                                  "minutes")}


class DecisionForm(TextForm):
    text = _area(_("Decision"), max_length=1000, rows=2)
    owner_unit = forms.ChoiceField(label=_("Unit responsible"))
    due_on = forms.DateField(label=_("Deadline"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].choices = _with_blank(unit_choices())

    def payload(self) -> dict:
        return dict(self.cleaned_data)


class _OptionalRows(forms.BaseFormSet):
    """Rows left empty are skipped; a row begun must be finished."""

    def payload(self) -> list[dict]:
        return [f.payload() for f in self.forms if f.has_changed() and f.cleaned_data]


DecisionFormSet = forms.formset_factory(DecisionForm, formset=_OptionalRows, extra=3,
                                        max_num=30, validate_max=True)


class DoneForm(TextForm):
    note = _area(_("What was done"), rows=2)


# -------------------------------------------------------------- accountability (问责)

class AccountabilityForm(KeyedForm):
    cases = forms.CharField(label=_("Case numbers"), max_length=600,
                            help_text=_("One or more, separated by spaces or commas."),
                            widget=forms.TextInput(attrs={"placeholder": "QQ-2026-000123"}))
    official_name = forms.CharField(label=_("Official's name"), max_length=60,
                                    help_text=_("Kept encrypted; shown only to the discipline "
                                                "commission and administrators."),
                                    widget=forms.TextInput(attrs={"autocomplete": "off"}))
    official_position = forms.CharField(label=_("Position (optional)"), max_length=60,
                                        required=False,
                                        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    official_unit = forms.ChoiceField(label=_("Official's unit"))
    sanction = forms.ChoiceField(label=_("Sanction"))
    decided_by = forms.CharField(label=_("Decided by"), max_length=100,
                                 help_text=_("The deciding body, e.g. the city's discipline "
                                             "commission."))
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)
    notes = _area(_("Notes (optional, confidential like the name)"), required=False, rows=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["official_unit"].choices = _with_blank(unit_choices())
        self.fields["sanction"].choices = _with_blank(
            [(s.code, s.name) for s in SanctionType.objects.filter(is_active=True)])

    def payload(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "key"}


class RecordFilterForm(TextForm):
    start = forms.DateField(label=_("Decided from"), required=False, widget=DATE)
    end = forms.DateField(label=_("to"), required=False, widget=DATE)
    region = forms.ChoiceField(label=_("Region"), required=False)
    sanction = forms.ChoiceField(label=_("Sanction"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _with_blank(region_choices(), _("whole city"))
        self.fields["sanction"].choices = _with_blank(
            [(s.code, s.name) for s in SanctionType.objects.all()], _("any"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end cannot be before the start."))
        return data


# --------------------------------------------------------------------- inspections

class InspectionForm(KeyedForm):
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    team = forms.CharField(label=_("Team"), max_length=200,
                           help_text=_("Who inspected, e.g. the city's business-environment "
                                       "supervision team, 3 people."))
    units = forms.MultipleChoiceField(label=_("Units visited"), help_text=SEVERAL,
                                      widget=forms.SelectMultiple(attrs={"size": 8}))
    undercover = forms.BooleanField(label=_("Undercover visit (明察暗访)"), required=False)
    summary = _area(_("Inspection summary"), max_length=limits.content_chars, rows=4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].choices = unit_choices(places=True)

    def payload(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "key"}


class ProblemForm(TextForm):
    type = forms.ChoiceField(label=_("Type of problem"), choices=_with_blank(ProblemType.choices))
    unit = forms.ChoiceField(label=_("Unit concerned"))
    category = forms.ChoiceField(label=_("Category"))
    description = _area(_("Problem found"), rows=2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _with_blank(unit_choices(places=True))
        self.fields["category"].choices = _with_blank(category_choices())

    def payload(self) -> dict:
        return dict(self.cleaned_data)


ProblemFormSet = forms.formset_factory(ProblemForm, formset=_OptionalRows, extra=3,
                                       max_num=30, validate_max=True)
