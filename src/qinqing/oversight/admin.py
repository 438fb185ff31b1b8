"""Admin: sanction types are master data (edited here); the records are shown read-only
(they are written by the services, each with its timeline events)."""

from contextvars import ContextVar

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qinqing.oversight import queries
from qinqing.oversight.models import (
    AccountabilityRecord, Campaign, Decision, Inspection, Meeting, Problem, SanctionType,
)


@admin.register(SanctionType)
class SanctionTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "group", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None):
        # A type given in a record stays (PROTECT); retire it with "active" instead.
        return False


def _rendered(response):
    # A TemplateResponse renders after the view returns; render it while we know who asks.
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    return response


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnly):
    list_display = ("name", "started_at", "started_by", "snapshot_count", "closed_at",
                    "remaining_at_close")
    exclude = ("submission_key",)


class DecisionInline(admin.TabularInline):
    model = Decision
    fields = ("text", "owner_unit", "due_on", "done_at", "done_by", "done_note")
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnly):
    list_display = ("title", "held_on", "convened_by")
    exclude = ("submission_key",)
    inlines = [DecisionInline]


@admin.register(AccountabilityRecord)
class AccountabilityRecordAdmin(ReadOnly):
    """The name is shown only to the roles that may see it, as on the pages."""

    list_display = ("__str__", "official_name", "official_unit", "sanction", "decided_by",
                    "decided_on")
    list_filter = ("sanction",)
    list_select_related = ("official_unit", "sanction")
    fields = ("official_name", "official_position", "notes", "official_unit", "sanction",
              "decided_by", "decided_on", "cases", "recorded_by", "recorded_at")
    readonly_fields = ("official_name", "official_position", "notes")

    # Who is looking, for the display methods below (which Django calls without the
    # request); set for the duration of each view, per thread.
    _viewer: ContextVar = ContextVar("accountability_admin_viewer", default=None)

    def changelist_view(self, request, extra_context=None):
        token = self._viewer.set(request.user)
        try:
            return _rendered(super().changelist_view(request, extra_context))
        finally:
            self._viewer.reset(token)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        token = self._viewer.set(request.user)
        try:
            return _rendered(super().changeform_view(request, object_id, form_url,
                                                     extra_context))
        finally:
            self._viewer.reset(token)

    def _official(self, obj):
        viewer = self._viewer.get()
        return queries.official(obj, viewer) if viewer is not None else queries.Official(False)

    @admin.display(description=_("Official"))
    def official_name(self, obj):
        person = self._official(obj)
        return person.name if person.shown else _("withheld")

    @admin.display(description=_("Position"))
    def official_position(self, obj):
        person = self._official(obj)
        return person.position if person.shown else _("withheld")

    @admin.display(description=_("Notes"))
    def notes(self, obj):
        person = self._official(obj)
        return person.notes if person.shown else _("withheld")


class ProblemInline(admin.TabularInline):
    model = Problem
    fields = ("type", "unit", "description", "case")
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(ReadOnly):
    list_display = ("held_on", "team", "undercover", "recorded_by")
    list_filter = ("undercover",)
    exclude = ("submission_key",)
    inlines = [ProblemInline]
