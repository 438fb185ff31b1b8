from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qinqing.cases.admin import ReadOnlyAdmin
from qinqing.ratings import outcomes
from qinqing.ratings.appeal_models import Appeal
from qinqing.ratings.models import Rating


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    """Read only: ratings are written by their services, never edited (an upheld appeal
    marks one invalid: ratings/appeals.py). The rater's name and phone are not listed."""

    list_display = ("rated_at", "level", "channel", "round", "status", "unit", "staff",
                    "enterprise", "rated_case", "answerable_unit", "reason", "case",
                    "is_default")
    list_filter = ("level", "channel", "round", "status", "reason", "is_default")
    list_select_related = ("unit", "staff", "enterprise", "rated_case", "answerable_unit",
                           "case")
    fields = ("rated_at", "level", "channel", "round", "code", "unit", "staff", "enterprise",
              "rated_case", "service_item", "answerable_unit", "region", "reason", "text",
              "phone_verified", "case", "is_default", "status", "follow_up_of", "outcome")
    readonly_fields = fields

    @admin.display(description=_("Outcome of the rating"))
    def outcome(self, rating: Rating) -> str:
        return outcomes.outcome(rating) if rating.round == 1 else ""


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    """Read only: appeals are made and decided on the case page (ratings/appeals.py)."""

    list_display = ("appealed_at", "case", "unit", "decision", "decided_at")
    list_filter = ("decision",)
    list_select_related = ("case", "unit")
    fields = ("rating", "case", "unit", "appealed_by", "appealed_at", "reason", "decision",
              "decided_by", "decided_at", "decision_reason")
    readonly_fields = fields

