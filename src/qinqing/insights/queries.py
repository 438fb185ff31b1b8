"""Reads of the insights app shared by pages, the API, the CLI and the exports: who may see
which figures, typical cases, published bulletins."""

from __future__ import annotations

import re
from dataclasses import replace

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from qinqing.cases import confidential
from qinqing.cases.errors import Forbidden
from qinqing.cases.models import Case, Kind
from qinqing.insights.metrics import Scope, scope_case_ids
from qinqing.insights.models import Bulletin, TypicalCase
from qinqing.org.models import REGION_KINDS, Role, Unit, User

# Who may choose typical cases and publish bulletins.
EDITOR_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR})


# ------------------------------------------------------------------- who sees what

def scope_for(user: User, scope: Scope) -> Scope:
    """The scope a staff member asked for, with their default filled in, or Forbidden.

    Figures are aggregates, but a unit's figures before publication are its superiors'
    business: a member of the city government (the top unit) sees any scope; a member of
    a region's government (a county, district or zone) sees that region and below, or
    any unit below it; a member of any other unit (a department, the discipline
    commission, a hall) sees the cases their unit and its sub-units lead. An empty region
    and unit mean "all I may see". Published bulletins are public (public_views)."""
    if user.is_superuser or (user.unit is not None and user.unit.parent_id is None):
        return scope
    unit = user.unit
    if not user.is_active or unit is None:
        raise Forbidden(_("Your account may not see figures."))
    if unit.kind in REGION_KINDS:
        if scope.region and not _within(scope.region, unit):
            raise Forbidden(_("You may see the figures of %(region)s and below only.") % {
                "region": unit.short_name or unit.name})
        if scope.unit and not _within(scope.unit, unit):
            raise Forbidden(_("You may see the figures of units within %(region)s only.") % {
                "region": unit.short_name or unit.name})
        return scope if scope.region or scope.unit else replace(scope, region=unit.code)
    if scope.unit and not _within(scope.unit, unit):
        raise Forbidden(_("You may see the figures of %(unit)s and its sub-units only.") % {
            "unit": unit.short_name or unit.name})
    if scope.region and not scope.unit:
        raise Forbidden(_("You may see the figures of %(unit)s and its sub-units only.") % {
            "unit": unit.short_name or unit.name})
    return scope if scope.unit else replace(scope, unit=unit.code)


def _within(code: str, unit: Unit) -> bool:
    other = Unit.objects.filter(code=code).only("path").first()
    return other is not None and other.path.startswith(unit.path)


def region_name(code: str) -> str:
    unit = Unit.objects.filter(code=code).only("name", "short_name").first()
    return (unit.short_name or unit.name) if unit else code


def top_region() -> Unit | None:
    return Unit.objects.filter(parent=None, kind__in=REGION_KINDS).order_by("pk").first()


def issuing_body() -> str:
    """The body named in a bulletin's red header: QINQING_BULLETIN_ISSUER, or the hotline
    of the top region (示范市优化营商环境监督专线)."""
    configured = (getattr(settings, "QINQING_BULLETIN_ISSUER", "") or "").strip()
    if configured:
        return configured
    top = top_region()
    return f"{(top.short_name or top.name) if top else ''}优化营商环境监督专线"


def regions() -> list[Unit]:
    """Every region a bulletin can be about (the city, counties, districts, zones)."""
    return list(Unit.objects.filter(kind__in=REGION_KINDS, is_active=True).order_by("path"))


# ----------------------------------------------------------------- typical cases

PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


# An enterprise named in free text: a name ending in one of these (有限公司, 商行, 厂, …).
ENTERPRISE_SUFFIXES = ("有限责任公司", "股份有限公司", "有限公司", "分公司", "公司", "集团", "商行",
                       "合作社", "工作室", "门市部")
_NAME_STOPS = set("的向对与和在是被称据及了把给让由从至于为：:，,。.；;、！!？?（）() \n“”\"")
_STOP_WORDS = ("反映", "投诉", "举报", "咨询", "求助", "建议", "表扬", "企业", "一家", "某家")


