"""UI strings this app added to shared files (web/templates/web/base.html: the header's
notifications link), listed here so `makemessages` run in this app finds them and they
are translated in this app's own catalogue."""

from django.utils.translation import gettext_noop

SHARED = [gettext_noop("Notifications"), gettext_noop("unread")]
