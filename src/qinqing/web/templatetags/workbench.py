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

from qinqing.cases import timeline
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


@register.simple_tag
def event_label(event) -> str:
    """The words of an event on the history: its kind's label (qinqing.cases.timeline)."""
    return timeline.registry.label(event.action)


@register.simple_tag
def state_label(state: str) -> str:
    from qinqing.cases.models import State

    return str(State(state).label) if state in State.values else state


@register.inclusion_tag("web/event_details.html", takes_context=True)
def event_details(context, event):
    """What an event changed, in words: the clocks a move started and stopped (any move's
    data may say), then what its kind says of its data (`EventKind.detail`, registered by
    the app that appends it: routing, answers, letters, …). The page gives `unit_names`
    (code → name, one query for the whole history); without it a code is looked up here."""
    from qinqing.cases.events import moment, stage_label

    data = event.data or {}
    names = context.get("unit_names")
    if names is None:
        from qinqing.org.models import Unit

        names = dict(Unit.objects.filter(code__in=timeline.unit_codes([event]))
                     .values_list("code", "name"))

    def unit(code):
        return names.get(code, code) if code else code

    clocks = data.get("clocks") or {}
    shown = {
        "started": [{"stage": stage_label(c.get("stage")), "due": moment(c.get("due")),
                     "provisional": c.get("provisional")} for c in clocks.get("started", [])],
        "stopped": [{"stage": stage_label(c.get("stage")), "on_time": c.get("on_time")}
                    for c in clocks.get("stopped", [])],
    }
    kind = timeline.registry.get(event.action)
    if kind is not None and kind.detail is not None:
        shown.update(kind.detail(event, unit))
    return shown
