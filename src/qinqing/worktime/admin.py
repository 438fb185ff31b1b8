from django.contrib import admin

from qinqing.worktime.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "note", "updated_at", "updated_by")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
    search_fields = ("note",)
    readonly_fields = ("updated_at", "updated_by")

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
