"""Writes of notifications: in-app notices to staff, and queueing and sending SMS.

Delivery guarantees of SMS (`queue_sms`, `deliver_due`):

- **Once per event.** `SmsMessage.event_key` is unique; queueing the same event again
  returns the first record and adds nothing.
- **Never picked twice.** A worker *claims* due rows in a short transaction
  (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent workers take disjoint
  rows; SQLite's `BEGIN IMMEDIATE` serialises the claim), counts the attempt and moves
  `next_attempt_at` past its own send (the lease), then sends *outside* any transaction
  — a slow gateway never holds a row lock or SQLite's write lock — and records the
  outcome. A row marked `sent` is never selected again.
- **The window that stays open.** If the process dies after the gateway accepted a
  message and before `sent` is written, the lease runs out and the message is sent
  again: at least once, not exactly once. No database trick closes this, because the
  gateway's acceptance and our write cannot be one transaction. The event key is sent as
  the `Idempotency-Key` header; a gateway that honours it drops the repeat and closes
  the window. The same holds if a send outlasts its lease (see `_lease`).
- **Failures** never raise out of `deliver_due`: each is recorded (`last_error`) and
  retried after 1, 2, 4, … minutes (capped) until `QINQING_SMS_MAX_ATTEMPTS`, then the
  message is `failed`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qinqing.cases import confidential, timeline
from qinqing.cases.models import Reporter
from qinqing.notifications.models import Kind, Notification, SmsMessage, SmsStatus
from qinqing.notifications.sms import get_backend

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 500


# In-app notifications -------------------------------------------------------------------

def notify_user(user, title: str, *, kind: str = Kind.OTHER, body: str = "", case=None,
                event_key: str = "", now: datetime | None = None) -> Notification:
    """Give one staff member a notification. With an event_key, a second call for the
    same user and event returns the first notification and adds nothing."""
    fields = _notification_fields(title, kind, body, case, event_key, now)
    if not event_key:
        return Notification.objects.create(recipient=user, **fields)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            return Notification.objects.create(recipient=user, **fields)
    except IntegrityError:
        return Notification.objects.get(recipient=user, event_key=event_key)


def notify_unit(unit, title: str, *, kind: str = Kind.OTHER, body: str = "", case=None,
                event_key: str = "", now: datetime | None = None) -> int:
    """Notify every active member of `unit` (not of the units below it). Returns how many
    notifications were added: with an event_key, members already notified of that event
    are skipped, so running the same step again adds none."""
    fields = _notification_fields(title, kind, body, case, event_key, now)
    recipients = list(unit.members.filter(is_active=True).values_list("pk", flat=True))
    if event_key:
        already = set(Notification.objects.filter(
            recipient_id__in=recipients, event_key=event_key,
        ).values_list("recipient_id", flat=True))
        recipients = [pk for pk in recipients if pk not in already]
    # ignore_conflicts: a concurrent run of the same step may insert between the read
    # above and this insert; the unique constraint then keeps one each.
    created = Notification.objects.bulk_create(
        [Notification(recipient_id=pk, **fields) for pk in recipients],
        ignore_conflicts=bool(event_key),
    )
    return len(created)


def mark_read(user, ids=None, now: datetime | None = None) -> int:
    """Mark the user's own notifications read (all unread ones when `ids` is None).
    Another user's ids are ignored. Returns how many changed."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=now or timezone.now())


def _notification_fields(title, kind, body, case, event_key, now) -> dict:
    title = (title or "").strip()
    if not title:
        raise ValueError("a notification needs a title")
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    return {"kind": kind, "title": title[:200], "body": body or "", "case": case,
            "event_key": event_key or "", "created_at": now or timezone.now()}


# SMS ------------------------------------------------------------------------------------

def queue_sms(phone: str, text: str, event_key: str,
              now: datetime | None = None) -> SmsMessage:
    """Record a message for `deliver_due` to send. Idempotent on event_key: a second
    call with the same key returns the first record (whatever its phone and text) and
    queues nothing."""
    phone = (phone or "").strip()
    event_key = (event_key or "").strip()
    if not confidential.normalise_phone(phone):
        raise ValueError("an SMS needs a phone number")
    if not text:
        raise ValueError("an SMS needs a text")
    if not event_key or len(event_key) > 200:
        raise ValueError("an SMS needs an event key of at most 200 characters")
    now = now or timezone.now()
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            return SmsMessage.objects.create(
                phone_enc=confidential.encrypt(phone), text=text, event_key=event_key,
                next_attempt_at=now, created_at=now,
            )
    except IntegrityError:
        return SmsMessage.objects.get(event_key=event_key)


# SMS to reporters ----------------------------------------------------------------------
#
# Two receivers of the cases app's hooks, connected in apps.py. Each message names the
# case's number and, for a step, the step's words as the tracking page shows them: never
# a name, the matter's words or anything else of the case (a report's reporter is
# protected, and a phone may be shared). Written in the site's language (LANGUAGE_CODE),
# whoever's request wrote them: the text is stored and sent later.

