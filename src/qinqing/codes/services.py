"""Every write to supervision codes: issue, issue the missing ones in bulk, revoke, replace.

Each function is one transaction. Who may call them is checked here too (queries.may_manage),
not only by the pages: the command line and later items (ratings, visits) call them as well.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.codes import tokens
from qinqing.codes.models import ScanDay, SupervisionCode
from qinqing.codes.queries import may_manage
from qinqing.enterprises.models import Enterprise
from qinqing.org.models import Unit, User

log = logging.getLogger(__name__)

REASON_MAX = 500


class Refused(Exception):
    """The write was not done; `message` says why, in the user's language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _target(obj) -> dict:
    """The code's object as model fields, refusing what may not carry a code."""
    if isinstance(obj, Unit):
        if not obj.is_active:
            raise Refused(_("This unit is no longer active; it cannot get a code."))
        return {"unit": obj}
    if isinstance(obj, User):
        if not obj.is_active or obj.unit_id is None:
            raise Refused(_("Only an active staff member who belongs to a unit can get a code."))
        return {"staff": obj}
    if isinstance(obj, Enterprise):
        if not obj.is_active:
            raise Refused(_("This enterprise is no longer active; it cannot get a code."))
        return {"enterprise": obj}
    raise TypeError(f"no supervision code for {type(obj).__name__}")


def _check(by: User | None) -> None:
    # None: the platform itself (the command line run by the operator of the machine).
    if by is not None and not may_manage(by):
        raise Refused(_("You may not manage supervision codes."))


def issue(obj, *, by: User | None) -> SupervisionCode:
    """A new code for an object that has no live one."""
    _check(by)
    target = _target(obj)
    try:
        with transaction.atomic():
            return SupervisionCode.objects.create(
                token=tokens.new_token(), issued_at=timezone.now(), issued_by=by, **target)
    except IntegrityError:
        # The partial unique index: the object has a live code (perhaps issued a moment ago).
        raise Refused(_("This already has a code in use: reprint it, or replace it.")) from None


def issue_missing(objects, *, by: User | None) -> int:
    """A code for each of `objects` (active ones) that has none in use; how many were issued.

    One INSERT for all of them. Conflicts are skipped by the database: two people printing
    the same region at once issue each missing code once (the partial unique indexes)."""
    _check(by)
    now = timezone.now()
    rows = []
    for obj in objects:
        try:
            target = _target(obj)
        except Refused:
            continue
        rows.append(SupervisionCode(token=tokens.new_token(), issued_at=now, issued_by=by,
                                    **target))
    if not rows:
        return 0
    with transaction.atomic():
        SupervisionCode.objects.bulk_create(rows, ignore_conflicts=True)
        # The rows skipped are not in the table; the tokens are this call's own.
        return SupervisionCode.objects.filter(token__in=[r.token for r in rows]).count()


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not reason:
        raise Refused(_("Give the reason for withdrawing the code."))
    if len(reason) > REASON_MAX:
        raise Refused(_("At most %(n)s characters.") % {"n": REASON_MAX})
    return reason


def _live(code_id: int) -> SupervisionCode:
    code = SupervisionCode.objects.select_for_update().filter(pk=code_id).first()
    if code is None:
        raise Refused(_("No such supervision code."))
    if code.revoked_at is not None:
        raise Refused(_("This code has already been withdrawn."))
    return code


def revoke(code_id: int, *, by: User | None, reason: str) -> SupervisionCode:
    """Withdraw a code: its address then says so, and the object may get a new one."""
    _check(by)
    reason = _reason(reason)
    with transaction.atomic():
        code = _live(code_id)
        code.revoked_at, code.revoked_by, code.revoke_reason = timezone.now(), by, reason
        code.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        return code


def replace(code_id: int, *, by: User | None, reason: str) -> SupervisionCode:
    """Withdraw a code and issue its object a new one, in one transaction: a plate that was
    copied or damaged is swapped, and the old address names the new code's object."""
    _check(by)
    reason = _reason(reason)
    with transaction.atomic():
        old = _live(code_id)
        target = _target(old.object)
        old.revoked_at, old.revoked_by, old.revoke_reason = timezone.now(), by, reason
        old.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        new = SupervisionCode.objects.create(token=tokens.new_token(), issued_at=old.revoked_at,
                                             issued_by=by, **target)
        old.replaced_by = new
        old.save(update_fields=["replaced_by"])
        return new


def count_scan(code: SupervisionCode, now: datetime | None = None) -> None:
    """Count one scan of `code` on today's local date: one statement (an upsert that adds
    one; SQLite and PostgreSQL both take it), so concurrent scans never lose a count.
    A failure here is logged and swallowed: the person who scanned still gets the page."""
    day = timezone.localdate(now or timezone.now())
    table = connection.ops.quote_name(ScanDay._meta.db_table)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (code_id, day, scans) VALUES (%s, %s, 1) "
                f"ON CONFLICT (code_id, day) DO UPDATE SET scans = {table}.scans + 1",
                [code.pk, day])
    except DatabaseError:  # a locked SQLite file, a read-only replica: not worth a 500
        log.warning("scan of code %s not counted", code.pk, exc_info=True)
