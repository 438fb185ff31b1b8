"""What the person holding a case's query code reads about it (the public page).

The milestones of their request (the event kinds the timeline's registry marks public),
the state in plain words, the unit handling it, the current stage's deadline, and the
answer once it has left the unit. Never the staff's names, notes or internal steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.cases import timeline
from qinqing.cases.events import stage_label
from qinqing.cases.models import Case, Channel, State
from qinqing.cases.models.clocks import Stage, StageClock
from qinqing.cases.queries import leaf_categories, public_status
from qinqing.enterprises.models import Enterprise, normalise_credit_code
from qinqing.org.models import Unit
from qinqing.worktime.calendar import compute_deadline
from qinqing.worktime.limits import Limit, LimitUnit
from qinqing.worktime.queries import current_calendar
from qinqing.security import FailureWindow
from qinqing.text import PERSONAL_NUMBER

# The state as a person outside reads it.
STATE_WORDS = {
    State.RECEIVED: _("Registered; being passed to the unit that must act"),
    State.DISPATCHED: _("Passed to the unit that must act"),
    State.HANDLING: _("The unit is handling it"),
    State.RETURNED: _("The unit that must act is being decided again"),
    State.REPLIED: _("The unit has answered; the answer is being checked"),
    State.REVIEWED: _("Answered; you will be called back"),
    State.CLOSED: _("Finished"),
}
# The answer is shown once it has left the unit: checked by its leader (reviewed), or final.
ANSWER_SHOWN = frozenset({State.REVIEWED, State.CLOSED})


@dataclass(frozen=True)
class Step:
    label: str
    at: datetime


def rating_closes_at(case: Case, clock: StageClock | None) -> datetime | None:
    """Until when the person may judge the answer online: while the case waits for its
    callback, for QINQING_ONLINE_RATING_DAYS working days after the answer left the unit.
    None when it cannot be judged online (not answered yet, or already judged), and for
    a bad rating's rectification, whose fix its rater judges by the follow-up rating
    instead (qinqing.ratings.followup, shown on this page through its own tag)."""
    if case.state != State.REVIEWED or clock is None or clock.stage != Stage.CALLBACK:
        return None
    if case.channel == Channel.RATING:
        return None
    limit = Limit(settings.QINQING_ONLINE_RATING_DAYS, LimitUnit.WORKING_DAYS)
    return compute_deadline(current_calendar(), clock.started_at, limit).due


def _still_open(until: datetime | None) -> datetime | None:
    return until if until is not None and timezone.now() <= until else None


@dataclass(frozen=True)
class PublicFile:
    pk: int
    name: str
    size: int


@dataclass(frozen=True)
class PublicCase:
    number: str
    kind: str
    category: str
    state_words: str
    closed: bool
    unit: str
    stage: str
    due_at: datetime | None
    answer: str
    received_at: datetime
    steps: list[Step]
    rating_until: datetime | None = None  # open for an online judgement until then
    satisfaction: str = ""  # the judgement given (online or by callback), in words
    files: tuple[PublicFile, ...] = ()  # the files the person sent with the matter


def check(number: str, code: str) -> Case | None:
    """The case this number and query code open, or None (an unknown number and a wrong
    code are told apart nowhere, not even in the time taken: cases.queries)."""
    return public_status(number, code)


def track_window() -> FailureWindow:
    # The same scope as the API's tracking: one count of wrong tries per address.
    return FailureWindow("track", settings.QINQING_TRACK_LIMIT, settings.QINQING_TRACK_WINDOW)


def public_case(number: str) -> PublicCase | None:
    case = (Case.objects.select_related("category", "lead_unit")
            .filter(number=number).first())
    if case is None:
        return None
    public = timeline.registry.public()
    steps = [Step(timeline.registry.label(action), at) for action, at in
             case.events.filter(action__in=public).order_by("seq").values_list("action", "at")]
    clock = (StageClock.objects.filter(case=case, done_at__isnull=True)
             .order_by("due_at").first())
    return PublicCase(
        number=case.number, kind=case.get_kind_display(), category=case.category.name,
        state_words=STATE_WORDS[case.state], closed=case.state == State.CLOSED,
        unit=case.lead_unit.name if case.lead_unit_id else "",
        stage=stage_label(clock.stage) if clock else "", due_at=clock.due_at if clock else None,
        answer=case.answer if case.state in ANSWER_SHOWN else "",
        received_at=case.received_at, steps=steps,
        rating_until=_still_open(rating_closes_at(case, clock)),
        # A rectification's callback is its rater's follow-up rating, which the ratings
        # panel on this page shows with the first rating: not said twice.
        satisfaction=(case.get_satisfaction_display()
                      if case.satisfaction and case.channel != Channel.RATING else ""),
        files=tuple(PublicFile(pk, name, size) for pk, name, size
                    in _reporters_files(case).values_list("pk", "name", "size")))


def _reporters_files(case: Case):
    """The attachments the person sent with the matter (cases.services.attach_from_reporter
    says so on their `attach` event): never staff uploads nor documents the platform
    filed, such as reminder letters, which have no uploader either."""
    sent = (case.events.filter(action="attach", data__by="reporter")
            .values_list(Cast(KT("data__attachment"), IntegerField())))
    return case.attachments.filter(pk__in=sent).order_by("pk")


def reporters_file(number: str, pk: int):
    """One file the person sent with case `number`, or None (another case's, staff's, or
    none): for the person holding the case's query code (the view checks that)."""
    case = Case.objects.filter(number=number).first()
    return None if case is None else _reporters_files(case).filter(pk=pk).first()


