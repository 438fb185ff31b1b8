"""Master data of the case pipeline. Cases themselves are read-only here: only the
transition table (services.perform) changes a case."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _, ngettext

from qinqing.cases.models import (
    ApiToken, AssignmentRule, Case, CaseEvent, Category, State, TimeLimitPolicy,
)
from qinqing.cases.services import revoke_tokens
from qinqing.worktime.words import limit_words


def _field(name):
    return TimeLimitPolicy._meta.get_field(name).verbose_name


def _state_label(state: str) -> str:
    """A state's name as people read it; "—" for none (an event with no state change)."""
    if not state:
        return "—"
    return str(State(state).label) if state in State.values else state



@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "code", "sort_order", "is_active")
    list_filter = ("is_active", "parent")
    search_fields = ("name", "code")
    list_select_related = ("parent",)


@admin.register(TimeLimitPolicy)
class TimeLimitPolicyAdmin(admin.ModelAdmin):
    # Limits in words ("3 个工作日"), not their codes ("3d"); the form still takes codes.
    list_display = ("name", "kind", "urgency", "dispatch", "sign", "resolve", "review",
                    "callback", "warning_percent", "max_extensions", "max_suspensions",
                    "is_active")
    list_filter = ("is_active", "kind", "urgency")

    @admin.display(description=_field("dispatch_limit"), ordering="dispatch_limit")
    def dispatch(self, obj):
        return limit_words(obj.dispatch_limit)

    @admin.display(description=_field("sign_limit"), ordering="sign_limit")
    def sign(self, obj):
        return limit_words(obj.sign_limit)

    @admin.display(description=_field("resolve_limit"), ordering="resolve_limit")
    def resolve(self, obj):
        return limit_words(obj.resolve_limit)

    @admin.display(description=_field("review_limit"), ordering="review_limit")
    def review(self, obj):
        return limit_words(obj.review_limit)

    @admin.display(description=_field("callback_limit"), ordering="callback_limit")
    def callback(self, obj):
        return limit_words(obj.callback_limit)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "region", "lead_unit", "basis", "is_active")
    list_filter = ("is_active", "category__parent")
    search_fields = ("category__name", "lead_unit__name", "region__name")
    autocomplete_fields = ("lead_unit", "region", "co_units")
    list_select_related = ("category__parent", "region", "lead_unit")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "channel", "state", "lead_unit", "received_at")
    list_filter = ("state", "kind", "channel")
    search_fields = ("number",)
    list_select_related = ("lead_unit",)
    exclude = ("query_code_enc", "query_code_hash", "intake_key", "intake_fingerprint")
    show_full_result_count = False


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    # The history's words (the timeline's registry of event kinds), not the stored codes.
    list_display = ("case", "seq", "action_label", "actor", "from_label", "to_label", "at")
    list_select_related = ("case", "actor")

    @admin.display(description=_("Action"), ordering="action")
    def action_label(self, obj):
        from qinqing.cases.timeline import registry

        return registry.label(obj.action)

    @admin.display(description=_("From"), ordering="from_state")
    def from_label(self, obj):
        return _state_label(obj.from_state)

    @admin.display(description=_("To"), ordering="to_state")
    def to_label(self, obj):
        return _state_label(obj.to_state)
    search_fields = ("case__number",)
    show_full_result_count = False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are issued with `qinqing token USER` (the key is shown once, there); here
    they are listed and revoked. Revoking goes through the service, which saves each
    token, so this process refuses it at once and the others within QINQING_TOKEN_TTL."""

    list_display = ("id", "user", "prefix", "created_at", "expires_at", "is_active",
                    "revoked_at", "revoked_by")
    list_filter = ("is_active",)
    list_select_related = ("user", "revoked_by")
    search_fields = ("user__username", "prefix")
    exclude = ("key_hash",)
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected API tokens"))
    def revoke(self, request, queryset):
        count = revoke_tokens(queryset.values_list("pk", flat=True), request.user)
        self.message_user(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.",
                                            count) % {"n": count})

    def has_change_permission(self, request, obj=None):
        # The action needs change permission (cases.change_apitoken); the form itself
        # stays read-only (get_readonly_fields), so nothing but revocation changes a token.
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "key_hash"]
