from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from qinqing.org.models import Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("indented_name", "code", "kind", "region_code", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "code")
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)
    list_per_page = 100

    @admin.display(description=_("Name"), ordering="path")
    def indented_name(self, obj: Unit) -> str:
        return "\u3000" * (obj.depth - 1) + obj.name


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "unit", "role", "is_active")
    list_filter = ("role", "is_active", "unit__kind")
    search_fields = ("username", "full_name", "unit__name")
    autocomplete_fields = ("unit",)
    list_select_related = ("unit",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Work"), {"fields": ("full_name", "unit", "role", "phone", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "unit", "role",
                                                "password1", "password2")}),
    )
