from django.contrib import admin

from qinqing.cases.admin import ReadOnlyAdmin
from qinqing.ratings.models import Rating


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    """Read only: ratings are written by their service, never edited (an appeal that
    invalidates one is not built yet). The rater's name and phone are not listed."""

    list_display = ("rated_at", "level", "channel", "unit", "staff", "enterprise",
                    "rated_case", "answerable_unit", "reason", "case", "is_default")
    list_filter = ("level", "channel", "reason", "is_default")
    list_select_related = ("unit", "staff", "enterprise", "rated_case", "answerable_unit",
                           "case")
    fields = ("rated_at", "level", "channel", "round", "code", "unit", "staff", "enterprise",
              "rated_case", "service_item", "answerable_unit", "region", "reason", "text",
              "phone_verified", "case", "is_default")
    readonly_fields = fields

