"""Supervision codes in the admin: to look up and audit. Codes are issued, withdrawn and
replaced on the managers' page (/codes/) or by the command line, through services.py, so
the admin shows them read-only."""

from django.contrib import admin

from qinqing.cases.admin import ReadOnlyAdmin
from qinqing.codes.models import SupervisionCode


@admin.register(SupervisionCode)
class SupervisionCodeAdmin(ReadOnlyAdmin):
    list_display = ("token", "object_name", "issued_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("token", "unit__name", "staff__full_name", "enterprise__name")
    list_select_related = ("unit", "staff", "enterprise")
    readonly_fields = ("token", "unit", "staff", "enterprise", "issued_at", "issued_by",
                       "revoked_at", "revoked_by", "revoke_reason", "replaced_by")