def category_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The categories a person picks from, grouped under their parents (active leaves)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for category in leaf_categories():
        groups.setdefault(category.parent.name if category.parent_id else "",
                          []).append((category.code, category.name))
    return list(groups.items())


def already_filed(token: str) -> bool:
    """Whether the portal form with this key was filed (a double click, a retry)."""
    return Case.objects.filter(intake_key=f"public:portal:{token}").exists()


# ------------------------------------------------------- the couldn't-get-it-done window

def hall(code: str):
    """An active government service hall by its code, or None."""
    from qinqing.org.models import Unit, UnitKind

    return Unit.objects.active().filter(code=code, kind=UnitKind.SERVICE_HALL).first()


def halls():
    from qinqing.org.models import Unit, UnitKind

    return list(Unit.objects.active().filter(kind=UnitKind.SERVICE_HALL).order_by("path"))


def hall_places(hall_unit) -> list[tuple[str, str]]:
    """The hall and its windows, as a person standing there picks the one concerned."""
    from qinqing.org.models import Unit

    windows = Unit.objects.active().filter(parent=hall_unit).order_by("sort_order", "code")
    return [(hall_unit.code, hall_unit.name),
            *((w.code, w.short_name or w.name) for w in windows)]


def supervisors_of(unit):
    """The active supervisors (督查) whose unit is this unit or one above it: they get a
    copy of each matter raised at its couldn't-get-it-done window."""
    from qinqing.org.models import Role, User

    parts = unit.path.strip("/").split("/")
    paths = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    return list(User.objects.filter(is_active=True, role=Role.SUPERVISOR,
                                    unit__path__in=paths).select_related("unit").order_by("pk"))



# ----------------------------------------------------------- the mayor's mailbox list

def letters_to_review():
    """Answered letters whose writers agreed to publication, awaiting a decision."""
    from qinqing.portal.models import MailboxLetter, Publication

    return list(MailboxLetter.objects.filter(publication=Publication.PENDING,
                                             case__state=State.CLOSED)
                .select_related("case", "case__lead_unit").prefetch_related("case__reporters")
                .order_by("case__closed_at"))


def draft(letter) -> dict:
    """Anonymised words to start from: phone and ID numbers and the writer's name taken
    out. Staff read and correct them before anything is shown."""
    from qinqing.cases.confidential import decrypt

    names = [decrypt(r.name_enc) for r in letter.case.reporters.all() if r.name_enc]

    def clean(text: str) -> str:
        text = PERSONAL_NUMBER.sub("***", text)
        for name in filter(None, names):
            text = text.replace(name, "某某")
        return text

    return {"title": clean(letter.case.title), "question": clean(letter.case.content),
            "answer": clean(letter.case.answer)}


PUBLISHED_PAGE = 20


def published_letters(page: int = 1):
    """The public list: approved letters, newest decision first, a page at a time. Only
    the approved words and the answering unit's name, no field of the case itself."""
    from qinqing.portal.models import MailboxLetter, Publication

    first = (page - 1) * PUBLISHED_PAGE
    rows = list(MailboxLetter.objects.filter(publication=Publication.APPROVED)
                .order_by("-decided_at", "-pk")
                .values("pk", "public_title", "public_question", "public_answer",
                        "case__received_at", "case__closed_at", "case__lead_unit__name",
                        "case__owner_unit__name")
                [first:first + PUBLISHED_PAGE + 1])
    return rows[:PUBLISHED_PAGE], len(rows) > PUBLISHED_PAGE


def prefill(params) -> dict:
    """The form's first values from the address: ?unit=CODE (the window, hall or unit a
    supervision code stands for) and ?enterprise=CREDIT_CODE. Anything unknown is ignored:
    the address is typed by whoever links here."""
    initial = {}
    code = (params.get("unit") or "")[:32].strip()
    if code:
        unit = Unit.objects.active().filter(code=code).only("code", "name").first()
        if unit is not None:
            twins = Unit.objects.active().filter(name=unit.name).count()
            # resolve_unit takes a name when it is unique, "code name" otherwise.
            initial["subject_unit"] = unit.name if twins == 1 else f"{unit.code} {unit.name}"
    credit = normalise_credit_code((params.get("enterprise") or "")[:40])
    if credit:
        enterprise = Enterprise.objects.filter(credit_code=credit, is_active=True).first()
        if enterprise is not None:
            initial.update(enterprise_name=enterprise.name, enterprise_code=enterprise.credit_code)
    return initial
