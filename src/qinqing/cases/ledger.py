"""Verifying the timeline ledger's hash chains."""

from __future__ import annotations

from collections.abc import Iterator

from qinqing.cases.models import Case, CaseEvent
from qinqing.cases.models.ledger import GENESIS


def broken_chains(batch: int = 2000) -> Iterator[tuple[str, int, str]]:
    """Yield (case number, event seq, problem) for every case whose history was altered.

    Streams events in case order, so memory stays flat whatever the ledger's size.
    """
    numbers = dict(Case.objects.values_list("pk", "number"))
    current, prev_hash, expected_seq, bad = None, GENESIS, 1, False
    events = CaseEvent.objects.order_by("case_id", "seq").iterator(chunk_size=batch)
    for event in events:
        if event.case_id != current:
            current, prev_hash, expected_seq, bad = event.case_id, GENESIS, 1, False
        if bad:
            continue
        problem = None
        if event.seq != expected_seq:
            problem = f"event {expected_seq} is missing"
        elif event.prev_hash != prev_hash:
            problem = "link to the previous event is broken"
        elif event.compute_hash() != event.hash:
            problem = "content does not match its hash"
        if problem:
            bad = True
            yield numbers.get(event.case_id, str(event.case_id)), event.seq, problem
        prev_hash, expected_seq = event.hash, expected_seq + 1
    # A case with no events at all lost its whole history.
    for pk in Case.objects.filter(events__isnull=True).values_list("pk", flat=True):
        yield numbers[pk], 0, "has no timeline"
