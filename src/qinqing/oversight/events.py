"""The timeline event kinds oversight appends to cases (registered in
OversightConfig.ready()). They note what oversight did about a case; none changes a
figure, and the public does not see them."""

from django.utils.translation import gettext_lazy as _

from qinqing.cases.timeline import EventKind

CAMPAIGN_ENTERED = "campaign_entered"
MEETING_HELD = "joint_meeting"
DECISION_ADDED = "meeting_decision"
DECISION_DONE = "meeting_decision_done"
ACCOUNTABILITY = "accountability"
INSPECTION_FINDING = "inspection_finding"

EVENT_LABELS = {
    CAMPAIGN_ENTERED: _("Entered an overdue sweep campaign"),
    MEETING_HELD: _("Discussed at a joint meeting"),
    DECISION_ADDED: _("Joint-meeting decision added"),
    DECISION_DONE: _("Joint-meeting decision done"),
    ACCOUNTABILITY: _("Accountability recorded"),
    INSPECTION_FINDING: _("Found by an inspection"),
}

KINDS = [EventKind(name, label, public=False, changes_figures=False)
         for name, label in EVENT_LABELS.items()]
