"""The per-process master-data cache (qinqing.refdata) and the intake built on it.

An administrator's edit is seen at once by the process that made it, an edit this process
cannot hear of (another process; QuerySet.update) within QINQING_REFDATA_TTL seconds; an
edit that is rolled back never reaches the cache. And the intake it serves: numbers taken
last and gap-free, the first event written without a look-up, the ledger intact.
"""

from __future__ import annotations

from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from qinqing import refdata as refdata_module
from qinqing.cases import confidential, deadlines, queries, services, timeline
from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import Case, CaseEvent, Category, Stage, StageClock, TimeLimitPolicy
from qinqing.cases.models.ledger import GENESIS
from qinqing.cases.timeline import broken_chains
from qinqing.org.models import Unit
from qinqing.refdata import refdata
from qinqing.worktime.models import CalendarOverride
from qinqing.worktime.queries import current_calendar

from .conftest import at, case_data

MONDAY = at(2026, 3, 2, 10, 0)  # an ordinary working Monday


@pytest.fixture
def fake_clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(refdata_module, "clock", lambda: now[0])
    return now


def register(user, now=MONDAY, **data):
    return services.create_case(user("intake"), case_data(**data), now=now).case


def dispatch_clock(case) -> StageClock:
    return StageClock.objects.get(case=case, stage=Stage.DISPATCH)


