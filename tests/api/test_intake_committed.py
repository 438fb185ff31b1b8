"""The intake and the caches with real transactions, as in production (no outer test
transaction: create_case's atomic block is BEGIN … COMMIT, on-commit callbacks run)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import CONSULTATION
from tests.api.test_intake_statements import (
    COMMITTED, COMMITTED_QUIET, post, shape, statements,
)

# serialized_rollback: the flush after each test would also remove the categories and the
# policy the migrations seed, which later tests rely on; this puts them back.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _token_cache_on(settings):
    settings.QINQING_TOKEN_TTL = 5


def test_intake_in_production_shape(api_client):
    assert post(api_client).status_code == 201
    with statements() as seen:
        assert post(api_client, key="k-1").status_code == 201
    # (SQLite's BEGIN IMMEDIATE goes through the cursor; PostgreSQL's BEGIN would not.)
    assert [shape(s) for s in seen if not s.startswith("BEGIN")] == COMMITTED
    # CaptureQueriesContext also lists a transaction's BEGIN and COMMIT. (It slices
    # connection.queries_log, which the test client empties when the request starts: so
    # the log is emptied first for the slice to be right.)
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        assert post(api_client, key="k-2").status_code == 201
    sql = [q["sql"] for q in captured.captured_queries]
    if connection.vendor == "postgresql":
        # The reporter gave a phone: the statement and the SMS in one transaction.
        assert sql[0] == "BEGIN" and sql[-1] == "COMMIT", sql
        assert [shape(s) for s in sql[1:-1]] == COMMITTED, sql
    else:
        assert sql[0].startswith("BEGIN") and sql[-1] == "COMMIT", sql
        assert len(sql) == len(COMMITTED) + 2, sql


def test_intake_without_a_phone_in_production_shape(api_client):
    body = {**CONSULTATION, "reporter": {"name": "张三丰"}}
    assert post(api_client, body).status_code == 201
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        assert post(api_client, body, key="k-1").status_code == 201
    sql = [q["sql"] for q in captured.captured_queries]
    if connection.vendor == "postgresql":
        # Two round trips, no BEGIN or COMMIT: the writing statement is its own transaction.
        assert [shape(s) for s in sql] == COMMITTED_QUIET, sql
    else:
        assert sql[0].startswith("BEGIN") and sql[-1] == "COMMIT", sql
        assert len(sql) == len(COMMITTED_QUIET) + 2, sql


def test_a_flushed_sequence_row_is_made_again(api_client):
    """The process remembers that the year's sequence row exists; if it disappears (a
    database flushed between tests), the intake makes it again instead of failing."""
    from qinqing.cases.models import Case, NumberSequence

    first = post(api_client).json()["number"]
    NumberSequence.objects.filter(series="case").delete()
    Case.objects.filter(number=first).update(number="QQ-1999-000001")  # as if flushed too
    second = post(api_client)
    assert second.status_code == 201, second.content
    assert second.json()["number"].endswith("-000001") and first.endswith("-000001")


def test_retry_outside_a_transaction(api_client):
    first = post(api_client, key="k-1")
    again = post(api_client, key="k-1")
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json() == {**first.json(), "created": False}
    other = post(api_client, {**CONSULTATION, "content": "另一件事"}, key="k-1")
    assert other.json()["code"] == "idempotency_key_reused"
    following = post(api_client).json()["number"]
    assert int(following[-6:]) == int(first.json()["number"][-6:]) + 1


def test_committed_and_rolled_back_edits(api_client):
    from qinqing.cases.models import Category
    from qinqing.refdata import refdata

    assert post(api_client).status_code == 201
    # Rolled back after a read inside the transaction: the cache never held it.
    with pytest.raises(RuntimeError), transaction.atomic():
        category = Category.objects.get(code="SPFW-01")
        category.is_active = False
        category.save()
        assert post(api_client).status_code == 422
        raise RuntimeError("rolled back")
    assert post(api_client).status_code == 201
    assert ("category", "SPFW-01") in refdata._entries
    # Committed: emptied at the edit and at COMMIT, refused at once.
    with transaction.atomic():
        category = Category.objects.get(code="SPFW-01")
        category.is_active = False
        category.save()
    assert refdata._entries == {}
    refused = post(api_client)
    assert refused.status_code == 422 and "category" in refused.json()["fields"]
    # Outside a transaction (autocommit) too.
    category.is_active = True
    category.save()
    assert post(api_client).status_code == 201


def test_deactivated_user_is_refused_at_once(api_client, users):
    assert post(api_client).status_code == 201
    user = users["intake"]
    user.is_active = False
    user.save()
    assert post(api_client).status_code == 401
