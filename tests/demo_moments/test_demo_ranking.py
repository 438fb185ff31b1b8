"""The unit ranking ranks most units on the demo `make run` builds.

Until 2026-12-07 the demo spread its routed matters over some forty units (85% of its
matters were consultations, the rest drawn by category and region at random), so in the
ranking's default 90 days one unit (the discipline commission) was ranked and 25 were
listed apart for too few cases. The demo now lands most routed matters on ten units
(`cases.demo.LEAD_WEIGHTS`), as real complaint lines do; the ranking's minimum of cases
is not lowered for it.
"""

from __future__ import annotations

import re
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from qinqing.worktime.calendar import SHANGHAI

pytestmark = pytest.mark.django_db

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def _make_run_cases() -> int:
    """The number of cases `make run` asks the demo for."""
    found = re.search(r"qinqing demo --cases (\d+)", MAKEFILE.read_text(encoding="utf-8"))
    assert found, "make run no longer builds the demo with --cases N"
    return int(found.group(1))


NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
SEED = 2024  # make run's (the command's default)


def test_the_ranking_ranks_most_units_on_demo_data(demo_city):
    """About 70 s: the whole demo at make run's size. (Measured by hand at other seeds
    and moments too: 10 ranked of 16 or 17 at seeds 2024 and 7; docs/architecture.md.)"""
    now, seed = NOW, SEED
    from qinqing.insights.dashboard_models import RankingPolicy
    from qinqing.insights.dashboard_views import RANKING_DAYS
    from qinqing.insights.filters import PeriodFilter
    from qinqing.insights.metrics import Scope
    from qinqing.insights.ranking import unit_ranking

    with time_machine.travel(now, tick=True):
        call_command("demo", "--cases", str(_make_run_cases()), "--seed", str(seed),
                     "--now", now.isoformat(), stdout=StringIO())
        period = PeriodFilter({}, today=now.date(), default_days=RANKING_DAYS)  # the page's
        assert period.is_valid()
        scope = Scope(period.cleaned_data["start"], period.cleaned_data["end"])
        ranking = unit_ranking(scope, RankingPolicy.current())

    assert RankingPolicy.current().min_cases == 5, "the default minimum, not lowered"
    ranked, apart = len(ranking.ranked), len(ranking.too_few)
    assert ranked > apart, (ranked, [u.label for u in ranking.too_few])
    # The busy city departments are among the ranked, each on at least five cases a rate.
    labels = {u.label for u in ranking.ranked}
    assert {"市行政审批服务管理局", "市市场监督管理局", "市财政局"} <= labels, labels
