"""The timeline event kinds supervision appends (registered in SupervisionConfig.ready()):
reminders, the escalation ladder's notices and letters, listings. None changes a figure:
they speak about a case's clocks, they do not move them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from qinqing.cases.events import moment, stage_label
from qinqing.cases.timeline import EventKind


def ladder_detail(event, unit) -> dict:
    data = event.data or {}
    return {
        "reminded": [{"stage": stage_label(c.get("stage")), "due": moment(c.get("due")),
                      "overdue": c.get("overdue")}
                     for c in data.get("stages", []) if isinstance(c, dict)],
        "letter": data.get("letter") if event.action == "reminder_letter" else "",
        "letter_days": data.get("days_overdue"),
        "listed_until": moment(data.get("deadline")) if event.action == "list_supervision"
        else None,
        # (A notice listing its stages shows them as `reminded`; older ones had one stage.)
        "warned": {"stage": stage_label(data["stage"]), "due": moment(data.get("due"))}
        if event.action == "warning_notice" and data.get("stage") and not data.get("stages")
        else None,
        "automatic": data.get("automatic") is True,
    }


KINDS = [
    EventKind("remind", _("Reminder sent"), public=False, changes_figures=False,
              detail=ladder_detail),
    EventKind("warning_notice", _("Deadline warning sent to the unit"), public=False,
              changes_figures=False, detail=ladder_detail),
    EventKind("reminder_letter", _("Reminder letter issued"), public=False,
              changes_figures=False, detail=ladder_detail),
    EventKind("list_supervision", _("Listed for supervision"), public=False,
              changes_figures=False, detail=ladder_detail),
    EventKind("unlist_supervision", _("Listing closed"), public=False, changes_figures=False,
              detail=ladder_detail),
]
