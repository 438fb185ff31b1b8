"""Reads of the intake page: the pickers' options, a caller's earlier cases, look-alikes.

Nothing here decrypts a reporter: a caller is recognised only through the phone's keyed
hash (`cases.queries.cases_of_caller`), and a case shown here shows its number, kind,
title and state, never who filed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Left
from django.utils import timezone, translation

from qinqing.cases import confidential
from qinqing.cases.models import Case, Category, Kind, Reporter
from qinqing.cases.models.case import OPEN_STATES
from qinqing.cases import access
from qinqing.cases.queries import cases_of_caller, visible_cases
from qinqing.org.models import User
# The pickers' rule is shared with the public portal (qinqing.pickers); its names stay
# importable from here for the intake's form and views.
from qinqing.pickers import (  # noqa: F401
    Option, normalise_query, pinyin_keys, resolve_option, search_keys, search_options,
)

EARLIER_LIMIT = 10
SIMILAR_DAYS = 30
# At most this many recent open cases are compared by text: a look-alike check runs on
# every change of the form, so it must cost the same on the first day and the tenth year.
SIMILAR_CANDIDATES = 200
SIMILAR_SHOWN = 8
# Texts are compared on their first this-many characters: a matter is stated at the start,
# and a 5,000-character text would cost as much as 25 short ones.
COMPARED_CHARS = 600
# Character-bigram Dice score from which two texts count as "similar". Chosen on the demo
# texts: a caller's own rewording of a matter scores 0.35–0.8, while of the 4,906 pairs of
# different matters within one category branch 99 % score under 0.21 and 7 reach 0.3.
SIMILAR_TEXT_SCORE = 0.3


# ---------------------------------------------------------------------- the pickers

def category_options() -> list[Option]:
    """Active categories, parents before their children, each findable by its code, its
    name, its parent's name and their pinyin or initials (`spfw` → 审批服务 and all below)."""
    rows = list(Category.objects.filter(is_active=True)
                .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
                .values_list("code", "name", "parent__name", "parent__sort_order", "parent__code",
                             "sort_order"))
    # Parents first, then their children in order: the tree as the catalogue shows it.
    rows.sort(key=lambda r: ((r[3], r[4], r[5], r[0]) if r[2] is not None
                             else (r[5], r[0], -1, "")))
    labels = [f"{parent} / {name}" if parent else name for _code, name, parent, *_ in rows]
    repeated = {label for label in labels if labels.count(label) > 1}
    options = []
    for (code, name, parent, *_rest), label in zip(rows, labels):
        display = f"{label}（{code}）" if label in repeated else label
        search = "\n".join([normalise_query(code), search_keys(parent or "", name),
                            search_keys(f"{parent}{name}") if parent else ""])
        options.append(Option(code, display, code, search))
    return options


def kind_options() -> list[Option]:
    """The kinds of matter, findable by their label in the page's language and by the
    Chinese label's pinyin (咨询 → zx, zixun) whatever the page's language."""
    with translation.override("zh-hans"):
        chinese = {value: str(label) for value, label in Kind.choices}
    return [Option(value, str(label), value,
                   "\n".join([value, search_keys(str(label), chinese[value])]))
            for value, label in Kind.choices]


# ------------------------------------------------------------------ earlier cases

def _without_hidden_reporters(user: User, qs):
    # Finding a case by a protected reporter's phone (a report of misconduct, or a case
    # such a report was merged into) would reveal who reported it; only the roles that
    # may see protected reporters get such cases in these lists (qinqing.cases.access).
    if access.may_see_protected_reporters(user):
        return qs
    return qs.exclude(access.protected_cases_q())


def earlier_cases(user: User, phone: str, limit: int = EARLIER_LIMIT) -> tuple[list[Case], bool]:
    """A caller's earlier cases that the user may see, newest first, and whether there are
    more than `limit`. Found through the phone's keyed hash: nothing is decrypted."""
    if len(confidential.normalise_phone(phone)) < 7:
        return [], False
    rows = list(_without_hidden_reporters(user, cases_of_caller(user, phone))
                .select_related("category", "category__parent")
                .only("number", "kind", "title", "state", "outcome", "received_at", "urgency",
                      "category__name", "category__parent__name")[: limit + 1])
    return rows[:limit], len(rows) > limit


# --------------------------------------------------------------------- look-alikes

