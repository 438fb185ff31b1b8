"""cases/rowwrite.py: the intake's four rows written as one statement on PostgreSQL.

The shortcut skips Model.save() and its signals; these tests make sure nothing is lost by
that: the rows read back equal what the ORM would have written, and no receiver is
connected that the shortcut would skip (other apps receive the timeline's hook)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import signals

from qinqing.cases import services
from qinqing.cases.models import Case, CaseEvent, Reporter, StageClock
from qinqing.cases.timeline import broken_chains
from tests.cases.conftest import REPORTER

WRITTEN_TOGETHER = (Case, Reporter, StageClock, CaseEvent)


@pytest.mark.parametrize("model", WRITTEN_TOGETHER, ids=lambda m: m.__name__)
def test_no_pre_save_receiver_would_be_skipped(model):
    assert not any(signals.pre_save._live_receivers(model)), (
        f"a pre_save receiver is connected for {model.__name__}, which the intake writes "
        "with cases.rowwrite (no pre_save): do that work in services._create instead")


@pytest.mark.parametrize("model", WRITTEN_TOGETHER, ids=lambda m: m.__name__)
def test_no_post_save_receiver_would_be_skipped(model):
    assert not any(signals.post_save._live_receivers(model)), (
        f"a post_save receiver is connected for {model.__name__}, which the intake writes "
        "with cases.rowwrite (no post_save): receive qinqing.cases.timeline.case_changed "
        "instead (at intake, return the rows to write with the case)")


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields
            if not (f.primary_key and not isinstance(obj, Case))}


def test_rows_read_back_equal_the_instances(demo_org, user):
    intake = services.create_case(user("intake"), {
        "kind": "complaint", "channel": "hotline", "category": "SPFW-01", "region": "990102",
        "content": "窗口办理营业执照超时", "reporter": REPORTER}, idempotency_key="rw-1")
    case = intake.case
    stored = Case.objects.get(pk=case.pk)
    assert _fields(stored) == {**_fields(case), "updated_at": stored.updated_at}
    assert stored.number.startswith("QQ-") and stored.intake_key.endswith(":rw-1")
    reporter = Reporter.objects.get(case=case)
    assert reporter.phone_index and reporter.created_at is not None
    clock = StageClock.objects.get(case=case)
    assert (clock.stage, clock.done_at, clock.policy_id) == ("dispatch", None,
                                                             clock.policy_id)
    event = CaseEvent.objects.get(case=case)
    assert event.data["clocks"]["started"][0]["due"]  # the JSON column round-trips
    assert event.hash == event.compute_hash() and list(broken_chains()) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="data-modifying CTEs are PostgreSQL's")
def test_a_failing_row_writes_none_of_them(demo_org, user):
    from django.db import IntegrityError, transaction

    from qinqing.cases import rowwrite
    from qinqing.cases.models.ledger import GENESIS

    first = services.create_case(user("intake"), {
        "kind": "consultation", "channel": "hotline", "category": "SPFW-01",
        "content": "咨询"}).case
    before = (Case.objects.count(), CaseEvent.objects.count())
    case = Case(pk=rowwrite.next_id(Case), number="QQ-1999-000001", query_code_enc="x",
                query_code_hash="x", kind="consultation", channel="hotline",
                category=first.category, title="t", content="c", region=first.region,
                owner_unit=first.owner_unit, received_at=first.received_at)
    duplicate = CaseEvent(case=first, seq=1, action="create", at=first.received_at,
                          prev_hash=GENESIS, hash="0")  # seq 1 exists: unique violation
    with pytest.raises(IntegrityError), transaction.atomic():
        rowwrite.insert_together(case, duplicate)
    assert (Case.objects.count(), CaseEvent.objects.count()) == before
