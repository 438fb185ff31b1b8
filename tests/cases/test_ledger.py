"""The timeline ledger: hash-chained, append-only, and verify_ledger finds tampering."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from qinqing.cases.models import CaseEvent
from qinqing.cases.models.ledger import GENESIS
from qinqing.cases.timeline import broken_chains


@pytest.fixture
def two_cases(make_case):
    """A case with six events (create … callback) and an untouched neighbour."""
    return make_case("closed"), make_case("handling")


def verify() -> str:
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    return out.getvalue()


def verify_fails() -> tuple[str, str]:
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("verify_ledger", stdout=out)
    return out.getvalue(), str(failed.value)


def test_chain_links_every_event_to_the_previous_one(two_cases):
    case, _ = two_cases
    events = list(case.events.order_by("seq"))
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].prev_hash == GENESIS
    for previous, event in zip(events, events[1:]):
        assert event.prev_hash == previous.hash
    assert all(e.hash == e.compute_hash() for e in events)
    assert len({e.hash for e in events}) == 6


def test_untouched_ledger_is_intact(two_cases):
    assert "ledger intact" in verify()
    assert list(broken_chains()) == []


def test_altered_event_is_found(two_cases):
    case, neighbour = two_cases
    middle = case.events.get(seq=3)
    # The ORM refuses; a queryset update (like SQL behind its back) does not.
    assert CaseEvent.objects.filter(pk=middle.pk).update(reason="altered") == 1
    out, error = verify_fails()
    assert f"{case.number}: event 3" in out
    assert neighbour.number not in out
    assert "1 case(s)" in error
    assert list(broken_chains()) == [(case.number, 3, "content does not match its hash")]


def test_altered_details_or_time_are_found(two_cases):
    case, neighbour = two_cases
    event = neighbour.events.get(seq=2)
    CaseEvent.objects.filter(pk=event.pk).update(data={**event.data, "lead_unit": "990103-SCJG"})
    first = case.events.get(seq=1)
    CaseEvent.objects.filter(pk=first.pk).update(at=first.at.replace(year=first.at.year - 1))
    out, error = verify_fails()
    assert f"{case.number}: event 1" in out and f"{neighbour.number}: event 2" in out
    assert "2 case(s)" in error


def test_event_deleted_in_the_middle_is_found(two_cases):
    case, _ = two_cases
    middle = case.events.get(seq=4)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CaseEvent._meta.db_table} WHERE id = %s", [middle.pk])
    out, _error = verify_fails()
    assert f"{case.number}: event 5: event 4 is missing" in out


def test_rehashed_event_breaks_the_next_link(two_cases):
    """Recomputing the altered event's own hash does not help: the next event points to
    the old one."""
    case, _ = two_cases
    event = case.events.get(seq=2)
    event.reason = "altered"
    CaseEvent.objects.filter(pk=event.pk).update(reason="altered", hash=event.compute_hash())
    assert list(broken_chains()) == [(case.number, 3, "link to the previous event is broken")]


def test_case_without_any_event_is_found(two_cases):
    case, _ = two_cases
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CaseEvent._meta.db_table} WHERE case_id = %s", [case.pk])
    out, _error = verify_fails()
    assert f"{case.number}: event 0: has no timeline" in out


def test_events_are_append_only_through_the_orm(two_cases):
    case, _ = two_cases
    event = case.events.get(seq=2)
    event.reason = "altered"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert case.events.get(seq=2).reason != "altered"
    assert case.events.count() == 6
    assert "ledger intact" in verify()
