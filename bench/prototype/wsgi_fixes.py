"""PROTOTYPE ONLY: Qinqing's WSGI app with the intake_fixes patches applied (level from
PROTO_LEVEL, default +late_number). See intake_fixes.py."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

import intake_fixes  # noqa: E402

intake_fixes.apply(intake_fixes.LEVELS[os.environ.get("PROTO_LEVEL", "+late_number")])
