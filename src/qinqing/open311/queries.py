"""What Open311 publishes: the service list, service definitions, and requests.

Requests are public in GeoReport v2, and cases here hold people's matters, so a request
shows what a passer-by could learn from the case's public steps and no more: its number,
open or closed, the category (also as its description), the unit handling it, the
region, the times and the current stage's deadline. Never the title, the content, the
answer or anything about the reporter: a title left out is the start of the content, and
a person's words may name them in ways no pattern finds. Reports of misconduct are not published at all,
and neither is any case that holds a protected reporter (one merged in from a report, or
a report re-classified as another kind): protection follows the person, not the kind the
case has now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from qinqing.cases import access
from qinqing.cases.models import Case, Category, Kind, State
from qinqing.cases.queries import leaf_categories, token_user
from qinqing.cases.models.clocks import StageClock
from qinqing.org.models import User
from qinqing.org.queries import region_choices

# The kinds a third-party app may file (a report of misconduct goes through a channel
# built for its protections, not through an app that knows the reporter).
FILED_KINDS = (Kind.COMPLAINT, Kind.CONSULTATION, Kind.HELP, Kind.SUGGESTION, Kind.PRAISE)
DEFAULT_DAYS = 90  # the specification's default range of GET requests
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50



def services() -> list[Category]:
    """The categories a matter can be filed under: the active leaves of the tree."""
    return leaf_categories()


def service(code: str) -> Category | None:
    return next((c for c in services() if c.code == code), None)


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # the specification's: string, text, singlevaluelist…
    required: bool
    description: str
    values: tuple[tuple[str, str], ...] = ()


def attributes() -> list[Attribute]:
    """The questions a filed matter answers besides its description (the same for every
    service: the category is the service)."""
    from django.utils.translation import gettext as _

    return [
        Attribute("kind", "singlevaluelist", True, _("What kind of matter is this?"),
                  tuple((k.value, k.label) for k in FILED_KINDS)),
        Attribute("title", "string", False,
                  _("A short title (at most %(n)s characters); the start of the description "
                    "if left out.") % {"n": Case._meta.get_field("title").max_length}),
        Attribute("region", "singlevaluelist", False,
                  _("The region the matter is in (the city if left out)."),
                  tuple(region_choices())),
        Attribute("enterprise_name", "string", False,
                  _("The enterprise the matter concerns, if any.")),
    ]


def published() -> QuerySet:
    """The cases Open311 shows (see the module docstring), with what a request reads."""
    open_clock = (StageClock.objects.filter(case=OuterRef("pk"), done_at__isnull=True)
                  .order_by("due_at"))
    return (Case.objects.exclude(access.protected_cases_q())
            .select_related("category", "lead_unit", "region")
            .annotate(open_stage_due=Subquery(open_clock.values("due_at")[:1]),
                      open_stage=Subquery(open_clock.values("stage")[:1])))


@dataclass(frozen=True)
class RequestFilter:
    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()  # open, closed
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def requests(f: RequestFilter, now: datetime | None = None) -> list[Case]:
    """One page of published cases, newest first, by the specification's filters: numbers
    override every other filter; without dates, the last 90 days."""
    qs = published()
    if f.numbers:
        qs = qs.filter(number__in=f.numbers)
    else:
        now = now or timezone.now()
        end = f.end or now
        start = f.start or (end - timezone.timedelta(days=DEFAULT_DAYS))
        qs = qs.filter(received_at__gte=start, received_at__lte=end)
        if f.service_codes:
            qs = qs.filter(category__code__in=f.service_codes)
        if f.statuses and set(f.statuses) != {"open", "closed"}:
            closed = Q(state=State.CLOSED)
            qs = qs.filter(closed if "closed" in f.statuses else ~closed)
    first = (f.page - 1) * f.page_size
    return list(qs.order_by("-received_at", "-id")[first:first + f.page_size])


def request(number: str) -> Case | None:
    return published().filter(number=number.strip().upper()).first()


def token_case_number(token: str) -> str | None:
    """The number of the case filed with this token (the POST's answer says both)."""
    key = intake_key(token)
    if key is None:
        return None
    return Case.objects.filter(intake_key=key).values_list("number", flat=True).first()


TOKEN = re.compile(r"^(?P<account>[0-9]{1,12})-(?P<key>[A-Za-z0-9_-]{8,80})$")


def intake_key(token: str) -> str | None:
    """A token names the account that filed and the key it filed with, so finding its case
    is one look-up of the unique intake key (see services.file_request)."""
    match = TOKEN.match(token or "")
    if match is None:
        return None
    return f"{match['account']}:open311:{match['key']}"


def key_owner(api_key: str, now: datetime | None = None) -> tuple[User | None, bool]:
    """The account an API key belongs to, and whether the key has expired."""
    if not api_key or len(api_key) > 200:
        return None, False
    user = token_user(api_key)
    if user is None:
        return None, False
    return user, (now or timezone.now()) >= user.api_token_expires_at