@dataclass
class Similar:
    pk: int
    received_at: datetime
    same_caller: bool = False
    same_enterprise: bool = False
    text_score: float = 0.0
    case: Case | None = None  # loaded for the few that are shown

    @property
    def text_match(self) -> bool:
        return self.text_score >= SIMILAR_TEXT_SCORE

    @property
    def weight(self) -> tuple:
        return (self.same_caller + self.same_enterprise + self.text_match,
                self.text_score, self.received_at)


def _bigrams(text: str) -> set[str]:
    # Chinese has no spaces to split words on; overlapping character pairs are the usual
    # way to compare short Chinese texts, and need no dictionary.
    chars = re.sub(r"[\W_]+", "", text.lower())
    if len(chars) < 2:
        return {chars} if chars else set()
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def _dice(x: set[str], y: set[str]) -> float:
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


def text_similarity(a: str, b: str) -> float:
    """Dice coefficient of the two texts' character bigrams, 0–1."""
    return _dice(_bigrams(a), _bigrams(b))


def _normalise_enterprise(name: str) -> str:
    return re.sub(r"\s+", "", name or "")


def similar_cases(user: User, *, phone: str = "", enterprises=(), text: str = "",
                  category: str = "", region: str = "", now: datetime | None = None,
                  exclude: int | None = None) -> list[Similar]:
    """Open cases of the last SIMILAR_DAYS days that look like the matter being registered:
    the same caller (phone hash), the same enterprise (by the name of the enterprise
    concerned), or a similar text within the same category branch or region. Two queries:
    at most SIMILAR_CANDIDATES candidate rows, then the few shown."""
    now = now or timezone.now()
    index = confidential.phone_index(phone) if len(confidential.normalise_phone(phone)) >= 7 else ""
    names = sorted({n for n in map(_normalise_enterprise, enterprises) if n})
    text = (text or "").strip()
    if not (index or names or len(text) >= 4):
        return []
    base = _without_hidden_reporters(user, visible_cases(user)).filter(
        state__in=OPEN_STATES, received_at__gte=now - timedelta(days=SIMILAR_DAYS))
    if exclude:
        base = base.exclude(pk=exclude)
    match = Q()
    if index:
        base = base.annotate(same_caller=Exists(
            Reporter.objects.filter(case_id=OuterRef("pk"), phone_index=index)))
        match |= Q(same_caller=True)
    if names:
        match |= Q(enterprise_name__in=names)
    if len(text) >= 4 and (category or region):
        # Text is compared only within the category's branch (and region, when given):
        # without either the candidates would be every recent case.
        near = Q()
        if category:
            top = Category.objects.filter(code=category).values(top=Coalesce("parent_id", "id"))
            near &= Q(category_id=Subquery(top)) | Q(category__parent_id=Subquery(top))
        if region:
            near &= Q(region__code=region)
        match |= near
    if not match:
        return []
    ordering = ["-received_at", "-id"]
    if index:
        ordering.insert(0, "-same_caller")  # never crowded out by a busy category
    # Candidates as plain tuples, the text cut in the database: building 200 model
    # instances cost more than everything else here together.
    rows = (base.filter(match).order_by(*ordering)
            .values_list("pk", "received_at", "enterprise_name", "title",
                         Left("content", COMPARED_CHARS),
                         *(["same_caller"] if index else []))[:SIMILAR_CANDIDATES])
    found = []
    mine = _bigrams(text[:COMPARED_CHARS]) if len(text) >= 4 else set()
    for pk, received_at, enterprise_name, title, content, *caller in rows:
        item = Similar(pk, received_at, same_caller=bool(caller and caller[0]),
                       same_enterprise=enterprise_name in names)
        if mine:
            item.text_score = round(_dice(mine, _bigrams(f"{title} {content}")), 2)
        if item.same_caller or item.same_enterprise or item.text_match:
            found.append(item)
    found.sort(key=lambda s: s.weight, reverse=True)
    found = found[:SIMILAR_SHOWN]
    if found:
        cases = Case.objects.select_related("category", "region").in_bulk([s.pk for s in found])
        for item in found:
            item.case = cases[item.pk]
    return found


def case_for_key(user: User, idempotency_key: str) -> Case | None:
    """The case this user already registered with a form's idempotency key, if any."""
    if not idempotency_key:
        return None
    return Case.objects.filter(intake_key=f"{user.pk}:{idempotency_key}").only("number").first()
