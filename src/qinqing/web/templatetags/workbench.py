"""Template helpers shared by the workbench pages: deadline badges and durations.

Every time left, lateness or margin is said in working time (qinqing.worktime.words),
the same words on every page; a finished stage says when it was done and by how much it
beat or missed its limit, not its deadline alone (which read as the moment it was done).
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.cases.queries import clock_status
from qinqing.worktime import words
from qinqing.worktime.queries import current_calendar

register = template.Library()

STATUS_LABELS = {
    "running": gettext_lazy("on time"), "warning": gettext_lazy("warning"),
    "overdue": gettext_lazy("overdue"), "suspended": gettext_lazy("suspended"),
    "on_time": gettext_lazy("done on time"), "late": gettext_lazy("done late"),
}


def _unit(clock) -> str:
    return (clock.limit or "d")[-1:].lower()


def clock_distance(clock, now: datetime, calendar=None) -> str:
    """How far the stage is from its deadline, in working time: left, late, or for a
    finished stage how much earlier or later than its deadline it was done."""
    calendar = calendar or current_calendar()
    status, unit = clock_status(clock, now), _unit(clock)
    if status in ("running", "warning"):
        return _("left: %(span)s") % {"span": words.working_span(calendar, now, clock.due_at,
                                                                   unit)}
    if status == "overdue":
        return words.lateness(calendar, clock.due_at, now, unit)
    if status == "on_time":
        return _("%(span)s early") % {"span": words.working_span(
            calendar, clock.done_at, clock.due_at, unit)}
    if status == "late":
        return words.lateness(calendar, clock.due_at, clock.done_at, unit)
    return ""


@register.inclusion_tag("web/clock_badge.html")
def clock_badge(clock, now: datetime | None = None, show_stage: bool = True):
    """A stage's deadline against now: the status word, the deadline and how far off it
    is; for a finished stage, when it was done and its margin against the deadline."""
    now = now or timezone.now()
    status = clock_status(clock, now)
    return {"clock": clock, "status": status, "label": STATUS_LABELS[status],
            "distance": clock_distance(clock, now), "show_stage": show_stage}


@register.simple_tag
def lateness(clock, now: datetime | None = None) -> str:
    """"超期 3 个工作日" for a stage past its deadline (done or not); "" otherwise."""
    now = now or timezone.now()
    end = clock.done_at or now
    if end <= clock.due_at:
        return ""
    return words.lateness(current_calendar(), clock.due_at, end, _unit(clock))


@register.filter
def limit_words(limit: str) -> str:
    """"3d" → "3 个工作日"."""
    return words.limit_words(limit)


@register.filter
def first_clock(case):
    """The open clock due first (prefetched as `open_clocks` by the queue queries)."""
    clocks = getattr(case, "open_clocks", None)
    return clocks[0] if clocks else None


@register.simple_tag
def widthratio_clock(clock, now: datetime) -> int:
    """How much of a stage's time is used, 0–100 in steps of 5 (for the bar drawn under its
    deadline: its width is one of the classes p0…p100 of qinqing.css, because the
    Content-Security-Policy allows no style attribute)."""
    end = clock.done_at or clock.paused_at or now
    total = (clock.due_at - clock.started_at).total_seconds()
    if total <= 0:
        return 100
    used = max(0, min(100, (end - clock.started_at).total_seconds() * 100 / total))
    return 5 * round(used / 5)


# The words of the history, one per event action (moves of the table and other events).
EVENT_LABELS = {
    "create": gettext_lazy("Registered"), "edit": gettext_lazy("Corrected"),
    "answer": gettext_lazy("Answered directly"), "not_accept": gettext_lazy("Not accepted"),
    "reject": gettext_lazy("Rejected as invalid"), "merge": gettext_lazy("Merged into an earlier case"),
    "merged_in": gettext_lazy("A repeated request was merged in"),
    "dispatch": gettext_lazy("Dispatched"), "sign": gettext_lazy("Signed"),
    "return": gettext_lazy("Returned by the unit"), "redispatch": gettext_lazy("Objection decided"),
    "request_extension": gettext_lazy("Extension requested"),
    "approve_extension": gettext_lazy("Extension approved"),
    "deny_extension": gettext_lazy("Extension refused"),
    "request_suspension": gettext_lazy("Suspension requested"),
    "approve_suspension": gettext_lazy("Suspension approved"),
    "deny_suspension": gettext_lazy("Suspension refused"), "resume": gettext_lazy("Resumed"),
    "reply": gettext_lazy("Replied"), "review": gettext_lazy("Reply accepted"),
    "send_back": gettext_lazy("Sent back to the unit"), "callback": gettext_lazy("Called back"),
    "close_unrated": gettext_lazy("Closed unrated"), "reopen": gettext_lazy("Reopened: dissatisfied"),
    "attach": gettext_lazy("File attached"), "unmask": gettext_lazy("Reporter details revealed"),
    "deadline_recomputed": gettext_lazy("Deadline recomputed"),
    "reclassify": gettext_lazy("Report of misconduct corrected by the discipline commission"),
    "remind": gettext_lazy("Reminder sent"),
    # The escalation ladder (qinqing.supervision).
    "warning_notice": gettext_lazy("Deadline warning sent to the unit"),
    "reminder_letter": gettext_lazy("Reminder letter issued"),
    "list_supervision": gettext_lazy("Listed for supervision"),
    "unlist_supervision": gettext_lazy("Listing closed"),
}


@register.simple_tag
def event_label(event) -> str:
    return str(EVENT_LABELS.get(event.action, event.action))


@register.simple_tag
def state_label(state: str) -> str:
    from qinqing.cases.models import State

    return str(State(state).label) if state in State.values else state


def event_unit_codes(events) -> set[str]:
    """The unit codes the events' data names (routing), to be read as names."""
    codes: set[str] = set()
    for event in events:
        data = event.data or {}
        for key in ("lead_unit", "from_unit"):
            if isinstance(data.get(key), str):
                codes.add(data[key])
        codes.update(c for c in data.get("co_units") or [] if isinstance(c, str))
    return codes


