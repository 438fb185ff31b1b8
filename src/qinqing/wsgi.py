"""The WSGI application, for gunicorn (`qinqing serve`, or `gunicorn qinqing.wsgi`).

A configuration mistake (in production: a missing key or QINQING_ALLOWED_HOSTS) ends the
process with one line on stderr, like the `qinqing` command, and with gunicorn's "app failed
to load" status so gunicorn stops instead of starting workers again and again.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    print(f"qinqing: configuration error: {exc}", file=sys.stderr, flush=True)
    sys.exit(4)  # gunicorn.arbiter.Arbiter.APP_LOAD_ERROR: halts the master
