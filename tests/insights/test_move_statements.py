"""What each move of the transition table costs in SQL (issue 15: "each move has a pinned
statement count"). The moves are those of the reproducibility scenario (every_move.py),
each made once or more through services.perform; the count is the first time each move
is made there, inside the test's transaction (so the service's transaction is a
savepoint). A change that adds a statement to a move changes its number here: if the
statement is needed, pin the new count and say why in the commit.

The counts include the figures' consequences (the facts and rollups rebuilt by the
timeline's case_changed hook), the escalation listing closed on a close, and the ledger's
previous-event read for the hash chain.
"""

from __future__ import annotations

import os

from django.db import connection

from qinqing.cases.transitions import TABLE
from tests.insights.conftest import at
from tests.insights.every_move import Mover, every_move, january

# Measured 2026-12-07: the same on SQLite and PostgreSQL (re-measure with
# QINQING_PRINT_STATEMENTS=1 pytest -s …; dispatch was 23 while it saved the case twice).
# Dispatch and redispatch stop one clock and start two (sign, resolve); a merge writes to
# both cases; a denial starts and stops no clock.
# +1 since 2026-12-07 on each move the tracking page lists (the timeline registry's public
# kinds: answer, callback, dispatch, merge, not_accept, redispatch, reject, reopen, reply,
# sign): the reporters who asked for an SMS at each step are read
# (notifications.services.text_public_steps), whether or not anyone asked.
# +2 since 2026-12-07 on each move that closes a case and may invite its reporter to rate
# it (answer, callback, close_unrated, not_accept; ratings.invitations.schedule): the
# reporter texted at intake is read, and the invitation written (INSERT … ON CONFLICT).
PINNED = {
    "answer": 19, "approve_extension": 16, "approve_suspension": 16, "callback": 19,
    "close_unrated": 18, "deny_extension": 14, "deny_suspension": 14, "dispatch": 23,
    "edit": 16, "merge": 24, "not_accept": 19, "redispatch": 23, "reject": 17, "reopen": 17,
    "reply": 19, "request_extension": 15, "request_suspension": 15, "resume": 15,
    "return": 17, "review": 16, "send_back": 16, "sign": 17,
}


def test_each_move_costs_its_pinned_statements(drive, user, settings):
    # Master data read once, however slow the machine (with the default 5 s, a loaded
    # machine reloads it mid-test and a move counts a statement or two more).
    settings.QINQING_REFDATA_TTL = 3600
    c = january(drive)
    move = Mover(drive, at(2026, 2, 2, 9))
    every_move(move, c, user("inspector"))
    assert move.done == set(TABLE)
    first = {name: counts[0] for name, counts in sorted(move.statements.items())}
    if os.environ.get("QINQING_PRINT_STATEMENTS"):
        print("\nstatements", connection.vendor, first)
    assert first == PINNED, {k: (v, PINNED.get(k)) for k, v in first.items()
                             if v != PINNED.get(k)}
