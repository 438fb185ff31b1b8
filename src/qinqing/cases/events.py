"""The timeline event kinds `cases` appends: the intake, every move of the transition
table, and the notes of the case services (registered in CasesConfig.ready()).

Shared readers of event data (a stage's label, a stored moment) live here too, for the
details of other apps' kinds."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Stage
from qinqing.cases.models.case import Satisfaction
from qinqing.cases.timeline import EventKind
from qinqing.cases.transitions import TABLE


def stage_label(stage) -> str:
    return Stage(stage).label if stage in Stage.values else stage


def moment(value) -> datetime | None:
    """A moment stored in an event's data (ISO text), or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def move_detail(event, unit) -> dict:
    """What a move or a case note changed: routing (unit names), answers, satisfaction,
    the case merged into, a recomputed deadline. Clocks started and stopped are read for
    every kind by the page (they are in the data of any move)."""
    data = event.data or {}
    satisfaction = data.get("satisfaction")
    return {
        "lead_unit": unit(data.get("lead_unit")),
        "co_units": [unit(c) for c in data.get("co_units") or []],
        "from_unit": unit(data.get("from_unit")) if event.action == "return" else None,
        "answer": data.get("answer") or data.get("told"),
        "satisfaction": Satisfaction(satisfaction).label
        if satisfaction in Satisfaction.values else "",
        "into": data.get("into"),
        "due": moment(data.get("due")), "previous_due": moment(data.get("previous_due")),
    }


def attach_detail(event, unit) -> dict:
    """A file put on the case: its name, and whether the person who filed the matter sent
    it (from the public portal: no account uploaded it)."""
    data = event.data or {}
    return {"file": data.get("name"), "from_reporter": data.get("by") == "reporter"}


# The words of each move on the history (the table's rows, in its order).
MOVE_LABELS = {
    "edit": _("Corrected"), "answer": _("Answered directly"), "not_accept": _("Not accepted"),
    "reject": _("Rejected as invalid"), "merge": _("Merged into an earlier case"),
    "dispatch": _("Dispatched"), "redispatch": _("Objection decided"), "sign": _("Signed"),
    "return": _("Returned by the unit"),
    "request_extension": _("Extension requested"),
    "approve_extension": _("Extension approved"), "deny_extension": _("Extension refused"),
    "request_suspension": _("Suspension requested"),
    "approve_suspension": _("Suspension approved"), "deny_suspension": _("Suspension refused"),
    "resume": _("Resumed"), "reply": _("Replied"), "review": _("Reply accepted"),
    "send_back": _("Sent back to the unit"), "callback": _("Called back"),
    "close_unrated": _("Closed unrated"), "reopen": _("Reopened: dissatisfied"),
}
assert set(MOVE_LABELS) == set(TABLE), "every row of the transition table has its words"

# What the reporter sees when following the case with the query code: the milestones of
# their request, not the internal steps (requests, reviews, send-backs) of the units.
PUBLIC_MOVES = frozenset({"dispatch", "redispatch", "sign", "reply", "callback", "reopen",
                          "answer", "not_accept", "reject", "merge"})

KINDS = [
    EventKind("create", _("Registered"), public=True, changes_figures=True,
              detail=move_detail),
    # Every move can change a state, a clock or a dimension of the case.
    *(EventKind(name, label, public=name in PUBLIC_MOVES, changes_figures=True,
                detail=move_detail) for name, label in MOVE_LABELS.items()),
    # Notes that change nothing a figure counts.
    EventKind("merged_in", _("A repeated request was merged in"), public=False,
              changes_figures=False, detail=move_detail),
    EventKind("attach", _("File attached"), public=False, changes_figures=False,
              detail=attach_detail),
    EventKind("unmask", _("Reporter details revealed"), public=False, changes_figures=False),
    # A new deadline moves the case's next due moment; a new kind or accused unit moves
    # its dimensions.
    EventKind("deadline_recomputed", _("Deadline recomputed"), public=False,
              changes_figures=True, detail=move_detail),
    EventKind("reclassify", _("Report of misconduct corrected by the discipline commission"),
              public=False, changes_figures=True, detail=move_detail),
]
