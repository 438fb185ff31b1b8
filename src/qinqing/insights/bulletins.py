"""What a bulletin holds (domain.md §10), and its press-release summary in Chinese.

Every number here comes from qinqing.insights.metrics; this module only chooses which
figures a bulletin shows, in what order, and puts the words around them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from qinqing.insights.metrics import Figure, Scope, breakdowns, figures

Row = tuple[str, str, Figure]

# The figures of a bulletin, in the order the bulletin lists them.
HEADLINE = ["received", "consultations", "direct_answers", "direct_answer_rate", "routed",
            "closed", "in_progress", "closure_rate", "completion_rate", "other_matters",
            "overdue_now", "response_rate", "resolution_rate", "satisfaction_rate",
            "rated_callbacks", "reopen_rate"]
STAGE_FIGURES = [f"{what}_{stage}" for stage in ("dispatch", "sign", "resolve", "callback")
                 for what in ("on_time_rate", "avg_working_time", "p90_working_time")]
REGION_FIGURES = ["received", "routed", "closed", "closure_rate", "satisfaction_rate"]


@dataclass(frozen=True)
class BulletinFigures:
    scope: Scope
    figures: dict[str, Figure]
    by_kind: list[Row]  # received
    by_channel: list[Row]  # received
    by_destination: list[Row]  # routed
    by_region: dict[str, list[Row]]  # REGION_FIGURES
    computed_at: datetime = field(default_factory=timezone.now)

    @property
    def headline(self) -> list[Figure]:
        return [self.figures[name] for name in HEADLINE]

    @property
    def stages(self) -> list[Figure]:
        return [self.figures[name] for name in STAGE_FIGURES]

    def region_rows(self) -> list[tuple[str, str, list[Figure]]]:
        """(code, name, [figure per REGION_FIGURES]) per region with cases."""
        first = self.by_region[REGION_FIGURES[0]]
        return [(key, label, [self.by_region[name][i][2] for name in REGION_FIGURES])
                for i, (key, label, _f) in enumerate(first)]


def bulletin_figures(scope: Scope, *, now: datetime | None = None) -> BulletinFigures:
    """All the figures of a bulletin for a period and region (a fixed number of queries)."""
    return BulletinFigures(
        scope=scope,
        figures=figures(scope, HEADLINE + STAGE_FIGURES, now=now),
        by_kind=breakdowns(["received"], scope, "kind")["received"],
        by_channel=breakdowns(["received"], scope, "channel")["received"],
        by_destination=breakdowns(["routed"], scope, "destination")["routed"],
        by_region=breakdowns(REGION_FIGURES, scope, "region", now=now),
    )
