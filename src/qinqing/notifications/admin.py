"""The SMS record for administrators: read-only, the phone masked. Delivery is
services.deliver_due's job; nothing here changes a message."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qinqing.cases.admin import ReadOnlyAdmin
from qinqing.notifications.models import SmsMessage


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "masked_phone", "status", "attempts", "next_attempt_at",
                    "sent_at", "last_error")
    list_filter = ("status",)
    search_fields = ("event_key",)
    fields = ("masked_phone", "text", "event_key", "status", "attempts", "next_attempt_at",
              "last_error", "created_at", "sent_at")
    readonly_fields = fields

    @admin.display(description=_("Phone"))
    def masked_phone(self, obj):
        return obj.phone_masked
