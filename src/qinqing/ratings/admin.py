from django.contrib import admin

from qinqing.cases.admin import ReadOnlyAdmin
from qinqing.ratings.models import Rating


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    """Read only: ratings are written by their service, never edited (an appeal that
    invalidates one is not built yet). The rater's name and phone are not listed."""

    list_display = ("rated_at", "level", "channel", "unit", "staff", "enterprise",
                    "answerable_unit", "reason", "case")
    list_filter = ("level", "channel", "reason")
    list_select_related = ("unit", "staff", "enterprise", "answerable_unit", "case")
    fields = ("rated_at", "level", "channel", "round", "code", "unit", "staff", "enterprise",
              "answerable_unit", "region", "reason", "text", "phone_verified", "case")
    readonly_fields = fields

