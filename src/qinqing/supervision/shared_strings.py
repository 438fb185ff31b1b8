"""UI strings this app added to shared files (the history's words for the ladder's events
in web/templatetags/workbench.py and web/templates/web/event_details.html), listed here so `makemessages` run in this app finds
them and they are translated in this app's own catalogue."""

from django.utils.translation import gettext_noop

SHARED = [
    gettext_noop("Deadline warning sent to the unit"),
    gettext_noop("Reminder letter issued"),
    gettext_noop("Listed for supervision"),
    gettext_noop("Listing closed"),
    gettext_noop("%(n)s working days overdue"),
    gettext_noop("Sent automatically by the escalation ladder"),
]
