"""Run by tests/demo_moments/conftest.py in a process of its own, over a fresh database:
the demo `make run` builds, at a fixed moment, and the unit ranking of the dashboard's
ranking page over it, written as JSON to the file named by the first argument.

    python make_run_ranking.py OUT.json CASES SEED NOW

It is what tests/demo_moments/test_demo_ranking.py built in its own test before (about
70 s); it runs here, beside the other tests, and the test reads the answer.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from io import StringIO


def main(out: str, cases: str, seed: str, now: str) -> None:
    import django

    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.test.utils import override_settings

    from qinqing.insights.dashboard_models import RankingPolicy
    from qinqing.insights.dashboard_views import RANKING_DAYS
    from qinqing.insights.filters import PeriodFilter
    from qinqing.insights.metrics import Scope
    from qinqing.insights.ranking import unit_ranking

    moment = datetime.fromisoformat(now)
    call_command("migrate", "--noinput", "-v", "0")
    # The real hasher takes ~0.3 s a password, and the demo adds a handler account per
    # unit; the ranking does not read passwords.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]), \
            time_machine.travel(moment, tick=True):
        call_command("demo", "--cases", cases, "--seed", seed, "--now", now, stdout=StringIO())
        period = PeriodFilter({}, today=moment.date(), default_days=RANKING_DAYS)  # the page's
        assert period.is_valid(), period.errors
        scope = Scope(period.cleaned_data["start"], period.cleaned_data["end"])
        ranking = unit_ranking(scope, RankingPolicy.current())
        answer = {"cases": int(cases), "min_cases": RankingPolicy.current().min_cases,
                  "ranked": [u.label for u in ranking.ranked],
                  "too_few": [u.label for u in ranking.too_few]}
    with open(out, "w", encoding="utf-8") as f:
        json.dump(answer, f, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
