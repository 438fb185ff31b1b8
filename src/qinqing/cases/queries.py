"""Reads about cases, shared by the API and the pages: scoping, lists, details."""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone as dt_timezone

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from qinqing.cases import access, confidential
from qinqing.cases.models import (
    ApiToken, AssignmentRule, Case, CaseEvent, Category, Kind, StageClock,
)
from qinqing.org.models import Role, Unit, User

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def visible_cases(user: User) -> QuerySet[Case]:
    """Cases a staff member may see: those whose hotline, lead unit or a co-unit is their
    unit or below it; a discipline inspector also sees the protected cases of the
    government their commission belongs to; and nobody outside the commission sees a
    protected case about their own unit or a unit above it (qinqing.cases.access)."""
    if user.is_superuser:
        return Case.objects.all()
    if not user.is_active or user.unit_id is None:
        return Case.objects.none()
    unit = user.unit
    if unit.parent_id is None:
        return Case.objects.all()  # the top of the tree sees the whole tree
    units = list(Unit.objects.subtree(unit).values_list("pk", flat=True))
    co = Case.co_units.through.objects.filter(case_id=OuterRef("pk"), unit_id__in=units)
    seen = Q(lead_unit_id__in=units) | Q(owner_unit_id__in=units) | Exists(co)
    overseen = access.commission_q(user)
    if overseen is not None:
        seen |= overseen
    qs = Case.objects.filter(seen)
    hidden = access.hidden_from(user)
    return qs.exclude(hidden) if hidden is not None else qs


def visible_attachment(user: User, number: str, attachment_id: int):
    """An attachment of a case the user may see, or None — the same None whether the
    attachment does not exist, belongs to another case, or the case is hidden from this
    user, so a download cannot probe what exists."""
    from qinqing.cases.models import Attachment

    return (Attachment.objects.filter(pk=attachment_id, case__number=number,
                                      case__in=visible_cases(user)).first())


def can_view_reporter(case: Case, user: User) -> bool:
    """Whether the user sees any of the case's reporters, masked (qinqing.cases.access)."""
    return access.may_see_reporters(user, case)


def masked_reporters(case: Case, user: User) -> list[dict] | None:
    """The reporters this viewer may see, masked; None when every one is hidden from
    them. A protected reporter merged into another case stays hidden there too."""
    reporters = list(case.reporters.all())
    if not reporters:
        return [] if case.is_anonymous or access.may_see_reporters(user, case) else None
    shown = [r for r in reporters if access.may_see_reporter(user, case, r)]
    if not shown:
        return None
    return [{
        "id": r.pk,
        "name": confidential.mask_name(confidential.decrypt(r.name_enc)),
        "phone": confidential.mask_phone(confidential.decrypt(r.phone_enc)),
        "id_number": confidential.mask_id_number(confidential.decrypt(r.id_number_enc)),
        "contact": confidential.mask_text(confidential.decrypt(r.contact_enc)),
        "enterprise": confidential.mask_text(confidential.decrypt(r.enterprise_enc)),
        "primary": r.is_primary,
    } for r in shown]


def cases_of_caller(user: User, phone: str) -> QuerySet[Case]:
    """A caller's earlier cases, found through the phone's keyed hash: nothing decrypted."""
    index = confidential.phone_index(phone)
    if not index:
        return Case.objects.none()
    return (visible_cases(user).filter(Exists(_reporters_with_phone(user, index)))
            .order_by("-received_at", "-id"))


def _reporters_with_phone(user: User, index: str) -> QuerySet:
    """The case's reporters (OuterRef) with this phone hash that `user` may find."""
    from qinqing.cases.models import Reporter

    mine = Reporter.objects.filter(case_id=OuterRef("pk"), phone_index=index)
    if not access.may_see_protected_reporters(user):
        # Finding a case by a protected reporter's phone would say who reported it.
        mine = mine.filter(protected=False).exclude(case__kind=Kind.REPORT)
    return mine


def propose_assignment(category: Category, region: Unit | None) -> AssignmentRule | None:
    """The catalogue's rule for a category and region: the most specific category (walking
    up the tree), and the case's region before the any-region rule."""
    chain = []
    node = category
    while node is not None and len(chain) < 10:
        chain.append(node.pk)
        node = node.parent
    rules = (AssignmentRule.objects.filter(is_active=True, category_id__in=chain)
             .filter(Q(region=region) | Q(region__isnull=True)).select_related("lead_unit")
             .prefetch_related("co_units"))
    rank = {pk: i for i, pk in enumerate(chain)}
    return min(rules, key=lambda r: (rank[r.category_id], r.region_id is None), default=None)


# ------------------------------------------------------------------------- lists

@dataclass
class CaseFilters:
    state: list[str] | None = None
    kind: str | None = None
    channel: str | None = None
    unit: str | None = None
    region: str | None = None
    category: str | None = None
    warning: bool | None = None
    overdue: bool | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    text: str | None = None
    phone: str | None = None


