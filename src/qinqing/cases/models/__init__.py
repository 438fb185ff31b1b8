"""Case models, one module per concern; imported here so Django finds them."""

from qinqing.cases.models.case import (  # noqa: F401
    Case, Category, Channel, Kind, NumberSequence, Outcome, State, Urgency,
)
from qinqing.cases.models.clocks import (  # noqa: F401
    HOTLINE_STAGES, UNIT_STAGES, ChangeRequest, Stage, StageClock, TimeLimitPolicy,
)
from qinqing.cases.models.ledger import Attachment, CaseEvent  # noqa: F401
from qinqing.cases.models.reporters import Reporter, UnmaskLog  # noqa: F401
from qinqing.cases.models.routing import AssignmentRule  # noqa: F401
from qinqing.cases.models.tokens import ApiToken  # noqa: F401
