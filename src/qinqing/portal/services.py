"""Writes of the public side: SMS codes that prove a phone, filing a matter (with its
files, the hall window's copy to supervisors and the mailbox's record), following one by
number and query code (the wrong tries counted), the person's judgement of an answer,
and publishing mailbox letters.

Abuse limits: codes per phone and per address, submissions per address and per phone,
each in a fixed window (qinqing.security.FailureWindow counts any event, not only
failures). A refusal raises Refused with the message the person reads.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import access, confidential
from qinqing.cases import services as case_services
from qinqing.cases.models import Case, Channel
from qinqing.cases.models.clocks import StageClock
from qinqing.notifications.services import notify_user, queue_sms
from qinqing.org.models import Role, User
from qinqing.org.services import ensure_system_account
from qinqing.portal import queries
from qinqing.portal.models import (
    MailboxLetter, PhoneChallenge, Publication, Submission,
)
from qinqing.security import FailureWindow
from qinqing.text import PERSONAL_NUMBER

CODE_DIGITS = 6
CODE_MINUTES = 10
CODE_TRIES = 5  # wrong tries of one code; then it is spent and a new one must be sent
RESEND_SECONDS = 60


class Refused(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def _window(scope: str, limit_setting: str, seconds: int) -> FailureWindow:
    return FailureWindow(scope, getattr(settings, limit_setting), seconds)


def _limit(window: FailureWindow, key: str, message: str, field: str | None = None) -> None:
    wait = window.retry_after(key)
    if wait is not None:
        raise Refused(message % {"minutes": max(1, round(wait / 60))}, field)


def send_phone_code(phone: str, address: str, now: datetime | None = None) -> None:
    """Send a new 6-digit code to `phone` (queued SMS), within the limits."""
    now = now or timezone.now()
    index = confidential.phone_index(phone)
    digits = confidential.normalise_phone(phone)
    if not (7 <= len(digits) <= 15):
        raise Refused(_("Enter a phone number of 7 to 15 digits."), "phone")
    latest = PhoneChallenge.objects.filter(phone_index=index).order_by("-created_at").first()
    if latest and (now - latest.created_at).total_seconds() < RESEND_SECONDS:
        raise Refused(_("A code was just sent to this number; wait a minute before asking "
                        "for another."), "phone")
    per_phone = _window("portal-code-phone", "QINQING_PORTAL_CODES_PER_PHONE", 3600)
    per_address = _window("portal-code-address", "QINQING_PORTAL_CODES_PER_ADDRESS", 3600)
    _limit(per_phone, index, _("Too many codes for this number. Try again in %(minutes)s "
                               "minutes."), "phone")
    _limit(per_address, address, _("Too many codes from your address. Try again in "
                                   "%(minutes)s minutes."), "phone")
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    with transaction.atomic():
        challenge = PhoneChallenge.objects.create(
            phone_index=index, code_hash=_code_hash(index, code), created_at=now,
            expires_at=now + timedelta(minutes=CODE_MINUTES))
        queue_sms(phone, _("Your Qinqing verification code is %(code)s, valid for %(n)s "
                           "minutes. Do not tell it to anyone.")
                  % {"code": code, "n": CODE_MINUTES},
                  event_key=f"portal-code:{challenge.pk}", now=now)
    per_phone.fail(index)
    per_address.fail(address)


def check_phone_code(phone: str, code: str, now: datetime | None = None) -> None:
    """Spend the latest unexpired code of `phone` if `code` is it; else Refused."""
    now = now or timezone.now()
    index = confidential.phone_index(phone)
    typed = "".join(ch for ch in code or "" if ch.isdigit())
    with transaction.atomic():
        challenge = (PhoneChallenge.objects.select_for_update()
                     .filter(phone_index=index, used_at__isnull=True, expires_at__gt=now)
                     .order_by("-created_at").first())
        if challenge is None or challenge.attempts >= CODE_TRIES:
            raise Refused(_("No valid code for this number: ask for a new one."), "sms_code")
        right = hmac.compare_digest(challenge.code_hash, _code_hash(index, typed))
        # A wrong try is counted and committed before the refusal (raising inside the
        # block would roll the count back, and the code could be tried for ever).
        if right:
            challenge.used_at = now
        else:
            challenge.attempts += 1
        challenge.save(update_fields=["used_at", "attempts"])
    if not right:
        left = CODE_TRIES - challenge.attempts
        raise Refused(_("The code is not right; %(n)s tries left.") % {"n": left}
                      if left else _("The code is not right, and it is now spent: ask "
                                     "for a new one."), "sms_code")


def _code_hash(index: str, code: str) -> str:
    return confidential.keyed_hash(f"portal-code:{index}:{code}")


@dataclass
class Filed:
    number: str
    query_code: str
    created: bool


def submit(data: dict, *, token: str, address: str, enterprise_code: str = "",
           phone_verified: bool = False, channel: str = Channel.WEB, copy_to=None,
           consent: bool | None = None, files: list | None = None,
           now: datetime | None = None) -> Filed:
    """File the matter `data` (the intake's fields, without channel) from the portal, on
    `channel`. With `copy_to` (a service hall), its supervisors get a copy (a notice).

    `token` is the form's own key: the same form sent twice (a double click, a network
    retry) makes one case, and the second answer is the first case. The reporter who gave
    a phone gets the number and the query code by SMS, as on every channel: the intake
    service sends `case_received` in this transaction and qinqing.notifications queues
    it; with `reporter.sms_updates`, also an SMS at each public step.

    `files` (cases.services.check_upload's, checked before) are stored with the case, in
    its transaction, as sent by the reporter; a retry stores none again.
    """
    now = now or timezone.now()
    per_address = _window("portal-submit-address", "QINQING_PORTAL_SUBMISSIONS_PER_ADDRESS",
                          3600)
    phone = ((data.get("reporter") or {}).get("phone") or "").strip()
    per_phone = _window("portal-submit-phone", "QINQING_PORTAL_SUBMISSIONS_PER_PHONE", 86400)
    index = confidential.phone_index(phone) if phone else ""
    # A retry of a form already filed is answered with its case, whatever the limits say.
    retry = Case.objects.filter(intake_key=f"public:portal:{token}").exists()
    if not retry:
        _limit(per_address, address, _("Too many matters from your address. Try again in "
                                       "%(minutes)s minutes, or call the 12345 hotline."))
        if index:
            _limit(per_phone, index, _("Too many matters from this phone today. Try again "
                                       "later, or call the 12345 hotline."))
    with case_services.files_removed_on_failure(), transaction.atomic():
        intake = case_services.create_case(None, {**data, "channel": channel},
                                           idempotency_key=f"portal:{token}", now=now)
        if intake.created:
            Submission.objects.create(case=intake.case, enterprise_code=enterprise_code,
                                      phone_verified=phone_verified, created_at=now)
            if files:
                case_services.attach_from_reporter(intake.case, files, now)
            if copy_to is not None:
                _copy_to_supervisors(intake.case, copy_to, now)
            if channel == Channel.MAYOR_MAILBOX:
                MailboxLetter.objects.create(
                    case=intake.case, consent=bool(consent), created_at=now,
                    publication=Publication.PENDING if consent else Publication.NOT_ASKED)
    if intake.created:
        per_address.fail(address)
        if index:
            per_phone.fail(index)
    return Filed(intake.case.number, intake.query_code, intake.created)


def _copy_to_supervisors(case: Case, hall, now: datetime) -> None:
    title = _("Couldn't-get-it-done window, %(hall)s: %(number)s") % {
        "hall": hall.name, "number": case.number}
    # A report of misconduct never reaches the unit it accuses, nor anyone inside it: not
    # even as a notice that it exists (cases.access).
    accused = access.accused_units(case) if access.is_protected(case) else []
    for supervisor in queries.supervisors_of(hall):
        if accused and access.inside_accused(supervisor.unit, accused):
            continue
        notify_user(supervisor, title, body=case.title, case=case,
                    event_key=f"cannot-do:{case.number}", now=now)


# ------------------------------------------------------------------------- following

@dataclass(frozen=True)
class Tracked:
    case: Case | None  # the case the pair opens; None for any mismatch, or while waiting
    wait: int | None = None  # seconds: past the limit, even a right pair waits


def track(number: str, code: str, address: str) -> Tracked:
    """The lookup of /track/ with its limit per address: past QINQING_TRACK_LIMIT wrong
    tries in the window nothing is looked up (so the answer tells a guesser nothing);
    under it, a wrong pair (an unknown number alike) counts one more wrong try."""
    window = queries.track_window()
    wait = window.retry_after(address)
    if wait is not None:
        return Tracked(None, wait)
    case = queries.check(number, code)
    if case is None:
        window.fail(address)
    return Tracked(case)


# -------------------------------------------------------------------- online judgement

# The account an online judgement is recorded under: a callback agent at the top unit
# that cannot sign in. The timeline names it, so staff see the person judged online.
RATER = ("online-rating", "网上评价（本人）")


def rater_account() -> User:
    return ensure_system_account(RATER[0], RATER[1], Role.CALLBACK_AGENT)


def rate(number: str, *, satisfaction: str, resolved: bool | None, reason: str,
         now: datetime | None = None) -> None:
    """The person judges the answer on the tracking page: the case's callback, recorded
    as one (a case judged online needs no call). Dissatisfied, with the reason, sends it
    back to the same unit, counted as a reopening. Refused once the window has closed."""
    now = now or timezone.now()
    case = Case.objects.filter(number=number).first()
    clock = (StageClock.objects.filter(case=case, done_at__isnull=True).order_by("due_at")
             .first()) if case else None
    until = queries.rating_closes_at(case, clock) if case else None
    if until is None:
        raise Refused(_("This matter cannot be judged online now."))
    if now > until:
        raise Refused(_("The time to judge this answer online has passed; the hotline "
                        "will call you back."))
    case_services.perform(number, "callback", rater_account(), {
        "satisfaction": satisfaction, "resolved": resolved, "reason": reason,
        "note": _("Judged online by the person who filed it.")}, now=now)


# ----------------------------------------------------------- the mayor's mailbox list

PUBLISHERS = frozenset({Role.DISPATCHER, Role.ADMINISTRATOR})


def may_publish(user) -> bool:
    """The hotline office decides what the public list shows (and administrators)."""
    return user.is_active and (user.is_superuser or user.role in PUBLISHERS)


def decide_publication(letter_id: int, actor: User, *, approve: bool, title: str = "",
                       question: str = "", answer: str = "",
                       now: datetime | None = None) -> MailboxLetter:
    """Publish a consented, answered letter in the anonymised words given, or refuse to.
    The words are checked again for phone and ID numbers: approving refuses them."""
    from qinqing import limits
    from qinqing.cases.models import State

    if not may_publish(actor):
        raise Refused(_("Your role may not decide what the mailbox list shows."))
    with transaction.atomic():
        letter = (MailboxLetter.objects.select_for_update().select_related("case")
                  .filter(pk=letter_id).first())
        if letter is None or not letter.consent or letter.case.state != State.CLOSED:
            raise Refused(_("Only an answered letter whose writer agreed can be published."))
        if approve:
            texts = {"public_title": (title.strip(), limits.TITLE),
                     "public_question": (question.strip(), limits.content_chars()),
                     "public_answer": (answer.strip(), limits.content_chars())}
            for field, (text, limit) in texts.items():
                if not text:
                    raise Refused(_("Fill in the published title, letter and answer."), field)
                if len(text) > limit:
                    raise Refused(limits.too_long(limit), field)
                if PERSONAL_NUMBER.search(text):
                    raise Refused(_("The text still holds a phone or ID number: take it "
                                    "out before publishing."), field)
                setattr(letter, field, text)
        letter.publication = Publication.APPROVED if approve else Publication.REFUSED
        letter.decided_by, letter.decided_at = actor, now or timezone.now()
        letter.save()
    return letter
