"""Every write of the insights app: choosing typical cases, publishing bulletins.

(The fact table is written by facts.py, inside the case services' own transactions.)
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases.errors import Forbidden, InvalidInput, NotFound
from qinqing.cases.queries import visible_cases
from qinqing.insights import bulletins, queries
from qinqing.insights.metrics import InvalidScope, Scope
from qinqing.insights.models import Bulletin, TypicalCase
from qinqing.org.models import User

TITLE_MAX = 80
SUMMARY_MAX = 2000


def _editor(actor: User) -> None:
    if not actor.has_role(*queries.EDITOR_ROLES) and not actor.is_superuser:
        raise Forbidden(_("Your role may not choose typical cases or publish bulletins."))


# ------------------------------------------------------------------- typical cases

def mark_typical(actor: User, case_number: str, *, title: str, summary: str,
                 names_publishable: bool = False, now: datetime | None = None) -> TypicalCase:
    """Choose a case as typical for bulletins, with its public, anonymised text; choosing
    it again replaces the text. (`now`: the moment it is chosen, by default this one.)"""
    _editor(actor)
    title, summary = (title or "").strip(), (summary or "").strip()
    with transaction.atomic():
        case = (visible_cases(actor).filter(number=(case_number or "").strip().upper())
                .prefetch_related("reporters").first())
        if case is None:
            raise NotFound(_("No case %(number)s.") % {"number": case_number})
        errors = {}
        if not title:
            errors["title"] = _("Give the case a headline.")
        elif len(title) > TITLE_MAX:
            errors["title"] = _("At most %(n)s characters.") % {"n": TITLE_MAX}
        if not summary:
            errors["summary"] = _("Write the anonymised summary the public will read.")
        elif len(summary) > SUMMARY_MAX:
            errors["summary"] = _("At most %(n)s characters.") % {"n": SUMMARY_MAX}
        for field, text in (("title", title), ("summary", summary)):
            problem = _personal_data_in(text, case, names_publishable)
            if problem and field not in errors:
                errors[field] = problem
        if errors:
            raise InvalidInput(_("Some fields need correcting."), fields=errors)
        now = now or timezone.now()
        typical, _created = TypicalCase.objects.update_or_create(case=case, defaults=dict(
            title=title, summary=summary, names_publishable=names_publishable,
            chosen_by=actor, chosen_at=now, withdrawn_at=None))
    return typical


def _personal_data_in(text: str, case, names_publishable: bool) -> str | None:
    """Why `text` may not be published, or None."""
    if queries.PHONE.search(text):
        return _("Remove the phone number: a typical case never gives one.")
    if queries.ID_NUMBER.search(text):
        return _("Remove the ID number: a typical case never gives one.")
    strings = queries.personal_strings(case)
    if any(value in text for value in strings["phone"] + strings["id_number"]):
        return _("Remove the reporter's phone or ID number.")
    if names_publishable:
        return None
    if any(value in text for value in strings["name"]):
        return _("Remove the reporter's name (write 某某), or state that names may be "
                 "published.")
    if any(value in text for value in strings["enterprise"]) or queries.enterprise_names(text):
        return _("Remove the enterprise's name (write 某企业), or state that names may be "
                 "published.")
    return None


def withdraw_typical(actor: User, case_number: str) -> None:
    _editor(actor)
    with transaction.atomic():
        typical = (TypicalCase.objects.select_for_update()
                   .filter(case__in=visible_cases(actor),
                           case__number=(case_number or "").strip().upper(),
                           withdrawn_at=None).first())
        if typical is None:
            raise NotFound(_("Case %(number)s is not a typical case.") % {"number": case_number})
        typical.withdrawn_at = timezone.now()
        typical.save(update_fields=["withdrawn_at"])


# ------------------------------------------------------------------------ bulletins

def publish_bulletin(actor: User, start: date, end: date, region: str,
                     *, today: date | None = None, now: datetime | None = None) -> Bulletin:
    """Publish the bulletin of a finished period for a region: its figures, summary and
    typical cases as they are now, shown on the public page from then on. Publishing the
    same period and region again replaces the earlier one. (`now`: the moment it is
    published, by default this one; the demo publishes at its own moment.)"""
    _editor(actor)
    today = today or timezone.localdate(now)
    if not region:
        top = queries.top_region()
        region = top.code if top else ""
    scope = Scope(start, end, region=region)
    try:
        from qinqing.insights.metrics import validate

        validate(scope)
    except InvalidScope as exc:
        raise InvalidInput(_("Some fields need correcting."), fields=exc.fields) from None
    if end >= today:
        raise InvalidInput(_("Some fields need correcting."), fields={"end": _(
            "Only a finished period can be published: its figures would still change.")})
    queries.scope_for(actor, scope)
    name = queries.region_name(region)
    document = bulletins.document(scope, region_name=name, now=now)
    with transaction.atomic():
        from qinqing.org.models import Unit

        region_unit = Unit.objects.get(code=region)
        now = now or timezone.now()
        Bulletin.objects.filter(start=start, end=end, region=region_unit,
                                withdrawn_at=None).update(withdrawn_at=now)
        return Bulletin.objects.create(start=start, end=end, region=region_unit,
                                       title=document["title"], document=document,
                                       published_at=now, published_by=actor)


def withdraw_bulletin(actor: User, pk: int) -> None:
    _editor(actor)
    with transaction.atomic():
        bulletin = Bulletin.objects.select_for_update().filter(pk=pk, withdrawn_at=None).first()
        if bulletin is None:
            raise NotFound(_("No published bulletin %(id)s.") % {"id": pk})
        queries.scope_for(actor, Scope(bulletin.start, bulletin.end,
                                       region=bulletin.region.code))
        bulletin.withdrawn_at = timezone.now()
        bulletin.save(update_fields=["withdrawn_at"])