def reads(table: str):
    """Count the SELECTs on one table while active: .count after the block."""
    class Counter:
        count = 0

    def record(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in sql:
            Counter.count += 1
        return execute(sql, params, many, context)

    return Counter, connection.execute_wrapper(record)


# ------------------------------------------------------------------ what is cached

def test_master_data_is_read_once_per_process(user, demo_org):
    register(user, subject_unit="990102-XZSP")
    register(user, region="990102")
    counters = {t: reads(t) for t in ("cases_category", "org_unit", "cases_timelimitpolicy",
                                      "worktime_calendaroverride")}
    for counter, wrapper in counters.values():
        wrapper.__enter__()
    try:
        register(user, subject_unit="990102-XZSP")
        register(user, region="990102")
    finally:
        for counter, wrapper in counters.values():
            wrapper.__exit__(None, None, None)
    assert {t: c.count for t, (c, _) in counters.items()} == dict.fromkeys(counters, 0)


def test_handed_out_instances_are_copies(demo_org):
    errors = {}
    one = services._category("SPFW-01", errors)
    one.name = "changed"
    two = services._category("SPFW-01", errors)
    assert two is not one and two.name != "changed" and not errors


def test_handed_out_copies_carry_their_related_rows_as_copies(user, demo_org):
    from qinqing.refdata import _handed_out

    stored = user("handler")
    one = _handed_out(stored)
    assert (one.pk, one.username, one._state.db, one._state.adding) == (
        stored.pk, stored.username, "default", False)
    with CaptureQueriesContext(connection) as reading:
        one.unit.name = "changed"  # from the copied select_related cache: no query
    assert not reading.captured_queries
    assert one.unit is not stored.unit and stored.unit.name != "changed"
    assert _handed_out(stored).unit.name == stored.unit.name
    one.username = "changed"
    assert stored.username != "changed"


def test_unknown_codes_are_not_kept(demo_org):
    errors = {}
    for i in range(50):
        assert services._category(f"GUESS-{i}", errors) is None
        assert services._unit(f"GUESS-{i}", "region", errors) is None
    assert not [k for k in refdata._entries if "GUESS" in str(k)]


# --------------------------------------------------- this process's edits: at once

def test_withdrawn_category_is_refused_at_once(user, demo_org):
    register(user)
    category = Category.objects.get(code="SPFW-01")
    category.is_active = False
    category.save()
    with pytest.raises(InvalidInput) as refused:
        register(user)
    assert "category" in refused.value.fields


def test_new_category_is_accepted_at_once(user, demo_org):
    with pytest.raises(InvalidInput):
        register(user, category="NEW-01")
    Category.objects.create(code="NEW-01", name="新类别")
    assert register(user, category="NEW-01").category.code == "NEW-01"


def test_deactivated_unit_is_refused_at_once(user, demo_org):
    register(user, subject_unit="990102-XZSP")
    unit = Unit.objects.get(code="990102-XZSP")
    unit.is_active = False
    unit.save()
    with pytest.raises(InvalidInput) as refused:
        register(user, subject_unit="990102-XZSP")
    assert "subject_unit" in refused.value.fields


def test_moved_unit_takes_its_new_region_at_once(user, demo_org):
    assert register(user, subject_unit="990102-XZSP").region.code == "990102"
    unit = Unit.objects.get(code="990102-XZSP")
    unit.parent = Unit.objects.get(code="990103")
    unit.save()
    assert register(user, subject_unit="990102-XZSP").region.code == "990103"


def test_policy_edit_applies_to_the_next_case_at_once(user, demo_org):
    assert dispatch_clock(register(user)).due_at == MONDAY + timedelta(hours=1)
    policy = TimeLimitPolicy.objects.get(kind="", urgency="", is_active=True)
    policy.dispatch_limit = "2h"
    policy.save()
    assert dispatch_clock(register(user)).due_at == MONDAY + timedelta(hours=2)


def test_calendar_override_applies_to_the_next_case_at_once(user, demo_org):
    assert dispatch_clock(register(user)).due_at == at(2026, 3, 2, 11, 0)
    CalendarOverride.objects.create(date=date(2026, 3, 2), is_workday=False, note="停电")
    # Monday is off now: the hour starts on Tuesday at nine.
    assert dispatch_clock(register(user)).due_at == at(2026, 3, 3, 10, 0)
    CalendarOverride.objects.get(date=date(2026, 3, 2)).delete()
    assert dispatch_clock(register(user)).due_at == at(2026, 3, 2, 11, 0)


# -------------------------------------- edits this process cannot hear of: the TTL

def test_unheard_edit_is_seen_after_the_ttl(user, demo_org, fake_clock):
    register(user)
    Category.objects.filter(code="SPFW-01").update(is_active=False)  # no signal
    fake_clock[0] += 4.9
    register(user)  # still the cached category
    fake_clock[0] += 0.2
    with pytest.raises(InvalidInput):
        register(user)


def test_unheard_calendar_edit_is_seen_after_the_ttl(user, demo_org, fake_clock):
    register(user)
    CalendarOverride.objects.bulk_create([CalendarOverride(date=date(2026, 3, 2),
                                                           is_workday=False)])
    assert dispatch_clock(register(user)).due_at == at(2026, 3, 2, 11, 0)
    fake_clock[0] += 5.1
    assert dispatch_clock(register(user)).due_at == at(2026, 3, 3, 10, 0)


def test_ttl_is_a_setting(user, demo_org, fake_clock, settings):
    settings.QINQING_REFDATA_TTL = 60
    register(user)
    Category.objects.filter(code="SPFW-01").update(is_active=False)
    fake_clock[0] += 30
    register(user)
    fake_clock[0] += 31
    with pytest.raises(InvalidInput):
        register(user)
    settings.QINQING_REFDATA_TTL = 0  # off: every call reads
    Category.objects.filter(code="SPFW-01").update(is_active=True)
    register(user)


# ------------------------------------------------------------ transactions

def test_rolled_back_edit_never_reaches_the_cache(user, demo_org):
    register(user)
    with pytest.raises(RuntimeError), transaction.atomic():
        Category.objects.create(code="TEMP-01", name="临时")
        # Read inside the editing transaction: seen, but not kept.
        assert register(user, category="TEMP-01").category.code == "TEMP-01"
        raise RuntimeError("rolled back")
    with pytest.raises(InvalidInput):
        register(user, category="TEMP-01")
    # With the edit gone, the cache works again.
    register(user)
    assert ("category", "SPFW-01") in refdata._entries


def test_default_policy_created_in_a_rolled_back_transaction_is_not_kept(demo_org):
    TimeLimitPolicy.objects.all().delete()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert deadlines.policy_for("complaint", "normal").pk
        raise RuntimeError("rolled back")
    # Had it been kept, every clock would point at a row that does not exist.
    assert not TimeLimitPolicy.objects.exists()
    assert not [key for key in refdata._entries if key[0] == "policy"]
    policy = deadlines.policy_for("complaint", "normal")
    assert TimeLimitPolicy.objects.filter(pk=policy.pk).exists()


def test_commit_empties_the_cache_again(user, demo_org, django_capture_on_commit_callbacks):
    register(user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        category = Category.objects.get(code="SPFW-01")
        category.name = "改名"
        category.save()
        assert refdata._entries == {}
        # Another thread reads the old committed row between the edit and the commit.
        refdata.forget_pending_edits()
        refdata.get(("category", "SPFW-01"), lambda: "old row")
        assert refdata._entries
    assert len(callbacks) == 1
    assert refdata._entries == {}


def test_calendar_edit_empties_the_cache_before_the_recompute(
        user, demo_org, django_capture_on_commit_callbacks):
    seen = []
    with mock.patch.object(services, "recompute_provisional_deadlines",
                           lambda: seen.append(dict(refdata._entries))):
        current_calendar()
        with django_capture_on_commit_callbacks(execute=True):
            CalendarOverride.objects.create(date=date(2027, 1, 1), is_workday=False)
    assert seen == [{}]


def test_provisional_deadline_uses_the_calendar_in_the_database(user, demo_org):
    """Another process entered 2027 a moment ago; this one still holds the old calendar.
    A provisional deadline would be wrong for good (the recompute has already run)."""
    start = at(2027, 3, 1, 10, 0)  # Monday; 2027 unknown to the package
    first = register(user, now=start)
    assert dispatch_clock(first).provisional
    CalendarOverride.objects.bulk_create([CalendarOverride(date=date(2027, 3, 1),
                                                           is_workday=False)])  # no signal
    second = dispatch_clock(register(user, now=start))
    assert (second.due_at, second.provisional) == (at(2027, 3, 2, 10, 0), False)


# ------------------------------------------------------------ the intake itself

def test_first_event_is_written_without_a_look_up(user, demo_org):
    counter, wrapper = reads("cases_caseevent")
    with wrapper:
        case = register(user)
    assert counter.count == 0
    event = CaseEvent.objects.get(case=case)
    assert (event.seq, event.prev_hash, event.hash) == (1, GENESIS, event.compute_hash())
    services.perform(case.number, "dispatch", user("dispatcher"), {"lead_unit": "990102-SCJG"})
    second = CaseEvent.objects.get(case=case, seq=2)
    assert second.prev_hash == event.hash
    assert list(broken_chains()) == []


def test_number_and_query_code_are_final(user, demo_org):
    intake = services.create_case(user("intake"), case_data(), now=MONDAY)
    stored = Case.objects.get(pk=intake.case.pk)
    assert stored.number == intake.case.number
    assert stored.number.startswith("QQ-2026-")
    assert stored.query_code_hash == confidential.query_code_hash(stored.pk, intake.query_code)
    assert queries.public_status(stored.number, intake.query_code) == stored


def test_failed_intake_leaves_no_gap(user, demo_org):
    first = register(user)
    # Fails after the number was taken (the event is built once the case has it).
    with mock.patch.object(timeline, "new_event", side_effect=RuntimeError("boom")), \
            pytest.raises(RuntimeError):
        register(user)
    second = register(user)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1
    assert Case.objects.filter(pk__gt=first.pk).count() == 1


def test_numbers_start_again_each_year(user, demo_org):
    last_of_year = register(user, now=at(2031, 12, 31, 23, 59))
    first_of_year = register(user, now=at(2032, 1, 1, 0, 1))
    assert last_of_year.number == "QQ-2031-000001"
    assert first_of_year.number == "QQ-2032-000001"


def test_public_intake_goes_to_the_top_unit_read_once(demo_org):
    first = services.create_case(None, case_data(), now=MONDAY).case
    counter, wrapper = reads("org_unit")
    with wrapper:
        second = services.create_case(None, case_data(), now=MONDAY).case
    assert first.owner_unit == second.owner_unit == Unit.objects.get(parent=None)
    assert counter.count == 0