def _search_text(text: str) -> str:
    # As typed from a Chinese input method: full-width digits and letters are the same.
    return unicodedata.normalize("NFKC", text).strip()


def _text_filter(text: str) -> Q:
    """Free text finds the title, the content, the enterprise the matter is about (a plain
    column) and any part of the case number ("000123", "2026-000123"). The reporter's own
    enterprise is encrypted like their name, so it cannot be searched by its text."""
    text = _search_text(text)
    return (Q(title__icontains=text) | Q(content__icontains=text)
            | Q(enterprise_name__icontains=text) | Q(number__icontains=text.upper()))


def may_search_by_phone(user: User) -> bool:
    """Whoever sees reporters (masked at least) may look a caller up by phone."""
    return access.role_of(user) in access.MASKED_ROLES


def _phone_filter(user: User, qs: QuerySet[Case], phone: str) -> QuerySet[Case]:
    """Cases filed from a phone number, found through its keyed hash (nothing decrypted),
    and only by those who may see the reporters of what they find: finding a case by its
    reporter's number tells who filed it (the rule of cases_of_caller)."""
    index = confidential.phone_index(_search_text(phone))
    if not index or not may_search_by_phone(user):
        return qs.none()
    return qs.filter(Exists(_reporters_with_phone(user, index)))


def filtered_cases(user: User, f: CaseFilters, now: datetime | None = None) -> QuerySet[Case]:
    now = now or timezone.now()
    qs = visible_cases(user)
    if f.state:
        qs = qs.filter(state__in=f.state)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.unit:
        qs = qs.filter(lead_unit__code=f.unit)
    if f.region:
        qs = qs.filter(region__code=f.region)
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.received_from:
        qs = qs.filter(received_at__gte=f.received_from)
    if f.received_to:
        qs = qs.filter(received_at__lt=f.received_to)
    if f.text and _search_text(f.text):
        qs = qs.filter(_text_filter(f.text))
    if f.phone:
        qs = _phone_filter(user, qs, f.phone)
    open_clocks = StageClock.objects.filter(case_id=OuterRef("pk"), done_at__isnull=True,
                                            paused_at__isnull=True)
    if f.overdue is not None:
        overdue = Exists(open_clocks.filter(due_at__lt=now))
        qs = qs.filter(overdue if f.overdue else ~overdue)
    if f.warning is not None:
        warning = Exists(open_clocks.filter(warn_at__lte=now, due_at__gte=now))
        qs = qs.filter(warning if f.warning else ~warning)
    return qs


def encode_cursor(case: Case) -> str:
    raw = f"{case.received_at.isoformat()}|{case.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Raises ValueError for anything that is not a cursor this module made."""
    padded = cursor + "=" * (-len(cursor) % 4)
    received, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
    moment = datetime.fromisoformat(received)
    if timezone.is_naive(moment):
        raise ValueError("naive cursor")
    try:
        # In UTC, as stored: PostgreSQL refuses offsets beyond ±15:59; years 1–9999 only.
        moment = moment.astimezone(dt_timezone.utc)
    except OverflowError:
        raise ValueError("cursor out of range") from None
    return moment, int(pk)


# The columns list rows read (the API's CaseRow, web/case_rows.html). Reading any other
# field of a listed case would cost a query per row: the list tests count queries.
LIST_FIELDS = ("number", "kind", "channel", "state", "urgency", "title", "received_at",
               "category__code", "category__name", "region__code", "region__name",
               "region__short_name", "lead_unit__code", "lead_unit__name")