def text_new_case(sender, case, reporter, phone: str, query_code: str, **kwargs) -> None:
    """Receiver of `cases.services.case_received`: a new case's reporter who left a phone
    gets its number and query code, whatever the channel (hotline, API, Open311, portal,
    an inspection), in the intake's transaction. Once per case (the event key)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _("Your matter is registered as %(number)s, query code %(code)s. Follow it "
                 "at /track/ or by calling 12345.") % {"number": case.number,
                                                        "code": query_code}
    queue_sms(phone, text, event_key=f"case-created:{case.number}", now=case.received_at)


def text_public_steps(sender, case, events, created: bool = False, **kwargs) -> None:
    """Receiver of the timeline's `case_changed`: each new event of a kind the registry
    marks public (what the tracking page lists) is texted to the case's reporters who
    asked for it (`Reporter.sms_updates`), one SMS per event and reporter.

    Not at intake (created=True: the number-and-code SMS is `text_new_case`'s, and the
    bulk import's replayed histories come this way too, whose reporters are not texted).
    One query per change with a public event (the opted-in reporters), none otherwise."""
    if created:
        return
    public = [event for event in events
              if (kind := timeline.registry.get(event.action)) is not None and kind.public]
    if not public:
        return
    reporters = list(Reporter.objects.filter(case_id=case.pk, sms_updates=True)
                     .exclude(phone_index="").values_list("pk", "phone_enc"))
    if not reporters:
        return
    with translation.override(settings.LANGUAGE_CODE):
        texts = [(event, _("Your matter %(number)s: %(step)s. Follow it at /track/ with "
                           "your query code or by calling 12345.")
                  % {"number": case.number, "step": timeline.registry.label(event.action)})
                 for event in public]
    for pk, phone_enc in reporters:
        phone = confidential.decrypt(phone_enc)
        for event, text in texts:
            queue_sms(phone, text, event_key=f"case-step:{case.number}:{event.seq}:{pk}",
                      now=event.at)


def deliver_due(now: datetime | None = None, limit: int | None = None,
                backend=None) -> dict[str, int]:
    """Send the queued messages that are due at `now`; return counts of the outcomes
    ({"sent", "retry", "failed"}). Never raises for a failed send."""
    now = now or timezone.now()
    backend = backend or get_backend()
    outcome = {"sent": 0, "retry": 0, "failed": 0}
    for message in _claim(now, limit or settings.QINQING_SMS_BATCH):
        try:
            backend.send(message.phone, message.text, message.event_key)
        except Exception as exc:  # a worker must outlive any gateway or backend failure
            error = (str(exc) or exc.__class__.__name__).splitlines()[0][:MAX_ERROR_CHARS]
            outcome[_record_failure(message, error, now)] += 1
            log.warning("SMS %s attempt %s failed: %s", message.event_key,
                        message.attempts, error)
        else:
            _record_sent(message, now)
            outcome["sent"] += 1
    return outcome


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4, … minutes."""
    base = settings.QINQING_SMS_BACKOFF_BASE
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0),
                                 settings.QINQING_SMS_BACKOFF_CAP))


def _lease() -> timedelta:
    # Long enough for a send that waits out its timeout a few times (connect, read) plus
    # the time to record it; a worker gone longer than this loses its claim.
    return timedelta(seconds=4 * settings.QINQING_SMS_TIMEOUT + 60)


def _claim(now: datetime, limit: int) -> list[SmsMessage]:
    with transaction.atomic():
        rows = list(
            SmsMessage.objects.select_for_update(skip_locked=True)
            .filter(status=SmsStatus.QUEUED, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if rows:
            # Counted at the claim, so a message that crashes its worker each time still
            # reaches the maximum instead of being retried for ever.
            SmsMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
                attempts=F("attempts") + 1, next_attempt_at=now + _lease(),
            )
    for row in rows:
        row.attempts += 1
    return rows


def _record_sent(message: SmsMessage, now: datetime) -> None:
    SmsMessage.objects.filter(pk=message.pk).exclude(status=SmsStatus.SENT).update(
        status=SmsStatus.SENT, sent_at=now, last_error="",
    )


def _record_failure(message: SmsMessage, error: str, now: datetime) -> str:
    final = message.attempts >= settings.QINQING_SMS_MAX_ATTEMPTS
    # Only while our claim stands (same attempt count, still queued): if the lease ran
    # out and another worker took the message, its outcome is the one that counts.
    SmsMessage.objects.filter(
        pk=message.pk, status=SmsStatus.QUEUED, attempts=message.attempts,
    ).update(
        status=SmsStatus.FAILED if final else SmsStatus.QUEUED,
        next_attempt_at=now if final else now + backoff(message.attempts),
        last_error=error,
    )
    return "failed" if final else "retry"
