"""Fixtures of the notification tests: a small unit with staff, a loopback SMS gateway."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=SH)


@pytest.fixture
def unit(db):
    from qinqing.org.models import Unit, UnitKind

    return Unit.objects.create(code="990199-TEST", name="测试局", kind=UnitKind.DEPARTMENT)


@pytest.fixture
def staff(unit):
    """staff('name', active=True, unit=None) -> a new member of the test unit."""
    from qinqing.org.models import User

    def make(username, *, active=True, member_of=None):
        return User.objects.create(username=username, unit=member_of or unit,
                                   role="handler", is_active=active)

    return make


class Gateway:
    """An SMS gateway on 127.0.0.1 answering from a script: each request takes the next
    answer ("500", "timeout" = sleep past the client's timeout, "200"); the last one
    repeats. Records every request it received (headers and JSON body)."""

    def __init__(self, script, sleep=2.0):
        self.script = list(script)
        self.sleep = sleep
        self.requests = []
        self._lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with gateway._lock:
                    gateway.requests.append({"headers": dict(self.headers),
                                             "body": json.loads(body)})
                    answer = gateway.script.pop(0) if len(gateway.script) > 1 else gateway.script[0]
                try:
                    if answer == "timeout":
                        time.sleep(gateway.sleep)
                        answer = "200"
                    self.send_response(int(answer))
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}')
                except OSError:
                    pass  # the client gave up waiting: expected after "timeout"

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    """gateway(['500', 'timeout', '200']) -> a running Gateway the settings point at."""
    started = []

    def start(script, timeout=0.5):
        gw = Gateway(script, sleep=timeout * 4)
        started.append(gw)
        settings.QINQING_SMS_BACKEND = "http"
        settings.QINQING_SMS_GATEWAY_URL = gw.url
        settings.QINQING_SMS_GATEWAY_TOKEN = "gw-token"
        settings.QINQING_SMS_TIMEOUT = timeout
        return gw

    yield start
    for gw in started:
        gw.close()
