"""The whole demo, built at one moment: what `qinqing demo` runs.

Every part is given the same `now` (the command's hidden --now, by default this minute),
so the demo can be built as it would be at any moment of a year — a night, a holiday,
a make-up working day, a year whose holidays are not published yet — and every part
agrees on what "now" is. The parts, in the order they are made:

1. the organisation and its logins (org.demo), the assignment catalogue (cases.demo);
2. with cases: n cases with histories (cases.demo), the escalation ladder replayed at
   each working day's office start over them as they happen (supervision.demo);
3. the oversight story (oversight.demo), the ladder replayed again over its cases;
   the public side (demo.public: portal filings, a hall's couldn't-get-it-done window,
   mayor's mailbox letters answered and published, Open311 requests, judgements given
   online), the ladder replayed again over them; then the ladder's sweep at now, two
   cases listed by the supervisor, and this month's city-wide sweep over every case
   overdue now;
4. the words of recent cases for the hot topics (insights.hot_topics), and the last
   finished month's bulletin with typical cases (insights.demo).
"""

from __future__ import annotations

import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone


def build_demo(*, now: datetime | None = None, cases: int = 0, seed: int = 2024,
               if_empty: bool = False) -> dict:
    """Build (or refresh) the demo at `now`; returns what each part made (None for a
    part not made)."""
    from qinqing.demo.cases import build_demo_cases, build_demo_catalogue
    from qinqing.cases.models import Case
    from qinqing.demo.city import build_demo_organisation

    now = (now or timezone.now()).replace(second=0, microsecond=0)
    report = {"now": now, "organisation": build_demo_organisation(),
              "catalogue": build_demo_catalogue(), "cases": None, "oversight": None,
              "supervision": None, "public": None, "codes": None, "hot_topics": None, "bulletin": None,
              "skipped": False}
    if cases and if_empty and Case.objects.exists():
        report["skipped"] = True
        return report
    if not cases:
        return report
    from qinqing.demo.codes import build_demo_codes
    from qinqing.demo.insights import publish_demo_bulletin
    from qinqing.insights.hot_topics import segment_all
    from qinqing.demo.oversight import build_demo_oversight, demo_exists, start_city_sweep
    from qinqing.demo.public import build_demo_public, demo_exists as public_exists
    from qinqing.demo.supervision import LadderReplay, escalate_demo, give_duty_phones

    with transaction.atomic():
        give_duty_phones()
        started = time.monotonic()
        replay = LadderReplay(now)
        report["cases"] = build_demo_cases(cases, seed=seed, now=now, before=replay.advance)
        report["cases"]["seconds"] = time.monotonic() - started
        replays = [replay]
        if not demo_exists():
            replay.finish()
            # The ladder goes back to the story's first move and forward again with it,
            # so the story's late stages are reminded when they were late, in time order.
            replay = LadderReplay(now)
            replays.append(replay)
            report["oversight"] = build_demo_oversight(now=now, seed=seed,
                                                       before=replay.advance, city_sweep=False)
        if not public_exists():
            replay.finish()
            # The public side's matters happen in the last two weeks: the ladder goes
            # back to the first of them and forward again with them.
            replay = LadderReplay(now)
            replays.append(replay)
            report["public"] = build_demo_public(now=now, before=replay.advance)
        escalated = escalate_demo(now=now, replay=replay)
        for earlier in replays[:-1]:
            for key, value in earlier.found.items():
                if value:
                    escalated[key] = escalated.get(key, 0) + value
            escalated["sweeps"] += earlier.sweeps
        report["supervision"] = escalated
        if report["oversight"] is not None:
            report["oversight"]["campaigns"] += start_city_sweep(now)
        report["codes"] = build_demo_codes()
        report["hot_topics"] = segment_all(now=now)
        report["bulletin"] = publish_demo_bulletin(now)
    return report
