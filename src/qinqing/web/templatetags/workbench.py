"""Template helpers shared by the workbench pages: deadline badges and durations."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.cases.queries import clock_status

register = template.Library()

STATUS_LABELS = {
    "running": gettext_lazy("on time"), "warning": gettext_lazy("warning"),
    "overdue": gettext_lazy("overdue"), "suspended": gettext_lazy("suspended"),
    "on_time": gettext_lazy("done on time"), "late": gettext_lazy("done late"),
}


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)sd %(h)sh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)sh %(m)smin") % {"h": hours, "m": mins}
    return _("%(m)smin") % {"m": mins}


@register.inclusion_tag("web/clock_badge.html")
def clock_badge(clock, now: datetime | None = None, show_stage: bool = True):
    """A stage's deadline against now: the status word, the deadline and how far off it is."""
    now = now or timezone.now()
    status = clock_status(clock, now)
    if status in ("running", "warning"):
        distance = _("%(span)s left") % {"span": _span((clock.due_at - now).total_seconds())}
    elif status == "overdue":
        distance = _("%(span)s late") % {"span": _span((now - clock.due_at).total_seconds())}
    else:
        distance = ""
    return {"clock": clock, "status": status, "label": STATUS_LABELS[status],
            "distance": distance, "show_stage": show_stage}


@register.filter
def first_clock(case):
    """The open clock due first (prefetched as `open_clocks` by the queue queries)."""
    clocks = getattr(case, "open_clocks", None)
    return clocks[0] if clocks else None


@register.simple_tag
def widthratio_clock(clock, now: datetime) -> int:
    """How much of a stage's time is used, 0–100 (for the bar drawn under its deadline)."""
    end = clock.done_at or clock.paused_at or now
    total = (clock.due_at - clock.started_at).total_seconds()
    if total <= 0:
        return 100
    return max(0, min(100, round((end - clock.started_at).total_seconds() * 100 / total)))


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


@register.inclusion_tag("web/event_details.html")
def event_details(event):
    """What an event changed, in words: routing, answers, satisfaction, deadlines."""
    from qinqing.cases.models import Stage
    from qinqing.cases.models.case import Satisfaction

    data = event.data or {}
    clocks = data.get("clocks") or {}
    started = [{"stage": Stage(c["stage"]).label if c.get("stage") in Stage.values else c.get("stage"),
                "due": _parse(c.get("due")), "provisional": c.get("provisional")}
               for c in clocks.get("started", [])]
    stopped = [{"stage": Stage(c["stage"]).label if c.get("stage") in Stage.values else c.get("stage"),
                "on_time": c.get("on_time")} for c in clocks.get("stopped", [])]
    satisfaction = data.get("satisfaction")
    return {
        "lead_unit": data.get("lead_unit"), "co_units": data.get("co_units") or [],
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
        "warned": {"stage": Stage(data["stage"]).label, "due": _parse(data.get("due"))}
        if event.action == "warning_notice" and data.get("stage") in Stage.values else None,
        "automatic": data.get("automatic") is True,
    }


def _parse(value):
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
