"""SMS backends: how one message leaves the building.

A backend has `send(phone, text, event_key)`; it returns when the message was accepted
and raises `SmsError` (or anything else) when it was not. It never retries and never
records anything: `services.deliver_due` does both. Which backend runs is
`QINQING_SMS_BACKEND`: `file` (default), `console`, `http` or a dotted class path.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from qinqing.cases.confidential import mask_phone


class SmsError(Exception):
    """The gateway did not accept the message; the text says why, in one line."""


def _number_written(phone: str) -> str:
    """The number as the file and console backends write it: masked (138****5678) unless
    QINQING_SMS_FULL_NUMBERS asks for it whole, which production refuses (config.py)."""
    if not getattr(settings, "QINQING_SMS_FULL_NUMBERS", False):
        return mask_phone(phone)
    if getattr(settings, "QINQING_ENV", "") == "production":
        # The environment check at start-up catches this; settings changed later do not
        # get around it.
        raise ImproperlyConfigured("QINQING_SMS_FULL_NUMBERS is for local debugging only "
                                   "and is not allowed with QINQING_ENV=production")
    return phone


class FileBackend:
    """Appends one JSON line per message to QINQING_SMS_OUTBOX, for testers and demos.

    The number is masked (138****5678) unless QINQING_SMS_FULL_NUMBERS is set for local
    debugging, and the file is readable by its owner only (mode 0600, also put right on
    a file that an older version created world-readable).
    """

    def __init__(self, path: Path | None = None):
        self.path = Path(path or settings.QINQING_SMS_OUTBOX)

    def send(self, phone: str, text: str, event_key: str) -> None:
        line = json.dumps({
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "to": _number_written(phone), "text": text, "event_key": event_key,
        }, ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The mode is given at creation (no moment with the umask's wider mode); fchmod
        # also narrows a file created before.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as outbox:
            if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
                os.fchmod(fd, 0o600)
            # One write of one line in append mode: lines of concurrent workers never mix.
            outbox.write(line + "\n")


class ConsoleBackend:
    """Prints each message on standard output (a developer's terminal), the number masked
    like the file backend's."""

    def send(self, phone: str, text: str, event_key: str) -> None:
        print(f"SMS to {_number_written(phone)} [{event_key}]: {text}", file=sys.stdout,
              flush=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would turn a redirected POST into a GET without the message and call the
    # result a success; for a gateway a redirect is a configuration error.
    def redirect_request(self, *args, **kwargs):
        return None


class HttpBackend:
    """POSTs JSON to an SMS gateway: any 2xx is sent; anything else, or no answer within
    QINQING_SMS_TIMEOUT seconds, is a failure.

    The event key goes along as the `Idempotency-Key` header: a gateway that honours it
    sends a retried message only once (see services.deliver_due).
    """

    def __init__(self, url: str | None = None, token: str | None = None,
                 timeout: float | None = None):
        self.url = url or settings.QINQING_SMS_GATEWAY_URL
        self.token = settings.QINQING_SMS_GATEWAY_TOKEN if token is None else token
        self.timeout = timeout or settings.QINQING_SMS_TIMEOUT
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, phone: str, text: str, event_key: str) -> None:
        body = json.dumps({"to": phone, "text": text, "event_key": event_key},
                          ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Idempotency-Key": event_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        # The timeout bounds each wait on the socket (connect, each read), which is what
        # urllib offers; the claim lease in deliver_due leaves room for several.
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = response.status
                response.read(65536)
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered HTTP {exc.code}") from None
        except TimeoutError:
            raise SmsError(f"gateway did not answer within {self.timeout:g} s") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise SmsError(f"gateway did not answer within {self.timeout:g} s") from None
            raise SmsError(f"gateway unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered HTTP {status}")


BACKENDS = {"file": FileBackend, "console": ConsoleBackend, "http": HttpBackend}


def get_backend():
    """A backend as configured now (cheap to build; settings may change in tests)."""
    name = settings.QINQING_SMS_BACKEND
    cls = BACKENDS.get(name) or import_string(name)
    return cls()