@register.inclusion_tag("web/event_details.html", takes_context=True)
def event_details(context, event):
    """What an event changed, in words: routing (unit names, not codes), answers,
    satisfaction, deadlines. The page gives `unit_names` (code → name, one query for the
    whole history); without it a code is looked up here."""
    from qinqing.cases.models import Stage
    from qinqing.cases.models.case import Satisfaction

    data = event.data or {}
    names = context.get("unit_names")
    if names is None:
        from qinqing.org.models import Unit

        names = dict(Unit.objects.filter(code__in=event_unit_codes([event]))
                     .values_list("code", "name"))

    def unit(code):
        return names.get(code, code) if code else code

    clocks = data.get("clocks") or {}
    started = [{"stage": Stage(c["stage"]).label if c.get("stage") in Stage.values else c.get("stage"),
                "due": _parse(c.get("due")), "provisional": c.get("provisional")}
               for c in clocks.get("started", [])]
    stopped = [{"stage": Stage(c["stage"]).label if c.get("stage") in Stage.values else c.get("stage"),
                "on_time": c.get("on_time")} for c in clocks.get("stopped", [])]
    satisfaction = data.get("satisfaction")
    return {
        "lead_unit": unit(data.get("lead_unit")),
        "co_units": [unit(c) for c in data.get("co_units") or []],
        "from_unit": unit(data.get("from_unit")) if event.action == "return" else None,
        "answer": data.get("answer") or data.get("told"),
        "satisfaction": Satisfaction(satisfaction).label if satisfaction in Satisfaction.values else "",
        "into": data.get("into"), "started": started, "stopped": stopped,
        "due": _parse(data.get("due")), "previous_due": _parse(data.get("previous_due")),
        "reminded": [{"stage": Stage(c["stage"]).label if c.get("stage") in Stage.values
                      else c.get("stage"), "due": _parse(c.get("due")), "overdue": c.get("overdue")}
                     for c in data.get("stages", []) if isinstance(c, dict)],
        # The escalation ladder's events (qinqing.supervision).
        "letter": data.get("letter") if event.action == "reminder_letter" else "",
        "letter_days": data.get("days_overdue"),
        "listed_until": _parse(data.get("deadline")) if event.action == "list_supervision"
        else None,
        # (A notice listing its stages shows them as `reminded`; older ones had one stage.)
        "warned": {"stage": Stage(data["stage"]).label, "due": _parse(data.get("due"))}
        if event.action == "warning_notice" and data.get("stage") in Stage.values
        and not data.get("stages") else None,
        "automatic": data.get("automatic") is True,
    }


def _parse(value):
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
