from django.contrib import admin

from qinqing.enterprises.models import Enterprise


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "region", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "credit_code")
    autocomplete_fields = ("region",)
    list_select_related = ("region",)
