"""The hotline's callback of a real-name rater (实名差评回访).

A rectification case has no reporter (the rater is never on the case: the unit rated
reads it, ratings/services.py), so the case's own reporter masking does not reach the
rater. The rater's name and phone stay encrypted on the rating; the case page shows them
to the hotline office only (RATER_ROLES: masked, as reporters are shown), never to the
unit's roles, and a callback agent in charge of the case (its owner unit) reveals them
with a reason, an event on the case's timeline (`rater_revealed`) in the same
transaction — the log of who saw the rater and why.

The callback itself is the case's: after the unit's reply leaves the unit, every
rectification case waits in the hotline's callback queue (the callback stage, its
clock, the ladder); the agent records the rater's follow-up rating given on the phone
(ratings/followup.py, channel `phone`), which is the case's callback move, or closes it
unrated when nobody can be called (an anonymous rater).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing import limits
from qinqing.cases import confidential, timeline
from qinqing.cases.errors import Forbidden, InvalidInput, NotFound
from qinqing.cases.models import Case
from qinqing.cases.models.case import Channel as CaseChannel
from qinqing.org.models import Role, User
from qinqing.ratings.levels import Round
from qinqing.ratings.models import Rating

# Who sees the rater masked: the hotline office. Who reveals: its callback agents.
RATER_ROLES = frozenset({Role.INTAKE_AGENT, Role.DISPATCHER, Role.CALLBACK_AGENT,
                         Role.SUPERVISOR})
REVEAL_ROLES = frozenset({Role.CALLBACK_AGENT})


def _in_charge(user: User, case: Case) -> bool:
    return (user.is_active and user.unit_id is not None and case.owner_unit_id is not None
            and case.owner_unit.is_within(user.unit))


def may_see_rater(user: User, case: Case) -> bool:
    return user.role in RATER_ROLES and _in_charge(user, case)


def may_reveal_rater(user: User, case: Case) -> bool:
    return user.role in REVEAL_ROLES and _in_charge(user, case)


def masked_rater(user: User, case: Case, rating: Rating) -> dict | None:
    """The rater as the case page shows them to `user`: None when hidden from the role."""
    if not may_see_rater(user, case):
        return None
    return {"name": confidential.mask_name(confidential.decrypt(rating.rater_name_enc)),
            "phone": confidential.mask_phone(confidential.decrypt(rating.rater_phone_enc)),
            "verified": rating.phone_verified}


def reveal_rater(number: str, actor: User, reason: str) -> dict:
    """The rater's name and phone in clear, for a callback agent in charge, with a
    reason, logged on the case's timeline."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"reason": _("Say why you need to see the rater.")})
    if len(reason) > limits.NOTE:
        raise InvalidInput(_("Some fields need correcting."),
                           fields={"reason": limits.too_long(limits.NOTE)})
    with transaction.atomic():
        case = (Case.objects.select_for_update(of=("self",)).select_related("owner_unit")
                .filter(number=number, channel=CaseChannel.RATING).first())
        rating = Rating.objects.filter(case=case, round=Round.FIRST).first() if case else None
        if rating is None:
            raise NotFound(_("No rectification case %(number)s.") % {"number": number})
        if not may_reveal_rater(actor, case):
            raise Forbidden(_("Your role may not see who rated."))
        timeline.append_event(case, "rater_revealed", actor, reason=reason,
                              now=timezone.now(), data={"rating": rating.pk})
    return {"name": confidential.decrypt(rating.rater_name_enc),
            "phone": confidential.decrypt(rating.rater_phone_enc)}