def enterprise_names(text: str) -> list[str]:
    """Names of enterprises written in a text (e.g. 示范市清风商贸有限公司): for each
    suffix, the run of characters before it back to punctuation or a common word. 某企业,
    某建筑公司 and the like (starting with 某) are not names."""
    found = []
    for suffix in ENTERPRISE_SUFFIXES:
        start = 0
        while (at := text.find(suffix, start)) != -1:
            begin = at
            while begin > 0 and text[begin - 1] not in _NAME_STOPS and not any(
                    text[:begin].endswith(word) for word in _STOP_WORDS):
                begin -= 1
            name = text[begin:at + len(suffix)]
            if len(name) - len(suffix) >= 2 and not name.startswith("某"):
                found.append(name)
            start = at + len(suffix)
    return sorted(set(found), key=len, reverse=True)


def personal_strings(case: Case) -> dict[str, list[str]]:
    """What a typical case's public text must not contain: the reporters' names, phones, ID
    numbers and contacts, the enterprises named (decrypted here, never shown)."""
    found: dict[str, set[str]] = {"name": set(), "enterprise": set(), "phone": set(),
                                  "id_number": set()}
    for r in case.reporters.all():
        found["name"].add(confidential.decrypt(r.name_enc))
        found["enterprise"].add(confidential.decrypt(r.enterprise_enc))
        found["phone"].add(confidential.decrypt(r.phone_enc))
        found["id_number"].add(confidential.decrypt(r.id_number_enc))
        contact = confidential.decrypt(r.contact_enc)
        if contact:
            found["name"].add(contact)
    found["enterprise"].add(case.enterprise_name)
    return {k: sorted(v for v in values if v and len(v.strip()) >= 2)
            for k, values in found.items()}


def draft_summary(case: Case, *, consult_reporters: bool = True) -> str:
    """The case's own words with the reporters and enterprises replaced (某某, 某企业) and
    phone and ID numbers masked: a start for the staff member's anonymised summary.
    Without `consult_reporters` (a viewer who may not see a protected reporter: replacing
    the name would point it out) only the patterns and the case's own fields are used."""
    text = case.content
    strings = (personal_strings(case) if consult_reporters else
               {"name": [], "phone": [], "id_number": [],
                "enterprise": [case.enterprise_name] if case.enterprise_name else []})
    for value in sorted(strings["enterprise"], key=len, reverse=True) + enterprise_names(text):
        text = text.replace(value, "某企业")
    for value in sorted(strings["name"], key=len, reverse=True):
        text = text.replace(value, "某某")
    for value in strings["phone"] + strings["id_number"]:
        text = text.replace(value, "***")
    return ID_NUMBER.sub("***", PHONE.sub("***", text))


def typical_cases_in(scope: Scope) -> list[dict]:
    """The typical cases of a scope's cases, as a bulletin prints them (no case number:
    the public text is the staff member's summary)."""
    rows = (TypicalCase.objects.filter(withdrawn_at=None, case_id__in=scope_case_ids(scope))
            .select_related("case__category", "case__region").order_by("case__received_at"))
    return [{"title": t.title, "summary": t.summary, "kind": t.case.kind,
             "kind_label": str(Kind(t.case.kind).label), "category": t.case.category.name,
             "region": t.case.region.short_name or t.case.region.name,
             "received_on": t.case.received_at.date().isoformat(),
             "state": t.case.state, "state_label": t.case.get_state_display()}
            for t in rows]


def typical_cases_for(user: User):
    """Typical cases whose case the staff member may see, newest first (for the page)."""
    from qinqing.cases.queries import visible_cases

    return (TypicalCase.objects.filter(withdrawn_at=None, case__in=visible_cases(user))
            .select_related("case", "chosen_by").order_by("-chosen_at"))


# ------------------------------------------------------------------- bulletins

def latest_bulletins() -> list[Bulletin]:
    """The latest published bulletin of every region (one query)."""
    latest = (Bulletin.objects.filter(region=OuterRef("region"), withdrawn_at=None)
              .order_by("-end", "-published_at").values("pk")[:1])
    return list(Bulletin.objects.filter(pk=Subquery(latest)).select_related("region")
                .order_by("region__path"))


def published(pk: int) -> Bulletin | None:
    return Bulletin.objects.filter(pk=pk, withdrawn_at=None).select_related("region").first()


def published_list(limit: int = 50) -> list[Bulletin]:
    return list(Bulletin.objects.filter(withdrawn_at=None).select_related("region")
                .defer("document").order_by("-published_at")[:limit])
