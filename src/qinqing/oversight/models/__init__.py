"""Oversight models, one module per tool; imported here so Django finds them."""

from qinqing.oversight.models.accountability import (  # noqa: F401
    AccountabilityRecord, SanctionGroup, SanctionType,
)
from qinqing.oversight.models.campaigns import Campaign, CampaignCase  # noqa: F401
from qinqing.oversight.models.inspections import Inspection, Problem, ProblemType  # noqa: F401
from qinqing.oversight.models.meetings import Decision, Meeting  # noqa: F401
