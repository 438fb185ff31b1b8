"""SMS invitations to rate a closed case (issue 17 §3), and the tick step that sends them
and gives the default ratings.

When a case closes (the timeline's `case_changed`, connected in apps.py) and its own
reporter can be reached, one invitation is written in the close's transaction: the SMS
is due QINQING_RATING_INVITE_DELAY hours later, moved out of the night (SMS_HOURS).
The worker's tick (`sweep`, in qinqing.background.tick) queues each due SMS through
notifications.queue_sms, and once more QINQING_RATING_REINVITE_DAYS natural days after
the first if still not rated; the person may rate for QINQING_RATING_DEFAULT_DAYS
natural days from the first SMS, then `defaults.give_due` gives the default rating.

Who is invited — only a person the platform already texted about this case:
- the case's own reporter with a phone (not a copy from a merged case), who got the
  number-and-code SMS at intake (its `case-created:<number>` message exists). That SMS is
  sent only when the intake said so: historic cases of an import and the demo's
  generated cases are registered with notify_reporter=False and are never invited, and
  neither are the cases registered inside the platform without a reporter (a bad
  rating's rectification case, an inspection finding);
- never the reporter of a report of misconduct (举报, `Reporter.protected`): a rating of
  the case would reach the unit handling it and, through a bad rating's rectification
  case, the unit reported; the protection is not kept there, so no SMS;
- not for a case closed by rejecting it as invalid or merging it into another (the
  person follows the other case): nothing was served to rate.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qinqing.cases import confidential
from qinqing.cases.models import Case, Kind, Reporter, State
from qinqing.notifications.models import SmsMessage
from qinqing.notifications.services import queue_sms
from qinqing.ratings.invitation_model import Invitation
from qinqing.ratings.levels import Round

# Closing moves that served nothing to rate.
NOT_INVITED_AFTER = frozenset({"reject", "merge"})
# SMS are sent between 08:00 and 21:00 local time; one due in the night waits for 08:00.
SMS_HOURS = (time(8, 0), time(21, 0))
BATCH = 500  # invitations one tick takes on per step


def new_token() -> str:
    return secrets.token_urlsafe(16)  # 128 bits, 22 characters


def link(token: str) -> str:
    return f"{settings.QINQING_PUBLIC_URL.rstrip('/')}/r/{token}"


def in_sms_hours(moment: datetime) -> datetime:
    """`moment`, or the next 08:00 (local) when it falls in the night."""
    local = timezone.localtime(moment)
    start, end = SMS_HOURS
    if local.time() < start:
        return local.replace(hour=start.hour, minute=start.minute, second=0, microsecond=0)
    if local.time() >= end:
        nextday = local.date() + timedelta(days=1)
        return timezone.make_aware(datetime.combine(nextday, start))
    return moment


def first_send_at(closed_at: datetime) -> datetime:
    return in_sms_hours(closed_at + timedelta(hours=settings.QINQING_RATING_INVITE_DELAY))


def window_end(first_sent: datetime) -> datetime:
    return first_sent + timedelta(days=settings.QINQING_RATING_DEFAULT_DAYS)


def reminder_at(first_sent: datetime) -> datetime | None:
    """When the one reminder is due, or None if it would come after the window."""
    at = in_sms_hours(first_sent + timedelta(days=settings.QINQING_RATING_REINVITE_DAYS))
    return at if at < window_end(first_sent) else None


# ------------------------------------------------------------------- at the close

def on_case_changed(sender, case, events, created: bool = False, **kwargs) -> None:
    """Receiver of `case_changed`: a case that closes now may get its invitation. Costs
    nothing for a change that does not close a case."""
    if created:
        return  # an intake (the import's replayed histories come this way too)
    for event in events:
        if event.to_state == State.CLOSED and event.from_state != State.CLOSED \
                and event.action not in NOT_INVITED_AFTER:
            schedule(case, event.at)
            return


def invited_reporter(case: Case) -> Reporter | None:
    """The reporter to invite, or None (see the module's docstring). One statement."""
    if case.kind == Kind.REPORT or case.is_anonymous:
        return None
    # The intake texted them (notify_reporter was on): see the module's docstring.
    texted = SmsMessage.objects.filter(event_key=f"case-created:{case.number}")
    reporter = (Reporter.objects.filter(Exists(texted), case_id=case.pk,
                                        merged_from__isnull=True, is_primary=True)
                .exclude(phone_index="").order_by("pk").first())
    if reporter is None or reporter.protected:
        return None
    return reporter


def schedule(case: Case, closed_at: datetime) -> None:
    """Write the case's invitation (first round), in the caller's transaction. Once per
    case: a second close (after a reopening) keeps the first invitation — the unique
    (case, round) decides, in the same INSERT (ON CONFLICT DO NOTHING: no savepoint), so
    a close costs two statements more, not five (tests/insights/test_move_statements)."""
    reporter = invited_reporter(case)
    if reporter is None:
        return
    unit_id = case.lead_unit_id or case.owner_unit_id
    send_at = first_send_at(closed_at)
    Invitation.objects.bulk_create([Invitation(
        case=case, round=Round.FIRST, reporter=reporter, unit_id=unit_id,
        token=new_token(), closed_at=closed_at, next_send_at=send_at,
        due_at=window_end(send_at), created_at=closed_at)], ignore_conflicts=True)


# --------------------------------------------------------------------- the tick

def sweep(now: datetime | None = None) -> dict[str, int]:
    """The tick's step: queue the SMS due at `now`, then give the default ratings due."""
    from qinqing.ratings import defaults

    now = now or timezone.now()
    sent = send_due(now)
    return {**sent, "defaults": defaults.give_due(now)}


def send_due(now: datetime) -> dict[str, int]:
    """Queue each invitation SMS due at `now` (the first or the reminder). Safe to run
    again: a row moves on only if nobody moved it meanwhile, and the SMS's event key is
    per invitation and send."""
    outcome = {"invited": 0, "reminded": 0}
    due = list(Invitation.objects.select_related("case", "reporter")
               .filter(next_send_at__lte=now, rating__isnull=True)
               .order_by("next_send_at", "pk")[:BATCH])
    for invitation in due:
        with transaction.atomic():
            if _send(invitation, now):
                outcome["reminded" if invitation.sends else "invited"] += 1
    return outcome


def _send(invitation: Invitation, now: datetime) -> bool:
    phone = confidential.decrypt(invitation.reporter.phone_enc)
    number = invitation.sends + 1
    if number == 1:
        due_at = window_end(now)  # the window counts from the first SMS, however late
        following = reminder_at(now)
        first_sent = now
    else:
        due_at, following, first_sent = invitation.due_at, None, invitation.first_sent_at
    moved = Invitation.objects.filter(pk=invitation.pk, sends=invitation.sends,
                                      rating__isnull=True).update(
        sends=number, next_send_at=following, due_at=due_at, first_sent_at=first_sent)
    if not moved or not confidential.normalise_phone(phone):
        return False
    with translation.override(settings.LANGUAGE_CODE):
        until = timezone.localtime(due_at)
        text = _("Your matter %(number)s is finished. Please rate the service you received: "
                 "%(link)s (open until %(until)s).") % {
            "number": invitation.case.number, "link": link(invitation.token),
            "until": f"{until:%Y-%m-%d %H:%M}"}
    queue_sms(phone, text, now=now,
              event_key=f"rating-invite:{invitation.case.number}:{invitation.round}:{number}")
    return True


# ------------------------------------------------------------------- the page

def find(token: str) -> Invitation | None:
    """The invitation of a link's token, or None (malformed and unknown alike)."""
    if not token or len(token) > 32 or not token.replace("-", "").replace("_", "").isalnum():
        return None
    return (Invitation.objects.select_related("case", "unit", "reporter", "rating")
            .filter(token=token, sends__gte=1).first())
