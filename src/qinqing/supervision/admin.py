"""Supervision's master data in the admin: the escalation policy and units' duty phones
(encrypted, shown masked); the ladder's record, letters and listings read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qinqing.cases import confidential
from qinqing.cases.admin import ReadOnlyAdmin
from qinqing.supervision.models import (
    DutyPhone, EscalationPolicy, EscalationStep, Listing, ReminderLetter,
)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ("__str__", "notify_warning", "remind_overdue", "send_sms",
                    "letter_after_days", "auto_list_after_days", "listing_days")

    def has_add_permission(self, request):
        return not EscalationPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class DutyPhoneForm(forms.ModelForm):
    phone = forms.CharField(label=_("Duty phone"), max_length=20, required=False,
                            help_text=_("Mobile number texted by the escalation ladder. "
                                        "Stored encrypted; leave empty to keep the current "
                                        "number."))

    class Meta:
        model = DutyPhone
        fields = ("unit", "phone", "note", "is_active")

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "").strip()
        if not raw:
            if not (self.instance and self.instance.phone_enc):
                raise forms.ValidationError(_("Enter the duty phone number."))
            return ""
        digits = confidential.normalise_phone(raw)
        if not 7 <= len(digits) <= 15:
            raise forms.ValidationError(_("Enter a phone number of 7 to 15 digits."))
        return digits

    def save(self, commit=True):
        if self.cleaned_data.get("phone"):
            self.instance.phone = self.cleaned_data["phone"]
        return super().save(commit)


@admin.register(DutyPhone)
class DutyPhoneAdmin(admin.ModelAdmin):
    form = DutyPhoneForm
    list_display = ("unit", "masked", "note", "is_active")
    list_filter = ("is_active",)
    search_fields = ("unit__name", "unit__code")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)

    @admin.display(description=_("Duty phone"))
    def masked(self, obj):
        return obj.phone_masked


@admin.register(EscalationStep)
class EscalationStepAdmin(ReadOnlyAdmin):
    list_display = ("case", "rung", "unit", "status", "due_at", "created_at", "done_at",
                    "attempts", "last_error")
    list_filter = ("rung", "status")
    list_select_related = ("case", "unit")
    search_fields = ("case__number",)


@admin.register(ReminderLetter)
class ReminderLetterAdmin(ReadOnlyAdmin):
    list_display = ("number", "case", "unit", "stage_label", "days_overdue", "issued_at")
    list_select_related = ("case", "unit")
    search_fields = ("number", "case__number")

    @admin.display(description=_("Stage"), ordering="stage")
    def stage_label(self, obj):
        from qinqing.cases.models import Stage

        return Stage(obj.stage).label if obj.stage in Stage.values else obj.stage


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    list_display = ("case", "unit", "listed_at", "deadline", "automatic", "closed_at")
    list_filter = ("automatic",)
    list_select_related = ("case", "unit")
    search_fields = ("case__number",)
