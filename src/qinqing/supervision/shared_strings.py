"""UI strings this app added to a shared file (web/templates/web/event_details.html, which
shows its events' details), listed here so `makemessages` run in this app finds them and
they are translated in this app's own catalogue. (The words of its events are in
events.py.)"""

from django.utils.translation import gettext_noop

SHARED = [
    gettext_noop("%(n)s working days overdue"),
    gettext_noop("Sent automatically by the escalation ladder"),
]
