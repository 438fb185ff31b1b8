"""Admin of the ranking weights and the lobby display tokens (imported by admin.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from qinqing.insights import display_tokens
from qinqing.insights.dashboard_models import DisplayToken, RankingPolicy
from qinqing.insights.ranking import CRITERIA, metric_available


class RankingPolicyForm(forms.ModelForm):
    class Meta:
        model = RankingPolicy
        fields = "__all__"

    def clean(self):
        data = super().clean()
        weights = {c.key: data.get(f"weight_{c.key}") for c in CRITERIA}
        if any(w is None for w in weights.values()):
            return data  # the field errors say which
        # Bad ratings count only for the units people rate (ranking.py): a component
        # counted for every unit must weigh something, or most units cannot be scored.
        if not any(weights[c.key] > 0 for c in CRITERIA
                   if metric_available(c.metric) and not c.where_counted):
            raise ValidationError(_("At least one weight of the on-time, satisfaction or "
                                    "reopen components must be above zero: bad ratings "
                                    "count only for the units people rate, so they cannot "
                                    "score every unit alone."))
        return data


@admin.register(RankingPolicy)
class RankingPolicyAdmin(admin.ModelAdmin):
    form = RankingPolicyForm
    list_display = ("__str__", "weight_on_time", "weight_satisfaction", "weight_reopen",
                    "weight_bad_ratings", "weights_used", "min_cases", "updated_at")
    readonly_fields = ("weights_used", "weights_ignored", "updated_at", "updated_by")
    fields = ("weight_on_time", "weight_satisfaction", "weight_reopen", "weight_bad_ratings",
              "weights_used", "weights_ignored", "min_cases", "updated_at", "updated_by")

    @admin.display(description=_("Sum of the weights used"))
    def weights_used(self, obj):
        return sum(getattr(obj, f"weight_{c.key}") or 0 for c in CRITERIA
                   if metric_available(c.metric))

    @admin.display(description=_("Set but not used (component not available)"))
    def weights_ignored(self, obj):
        return sum(getattr(obj, f"weight_{c.key}") or 0 for c in CRITERIA
                   if not metric_available(c.metric))

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not RankingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(DisplayToken)
class DisplayTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "created_at", "created_by", "revoked_at")
    list_filter = ("revoked_at",)
    fields = ("name", "region")
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        # A token cannot be edited, only issued and revoked.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        row, token = display_tokens.issue_display_token(obj.name, obj.region, request.user)
        obj.pk = row.pk
        url = request.build_absolute_uri(reverse("insights:lobby_screen")) + f"#token={token}"
        messages.warning(request, _(
            "Open this address on the screen. It is shown only now and is not stored: %(url)s")
            % {"url": url})

    @admin.action(description=_("Revoke the chosen tokens"))
    def revoke(self, request, queryset):
        n = display_tokens.revoke_display_tokens(list(queryset.values_list("pk", flat=True)))
        self.message_user(request, ngettext("%(n)s token revoked.", "%(n)s tokens revoked.", n)
                          % {"n": n})