def case_page(qs: QuerySet[Case], cursor: str | None, limit: int) -> tuple[list[Case], str | None]:
    """Newest first, by keyset: stable under inserts and fast at any depth."""
    if cursor:
        received, pk = decode_cursor(cursor)
        qs = qs.filter(Q(received_at__lt=received) | Q(received_at=received, pk__lt=pk))
    rows = list(
        qs.select_related("category", "region", "lead_unit")
        # Only what a list row shows: the wide columns (content, answer, the encrypted
        # query code) are most of a case's width, and a list has no use for them.
        .only(*LIST_FIELDS)
        .prefetch_related(Prefetch("clocks", queryset=StageClock.objects.filter(
            done_at__isnull=True).order_by("due_at"), to_attr="open_clocks"))
        .order_by("-received_at", "-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


def clock_status(clock: StageClock, now: datetime) -> str:
    if clock.done_at is not None:
        return "on_time" if clock.on_time else "late"
    if clock.paused_at is not None:
        return "suspended"
    if now > clock.due_at:
        return "overdue"
    if now >= clock.warn_at:
        return "warning"
    return "running"


def case_detail(user: User, number: str) -> Case | None:
    return (visible_cases(user).filter(number=number)
            .select_related("category", "region", "lead_unit", "owner_unit", "subject_unit",
                            "merged_into")
            .prefetch_related("co_units", "clocks", "reporters", "attachments",
                              Prefetch("events", queryset=CaseEvent.objects.select_related(
                                  "actor", "actor_unit").order_by("seq")))
            .first())


def token_user(key: str) -> User | None:
    """The active account an active API key belongs to, its unit loaded and the key's
    expiry kept on it (`api_token_expires_at`); None for an unknown or revoked key."""
    row = (ApiToken.objects.select_related("user__unit")
           .filter(key_hash=ApiToken.hash_key(key), is_active=True).first())
    if row is None or not row.user.is_active:
        return None
    user = row.user
    user.api_token_expires_at = row.expires_at
    return user


def leaf_categories() -> list[Category]:
    """The categories a matter is filed under from outside: the active leaves of the
    tree, with their parents, in the catalogue's order."""
    has_children = Category.objects.filter(parent=OuterRef("pk"), is_active=True)
    return list(Category.objects.filter(is_active=True).exclude(Exists(has_children))
                .select_related("parent").order_by("parent__sort_order", "sort_order", "code"))


def public_status(number: str, query_code: str) -> Case | None:
    """A case for the person holding its query code; None for any mismatch."""
    import hmac

    number = unicodedata.normalize("NFKC", number or "").strip().upper()
    case = Case.objects.filter(number=number).first()
    # The hash is computed for an unknown number too, so both misses take the same time.
    expected = confidential.query_code_hash(case.pk if case else 0, query_code or "")
    if case is None or not confidential.normalise_query_code(query_code):
        return None
    return case if hmac.compare_digest(expected, case.query_code_hash) else None


# ------------------------------------------------------------------ the unmask audit

AUDITOR_ROLES = frozenset({Role.DISCIPLINE_INSPECTOR, Role.ADMINISTRATOR})


def can_audit(user: User) -> bool:
    """Who reads the log of unmaskings: the discipline commission and administrators."""
    return user.is_active and (user.is_superuser or user.role in AUDITOR_ROLES)


@dataclass(frozen=True)
class UnmaskFilters:
    since: date | None = None  # local dates, both included
    until: date | None = None
    user: str | None = None  # username
    case: str | None = None  # case number


def unmask_log(auditor: User, filters: UnmaskFilters) -> QuerySet:
    """Every unmasking, newest first, filtered; none for anyone but an auditor.

    The whole log, not the auditor's part of the unit tree: the discipline commission
    sits beside the units it watches (990000-JW is no unit's parent), and what it checks
    is every reveal. Everything a row shows is joined here (user, their unit, case,
    reporter), so a page costs the same few statements however many rows it has.
    """
    from qinqing.cases.models import UnmaskLog

    if not can_audit(auditor):
        return UnmaskLog.objects.none()
    rows = (UnmaskLog.objects
            .select_related("user", "user__unit", "case", "reporter")
            .order_by("-at", "-pk"))
    zone = timezone.get_current_timezone()
    if filters.since:
        rows = rows.filter(at__gte=datetime.combine(filters.since, time.min, zone))
    if filters.until:
        rows = rows.filter(at__lt=datetime.combine(filters.until + timedelta(days=1),
                                                   time.min, zone))
    if filters.user:
        rows = rows.filter(user__username=filters.user)
    if filters.case:
        rows = rows.filter(case__number=filters.case.strip().upper())
    return rows


def unmask_row(entry) -> dict:
    """One unmasking as the audit shows it: whose data only masked (the auditor checks
    that a reveal was justified, not the data itself)."""
    reporter = entry.reporter
    return {
        "at": timezone.localtime(entry.at),
        "user": entry.user.full_name or entry.user.username,
        "username": entry.user.username,
        "unit": entry.user.unit.name if entry.user.unit_id else "",
        "case": entry.case.number,
        "reporter": " ".join(part for part in (
            confidential.mask_name(confidential.decrypt(reporter.name_enc)),
            confidential.mask_phone(confidential.decrypt(reporter.phone_enc))) if part),
        "reason": entry.reason,
    }


def unmasking_users(auditor: User) -> list[tuple[str, str]]:
    """(username, shown name) of everyone in the log, for the user filter."""
    from qinqing.cases.models import UnmaskLog

    if not can_audit(auditor):
        return []
    users = (User.objects.filter(pk__in=UnmaskLog.objects.values("user_id"))
             .order_by("username").values_list("username", "full_name"))
    return [(username, full_name or username) for username, full_name in users]


# ------------------------------------------------------------------------ API tokens

def api_tokens(username: str | None = None) -> QuerySet:
    """API tokens, newest first, with their account (and who revoked them)."""
    from qinqing.cases.models import ApiToken

    tokens = ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at",
                                                                             "-pk")
    return tokens.filter(user__username=username) if username else tokens
