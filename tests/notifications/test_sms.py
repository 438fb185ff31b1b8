"""SMS: recorded once per event, sent by deliver_due with retries, never twice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection

from qinqing.notifications import services
from qinqing.notifications.models import SmsMessage, SmsStatus
from tests.notifications.conftest import T0

PHONE = "13812345678"


def test_queueing_is_idempotent_on_the_event_key(db):
    first = services.queue_sms(PHONE, "案件即将超期", "warn:QQ-2026-000001:resolve", now=T0)
    again = services.queue_sms("13900000000", "另一条", "warn:QQ-2026-000001:resolve",
                               now=T0 + timedelta(minutes=5))
    assert again.pk == first.pk
    assert SmsMessage.objects.count() == 1
    row = SmsMessage.objects.get()
    assert (row.phone, row.text, row.status, row.attempts) == (PHONE, "案件即将超期", "queued", 0)


def test_queueing_inside_a_transaction_keeps_it_usable(db):
    from django.db import transaction

    with transaction.atomic():
        services.queue_sms(PHONE, "一", "k1", now=T0)
        services.queue_sms(PHONE, "一", "k1", now=T0)  # the duplicate must not break the
        services.queue_sms(PHONE, "二", "k2", now=T0)  # transaction (PostgreSQL would)
    assert SmsMessage.objects.count() == 2


def test_the_phone_is_encrypted_in_the_row_and_shown_masked(db):
    message = services.queue_sms(PHONE, "测试", "enc:1", now=T0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone_enc FROM notifications_smsmessage WHERE id = %s",
                       [message.pk])
        (raw,) = cursor.fetchone()
    assert raw and PHONE not in raw and "5678" not in raw
    assert message.phone_masked == "138****5678"
    assert PHONE not in str(message)


def test_the_file_backend_writes_a_json_line_a_tester_reads(db, settings, tmp_path):
    settings.QINQING_SMS_BACKEND = "file"
    settings.QINQING_SMS_OUTBOX = tmp_path / "sms-outbox.jsonl"
    services.queue_sms(PHONE, "您有一件案件即将超期", "a", now=T0)
    services.queue_sms("13900001111", "second", "b", now=T0)

    assert services.deliver_due(now=T0) == {"sent": 2, "retry": 0, "failed": 0}
    lines = [json.loads(line) for line in settings.QINQING_SMS_OUTBOX.read_text().splitlines()]
    assert [(m["to"], m["text"], m["event_key"]) for m in lines] == [
        ("138****5678", "您有一件案件即将超期", "a"), ("139****1111", "second", "b")]
    assert set(SmsMessage.objects.values_list("status", flat=True)) == {"sent"}
    # Sent is final: nothing is written again.
    assert services.deliver_due(now=T0 + timedelta(days=1))["sent"] == 0
    assert len(settings.QINQING_SMS_OUTBOX.read_text().splitlines()) == 2


def test_the_outbox_is_readable_by_its_owner_only(db, settings, tmp_path):
    import os
    import stat

    from qinqing.notifications.sms import FileBackend

    os.umask(0o022)  # what a shell usually has: files would be world-readable
    new = tmp_path / "new.jsonl"
    FileBackend(new).send(PHONE, "一", "m1")
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    # A file an older version left world-readable is narrowed at the next message.
    old = tmp_path / "old.jsonl"
    old.write_text('{"to": "13812345678"}\n')
    old.chmod(0o644)
    FileBackend(old).send(PHONE, "二", "m2")
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert len(old.read_text().splitlines()) == 2


def test_full_numbers_for_local_debugging_only(db, settings, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from qinqing.notifications.sms import FileBackend

    settings.QINQING_SMS_FULL_NUMBERS = True
    settings.QINQING_ENV = "development"
    outbox = tmp_path / "outbox.jsonl"
    FileBackend(outbox).send(PHONE, "一", "f1")
    assert json.loads(outbox.read_text())["to"] == PHONE

    settings.QINQING_ENV = "production"
    with pytest.raises(ImproperlyConfigured, match="QINQING_ENV=production"):
        FileBackend(outbox).send(PHONE, "二", "f2")
    assert len(outbox.read_text().splitlines()) == 1


def test_production_refuses_full_numbers_at_start_up():
    from qinqing.config import sms_full_numbers

    assert sms_full_numbers({}) is False
    assert sms_full_numbers({"QINQING_SMS_FULL_NUMBERS": "1"}) is True
    assert sms_full_numbers({"QINQING_ENV": "production"}) is False
    with pytest.raises(ValueError, match="not allowed with QINQING_ENV=production"):
        sms_full_numbers({"QINQING_SMS_FULL_NUMBERS": "1", "QINQING_ENV": "production"})


def test_the_default_outbox_is_in_the_data_folder(settings):
    assert settings.QINQING_SMS_BACKEND == "file"
    assert settings.QINQING_SMS_OUTBOX == settings.DATA_DIR / "sms-outbox.jsonl"


def test_the_console_backend_prints(db, settings, capsys):
    settings.QINQING_SMS_BACKEND = "console"
    services.queue_sms(PHONE, "控制台", "c", now=T0)
    services.deliver_due(now=T0)
    out = capsys.readouterr().out
    assert "控制台" in out and "138****5678" in out and PHONE not in out


def test_a_failing_gateway_is_retried_with_backoff_then_sent_once(db, gateway):
    gw = gateway(["500", "timeout", "200"], timeout=0.5)
    message = services.queue_sms(PHONE, "案件已超期", "overdue:QQ-2026-000007:resolve", now=T0)

    # 1st attempt: HTTP 500 -> queued again, one minute later.
    assert services.deliver_due(now=T0) == {"sent": 0, "retry": 1, "failed": 0}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.next_attempt_at == T0 + timedelta(minutes=1)
    assert "500" in message.last_error

    # Not due yet: nothing goes out.
    assert services.deliver_due(now=T0 + timedelta(seconds=59))["retry"] == 0
    assert len(gw.requests) == 1

    # 2nd attempt: the gateway does not answer in time -> two minutes later.
    t1 = T0 + timedelta(minutes=1)
    assert services.deliver_due(now=t1) == {"sent": 0, "retry": 1, "failed": 0}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 2)
    assert message.next_attempt_at == t1 + timedelta(minutes=2)
    assert "did not answer" in message.last_error

    # 3rd attempt: 200 -> sent.
    t2 = t1 + timedelta(minutes=2)
    assert services.deliver_due(now=t2) == {"sent": 1, "retry": 0, "failed": 0}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at, message.last_error) == (
        "sent", 3, t2, "")

    # Never again, however late.
    assert services.deliver_due(now=t2 + timedelta(days=30))["sent"] == 0
    assert len(gw.requests) == 3
    for request in gw.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["idempotency-key"] == "overdue:QQ-2026-000007:resolve"
        assert headers["authorization"] == "Bearer gw-token"
        assert request["body"] == {"to": PHONE, "text": "案件已超期",
                                   "event_key": "overdue:QQ-2026-000007:resolve"}


def test_a_message_that_keeps_failing_ends_failed_after_max_attempts(db, gateway, settings):
    settings.QINQING_SMS_MAX_ATTEMPTS = 4
    gw = gateway(["500"])
    message = services.queue_sms(PHONE, "x", "always-500", now=T0)
    now, waits = T0, []
    for attempt in range(1, 5):
        outcome = services.deliver_due(now=now)
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < 4:
            assert outcome == {"sent": 0, "retry": 1, "failed": 0}
            waits.append(message.next_attempt_at - now)
            now = message.next_attempt_at
    assert outcome == {"sent": 0, "retry": 0, "failed": 1}
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert (message.status, message.sent_at) == ("failed", None)
    assert "HTTP 500" in message.last_error
    # Failed is final.
    assert services.deliver_due(now=now + timedelta(days=1))["failed"] == 0
    assert len(gw.requests) == 4


def test_backoff_doubles_up_to_the_cap(settings):
    settings.QINQING_SMS_BACKOFF_BASE = 60
    settings.QINQING_SMS_BACKOFF_CAP = 600
    assert [services.backoff(n).total_seconds() for n in range(1, 7)] == [
        60, 120, 240, 480, 600, 600]


def test_an_unreachable_gateway_or_a_broken_backend_never_crashes_the_worker(db, settings):
    settings.QINQING_SMS_BACKEND = "http"
    settings.QINQING_SMS_GATEWAY_URL = "http://127.0.0.1:9/nothing-listens-here"
    settings.QINQING_SMS_TIMEOUT = 0.5
    services.queue_sms(PHONE, "x", "down", now=T0)
    assert services.deliver_due(now=T0) == {"sent": 0, "retry": 1, "failed": 0}
    assert "unreachable" in SmsMessage.objects.get().last_error

    class Broken:
        def send(self, phone, text, event_key):
            raise ZeroDivisionError("bug in a backend")

    later = T0 + timedelta(minutes=1)
    assert services.deliver_due(now=later, backend=Broken())["retry"] == 1
    assert SmsMessage.objects.get().last_error == "bug in a backend"


def test_a_redirect_is_a_failure_not_a_send(db, settings):
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.QINQING_SMS_BACKEND = "http"
        settings.QINQING_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_address[1]}/"
        services.queue_sms(PHONE, "x", "redirected", now=T0)
        assert services.deliver_due(now=T0)["retry"] == 1
        assert "302" in SmsMessage.objects.get().last_error
    finally:
        server.shutdown()
        server.server_close()


class Recording:
    def __init__(self, during_send=None):
        self.sent = []
        self.during_send = during_send

    def send(self, phone, text, event_key):
        if self.during_send:
            self.during_send()
        self.sent.append(event_key)


def test_a_claimed_message_is_not_picked_by_another_worker(db):
    services.queue_sms(PHONE, "x", "claimed", now=T0)
    inner = Recording()
    # While the first worker is sending, a second worker runs at the same moment.
    outer = Recording(during_send=lambda: services.deliver_due(now=T0, backend=inner))
    assert services.deliver_due(now=T0, backend=outer)["sent"] == 1
    assert (outer.sent, inner.sent) == (["claimed"], [])


def test_a_worker_dying_after_the_send_leaves_an_at_least_once_window(db):
    """The documented window: accepted by the gateway, then the worker died before
    writing `sent`. The message is retried after the lease, with the same event key, so
    a gateway honouring Idempotency-Key drops it."""
    services.queue_sms(PHONE, "x", "crash", now=T0)

    class DiesAfterSending(Recording):
        def send(self, phone, text, event_key):
            super().send(phone, text, event_key)
            raise SystemExit("killed")  # not an Exception: like the process dying

    dying = DiesAfterSending()
    with pytest.raises(SystemExit):
        services.deliver_due(now=T0, backend=dying)
    row = SmsMessage.objects.get()
    assert (row.status, row.attempts) == ("queued", 1)

    again = Recording()
    assert services.deliver_due(now=T0 + timedelta(minutes=1), backend=again)["sent"] == 0
    services.deliver_due(now=row.next_attempt_at, backend=again)
    assert (dying.sent, again.sent) == (["crash"], ["crash"])
    assert SmsMessage.objects.get().status == SmsStatus.SENT


def test_queueing_checks_its_input(db):
    for phone, text, key in [("", "x", "k"), ("abc", "x", "k"), (PHONE, "", "k"),
                             (PHONE, "x", ""), (PHONE, "x", "k" * 201)]:
        with pytest.raises(ValueError):
            services.queue_sms(phone, text, key)
    assert not SmsMessage.objects.exists()
