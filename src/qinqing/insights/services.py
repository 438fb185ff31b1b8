"""Every write of the insights app: choosing typical cases, publishing bulletins.

(The fact table is written by facts.py, inside the case services' own transactions.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.cases import access
from qinqing.cases.errors import Forbidden, InvalidInput, NotFound
from qinqing.cases.queries import visible_cases
from qinqing.insights import bulletins, exports, queries
from qinqing.insights.metrics import InvalidScope, Scope, validate
from qinqing.insights.models import Bulletin, BulletinFile, TypicalCase
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
        if not access.may_check_against_reporters(actor, case):
            # The check below compares the text with the reporters' names: to someone
            # who may not see a protected reporter it would confirm a guessed name. So it
            # is not run at all, and every text gets this same answer.
            raise Forbidden(_("A report of misconduct, or a case holding its reporter, can "
                              "be chosen as a typical case only by the discipline "
                              "commission."), code="protected_reporter")
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

def next_issue(year: int) -> int:
    """The number the next bulletin published in `year` gets (withdrawn ones count)."""
    last = Bulletin.objects.filter(issue_year=year).aggregate(n=Max("issue_number"))["n"]
    return (last or 0) + 1


@dataclass(frozen=True)
class BulletinPreview:
    """What publishing would put on the public page, shown before the editor confirms."""

    scope: Scope
    document: dict
    replaces: Bulletin | None


def _publishable(actor: User, start: date, end: date, region: str,
                 today: date | None, now: datetime | None = None) -> Scope:
    _editor(actor)
    today = today or timezone.localdate(now)
    if not region:
        top = queries.top_region()
        region = top.code if top else ""
    scope = Scope(start, end, region=region)
    try:
        validate(scope)
    except InvalidScope as exc:
        raise InvalidInput(_("Some fields need correcting."), fields=exc.fields) from None
    if end >= today:
        raise InvalidInput(_("Some fields need correcting."), fields={"end": _(
            "Only a finished period can be published: its figures would still change.")})
    queries.scope_for(actor, scope)
    return scope


def _with_issue(document: dict, body: str, year: int, number: int | None,
                published_on: date) -> dict:
    """The document with its issue (red header, 第N期, date line), as stored and rendered."""
    return {**document, "issue": {
        "body": body, "year": year, "number": number,
        "number_text": f"第{number}期" if number else "",
        "date": published_on.isoformat(), "date_text": bulletins.cn_date(published_on)}}


def preview_bulletin(actor: User, start: date, end: date, region: str,
                     *, today: date | None = None) -> BulletinPreview:
    """The bulletin as it would be published now, with the issue number it would get (the
    number is only taken when publishing: another bulletin published meanwhile moves it)."""
    scope = _publishable(actor, start, end, region, today)
    document = bulletins.document(scope, region_name=queries.region_name(scope.region))
    published_on = timezone.localdate()
    document = _with_issue(document, queries.issuing_body(), published_on.year,
                           next_issue(published_on.year), published_on)
    replaces = (Bulletin.objects.filter(start=start, end=end, region__code=scope.region,
                                        withdrawn_at=None).first())
    return BulletinPreview(scope, document, replaces)


def _render_files(document: dict) -> list[tuple[str, bytes]]:
    # The official language of a bulletin is Chinese: the files are stored in it whatever
    # the language of the editor's page.
    return [(fmt, exports.render(document, fmt, "zh-hans")) for fmt in exports.FORMATS]


ISSUE_ATTEMPTS = 3


def publish_bulletin(actor: User, start: date, end: date, region: str,
                     *, today: date | None = None, now: datetime | None = None) -> Bulletin:
    """Publish the bulletin of a finished period for a region: its figures, summary and
    typical cases as they are now, shown on the public page from then on, as the next
    issue (第N期) of the year. Publishing the same period and region again replaces the
    earlier one (as a new issue).

    The PDF, Excel and JSON files are rendered here, once, and stored with the bulletin
    (models.BulletinFile); public downloads serve them and never render. Rendering (about
    2 s, most of it the PDF) happens before the transaction, so no lock is held meanwhile
    (SQLite has one writer), and the bulletin row and its files are committed together:
    the public page never shows a bulletin whose files are not there yet, and nothing
    depends on a worker running. It costs the editor those seconds once, on a deliberate,
    confirmed act a few times a month. The issue number is taken optimistically: if
    another bulletin took it meanwhile (the unique constraint says so), the files are
    rendered again with the next one. (`now`: the moment it is published, by default
    this one; the demo publishes at its own moment.)
    """
    scope = _publishable(actor, start, end, region, today, now)
    document = bulletins.document(scope, region_name=queries.region_name(scope.region), now=now)
    body = queries.issuing_body()
    for attempt in range(ISSUE_ATTEMPTS):
        moment = now or timezone.now()
        published_on = timezone.localdate(moment)
        number = next_issue(published_on.year)
        issued = _with_issue(document, body, published_on.year, number, published_on)
        files = _render_files(issued)
        try:
            with transaction.atomic():
                return _store(actor, scope, issued, files, moment, number)
        except IntegrityError:
            if attempt == ISSUE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _store(actor, scope, document, files, now, number) -> Bulletin:
    from qinqing.org.models import Unit

    region_unit = Unit.objects.get(code=scope.region)
    Bulletin.objects.filter(start=scope.start, end=scope.end, region=region_unit,
                            withdrawn_at=None).update(withdrawn_at=now)
    bulletin = Bulletin.objects.create(
        start=scope.start, end=scope.end, region=region_unit, title=document["title"],
        document=document, published_at=now, published_by=actor,
        issue_year=document["issue"]["year"], issue_number=number,
        issuing_body=document["issue"]["body"])
    BulletinFile.objects.bulk_create(
        [_file_row(bulletin, fmt, data, now) for fmt, data in files])
    return bulletin


def _file_row(bulletin: Bulletin, fmt: str, data: bytes, now) -> BulletinFile:
    return BulletinFile(bulletin=bulletin, fmt=fmt, content_type=exports.CONTENT_TYPES[fmt],
                        filename=exports.filename(bulletin.document, fmt), content=data,
                        size=len(data), rendered_at=now)


def bulletin_file(bulletin: Bulletin, fmt: str) -> BulletinFile:
    """The stored file of a published bulletin. Bulletins published before files were
    stored (migration 0009) have none: the first download renders and stores it, once;
    every later one is served from the database."""
    stored = BulletinFile.objects.filter(bulletin=bulletin, fmt=fmt).first()
    if stored is not None:
        return stored
    document = bulletin.document
    if "issue" not in document:
        published_on = timezone.localdate(bulletin.published_at)
        document = _with_issue(document, bulletin.issuing_body or queries.issuing_body(),
                               bulletin.issue_year or published_on.year,
                               bulletin.issue_number, published_on)
    row = _file_row(bulletin, fmt, exports.render(document, fmt, "zh-hans"), timezone.now())
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # another download stored it meanwhile
        return BulletinFile.objects.get(bulletin=bulletin, fmt=fmt)
    return row


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
