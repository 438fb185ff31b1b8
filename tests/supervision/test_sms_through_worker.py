"""The ladder's SMS go out through the worker's tick: a failing gateway (HTTP 500, then no
answer in time) is retried with back-off and the message ends recorded as failed; the
worker never raises, and the unit's duty phone gets no duplicate."""

from __future__ import annotations

from datetime import timedelta

from tests.notifications.conftest import Gateway
from tests.supervision.conftest import DUTY_PHONE


def test_a_failing_gateway_is_retried_then_recorded_as_failed(make_case, worker, at_time,
                                                              settings):
    from qinqing.cases.models import StageClock
    from qinqing.notifications.models import SmsMessage

    gw = Gateway(["500", "timeout"], sleep=2.0)
    try:
        settings.QINQING_SMS_BACKEND = "http"
        settings.QINQING_SMS_GATEWAY_URL = gw.url
        settings.QINQING_SMS_GATEWAY_TOKEN = "gw-token"
        settings.QINQING_SMS_TIMEOUT = 0.5
        settings.QINQING_SMS_MAX_ATTEMPTS = 3
        # A caller without a phone: the gateway sees the ladder's SMS only (not the
        # number-and-code SMS a reporter's phone would get at intake).
        case = make_case(("dispatch", "sign"), reporter={"name": "张三丰"})
        clock = StageClock.objects.get(case=case, stage="resolve")
        start = clock.warn_at + timedelta(seconds=30)
        # One turn a minute for ten minutes: the warning's SMS is queued by its job, then
        # tried by the ticks after 0, 1 and 2 minutes' back-off (HTTP 500, no answer, no
        # answer), then recorded as failed; later ticks leave it alone.
        for minute in range(10):
            with at_time(start + timedelta(minutes=minute)):
                report = worker.run_once()
            if report["tick"]:
                assert "error" not in report["tick"]["services.deliver_due"]["result"]
        message = SmsMessage.objects.get()
        assert message.phone == DUTY_PHONE and case.number in message.text
        assert (message.status, message.attempts) == ("failed", 3)
        assert "did not answer" in message.last_error
        assert len(gw.requests) == 3
        keys = {{k.lower(): v for k, v in r["headers"].items()}["idempotency-key"]
                for r in gw.requests}
        assert keys == {message.event_key}
    finally:
        gw.close()
