"""What one POST /api/v1/cases costs in SQL, and the token cache that keeps it there.

Statements are recorded with connection.execute_wrapper: CaptureQueriesContext (and
pytest-django's django_assert_num_queries) slice connection.queries_log, which the test
client's request_started signal empties in the middle of the request.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.db import connection

from qinqing import refdata
from tests.api.conftest import CONSULTATION

# An intake after warm-up (token and master data cached), inside the test's transaction,
# so create_case's transaction is a savepoint. PostgreSQL: a new case id, then one
# statement that takes the number and writes the four rows (cases/rowwrite.py); the
# year's number-sequence row is made sure of first (in production only once per process:
# the fact is kept on commit, which never comes in a test transaction). SQLite, in
# process, has no round trips to save: the number, then one INSERT per row, and the
# query-code hash (it covers the case's id) once the case has its id.
#
# The body gives a phone, so the reporter is texted the number and the query code
# (cases.services.case_received → notifications.services.text_new_case) in the intake's
# transaction: one more INSERT, in queue_sms's savepoint (its event key makes it
# idempotent). On PostgreSQL the one statement then needs a transaction around it, and
# keeps its own savepoint inside (its retry after a missing sequence row needs one): with a
# phone, PostgreSQL's intake is 3 round trips of work plus 4 of savepoints, not 2. An
# intake without a phone is unchanged (QUIET, below).
SMS = ["SAVEPOINT", "INSERT notifications_smsmessage", "RELEASE SAVEPOINT"]
ROWS = ["INSERT cases_case", "INSERT cases_reporter", "INSERT cases_stageclock",
        "INSERT cases_caseevent",
        # the case's facts for the figures (qinqing.insights.facts): the case, its clock
        "INSERT insights_fact", "INSERT insights_fact"]
if connection.vendor == "postgresql":
    WORK = ["WITH UPDATE cases_numbersequence + " + " + ".join(ROWS)]
    QUIET = ["SELECT nextval", "INSERT cases_numbersequence", "SAVEPOINT", *WORK,
             "RELEASE SAVEPOINT"]
    INTAKE = ["SAVEPOINT", *QUIET, *SMS, "RELEASE SAVEPOINT"]
    # Without a phone, autocommit: the statement is its own transaction. With one, the
    # statement and the SMS between BEGIN and COMMIT (which are not statements here).
    COMMITTED_QUIET = ["SELECT nextval", *WORK]
    COMMITTED = ["SELECT nextval", "SAVEPOINT", *WORK, "RELEASE SAVEPOINT", *SMS]
else:
    WORK = ["UPDATE cases_numbersequence", "INSERT cases_case", "UPDATE cases_case",
            *ROWS[1:]]
    QUIET = ["SAVEPOINT", *WORK, "RELEASE SAVEPOINT"]
    INTAKE = ["SAVEPOINT", *WORK, *SMS, "RELEASE SAVEPOINT"]
    COMMITTED_QUIET = WORK  # between BEGIN and COMMIT
    COMMITTED = [*WORK, *SMS]
BEFORE = 13  # docs/performance.md: token, 5 master-data reads, pre-check, previous event, …


@pytest.fixture(autouse=True)
def _token_cache_on(settings):
    settings.QINQING_TOKEN_TTL = 5  # tests/conftest.py turns it off for the other tests


@contextmanager
def statements():
    seen: list[str] = []

    def record(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield seen


def shape(sql: str) -> str:
    sql = sql.strip()
    for control in ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"):
        if sql.startswith(control):
            return control
    if "nextval(" in sql:
        return "SELECT nextval"
    verb = sql.split(None, 1)[0].upper()
    if verb == "WITH":  # data-modifying CTEs: every write they hold, in order
        writes = re.findall(r'(INSERT INTO|UPDATE)\s+"?(\w+)"?', sql)
        return "WITH " + " + ".join(f"{v.split()[0]} {t}" for v, t in writes)
    table = re.search(r'(?:INTO|UPDATE|FROM)\s+"?(\w+)"?', sql)
    return f"{verb} {table.group(1) if table else '?'}"


def post(api_client, body=CONSULTATION, key=None, as_="intake"):
    headers = {"Idempotency-Key": key} if key else None
    return api_client.post("/cases", body, as_=as_, headers=headers)


def test_intake_after_warm_up(api_client):
    assert post(api_client).status_code == 201  # warm-up: token, category, region, policy…
    with statements() as seen:
        response = post(api_client)
    assert response.status_code == 201, response.content
    assert [shape(s) for s in seen] == INTAKE
    work = [s for s in seen if "SAVEPOINT" not in s]
    assert len(work) == (4 if connection.vendor == "postgresql" else 9) < BEFORE


def test_intake_without_a_phone_texts_nobody_and_costs_what_it_did(api_client):
    body = {**CONSULTATION, "reporter": {"name": "张三丰"}}
    assert post(api_client, body).status_code == 201
    with statements() as seen:
        response = post(api_client, body)
    assert response.status_code == 201, response.content
    assert [shape(s) for s in seen] == QUIET
    work = [s for s in seen if "SAVEPOINT" not in s]
    assert len(work) == (3 if connection.vendor == "postgresql" else 8) < BEFORE


def test_intake_with_a_subject_unit_and_an_idempotency_key_is_the_same(api_client):
    body = {**CONSULTATION, "kind": "complaint", "subject_unit": "990102-XZSP",
            "region": "990102"}
    assert post(api_client, body, key="warm").status_code == 201
    with statements() as seen:
        response = post(api_client, body, key="k-2")
    assert response.status_code == 201, response.content
    assert [shape(s) for s in seen] == INTAKE


def test_retry_answers_the_first_case_and_leaves_no_gap(api_client):
    from qinqing.cases.models import Case

    first = post(api_client, key="retry-1")
    with statements() as seen:
        again = post(api_client, key="retry-1")
    assert (first.status_code, again.status_code) == (201, 200), again.content
    assert again.json() == {**first.json(), "created": False}
    # The INSERT hits the unique key; its savepoint is rolled back (the number with it)
    # and the first case read. (PostgreSQL: the savepoint of the statement and the one of
    # the transaction around it and the SMS, each rolled back; no SMS is queued.)
    rollback = ["ROLLBACK TO SAVEPOINT", "RELEASE SAVEPOINT"]
    if connection.vendor == "postgresql":
        failing = [*INTAKE[:INTAKE.index("SAVEPOINT", 1) + 1], WORK[0], *rollback]
    else:
        failing = ["SAVEPOINT", *WORK[:2]]
    assert [shape(s) for s in seen] == [*failing, *rollback, "SELECT cases_case"]
    # The retry took no number: the next case's follows the first one's.
    following = post(api_client).json()["number"]
    assert int(following[-6:]) == int(first.json()["number"][-6:]) + 1
    assert Case.objects.count() == 2
    # And the transaction around it is still usable (on PostgreSQL an error outside a
    # savepoint would refuse every later statement).
    assert Case.objects.filter(number=first.json()["number"]).exists()


def test_same_key_with_another_body_is_refused(api_client):
    from qinqing.cases.models import Case

    assert post(api_client, key="k-1").status_code == 201
    other = post(api_client, {**CONSULTATION, "content": "另一件事"}, key="k-1")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # Also when the other body would not even be valid: the key is named, not the fields.
    invalid = post(api_client, {**CONSULTATION, "category": "NO-SUCH"}, key="k-1")
    assert invalid.status_code == 422 and invalid.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_retry_is_answered_after_the_category_was_withdrawn(api_client):
    from qinqing.cases.models import Category

    first = post(api_client, key="k-1")
    category = Category.objects.get(code=CONSULTATION["category"])
    category.is_active = False
    category.save()
    again = post(api_client, key="k-1")
    assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    fresh = post(api_client, key="k-2")
    assert fresh.status_code == 422 and "category" in fresh.json()["fields"]


# --------------------------------------------------------------------- token cache

def _refused(response):
    return response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_token_is_looked_up_once(api_client):
    post(api_client)
    with statements() as seen:
        api_client.get("/cases", as_="intake")
    assert not [s for s in seen if "cases_apitoken" in s]


def test_deactivated_user_is_refused_at_once(api_client, users):
    assert post(api_client).status_code == 201  # the token is cached now
    user = users["intake"]
    user.is_active = False
    user.save()
    assert _refused(post(api_client))


def test_revoked_and_deleted_tokens_are_refused_at_once(api_client, users):
    from qinqing.cases.models import ApiToken

    assert post(api_client).status_code == 201
    assert api_client.get("/cases", as_="dispatcher").status_code == 200
    token = ApiToken.objects.get(user=users["intake"])
    token.is_active = False
    token.save()
    assert _refused(post(api_client))
    ApiToken.objects.get(user=users["dispatcher"]).delete()
    assert _refused(api_client.get("/cases", as_="dispatcher"))


def test_new_role_is_seen_at_once(api_client, users):
    assert post(api_client).status_code == 201
    user = users["intake"]
    user.role = "handler"
    user.save()
    assert post(api_client).status_code == 403


def test_sign_in_does_not_empty_the_token_cache(api_client, users):
    from django.contrib.auth.models import update_last_login

    post(api_client)
    update_last_login(None, users["dispatcher"])  # what every web sign-in does
    with statements() as seen:
        post(api_client)
    assert not [s for s in seen if "cases_apitoken" in s]


def test_other_processes_edit_is_seen_after_the_ttl(api_client, users, monkeypatch):
    """QuerySet.update sends no signal, like an edit made by another process."""
    from qinqing.org.models import User

    now = [1000.0]
    monkeypatch.setattr(refdata, "clock", lambda: now[0])
    assert post(api_client).status_code == 201
    User.objects.filter(pk=users["intake"].pk).update(is_active=False)
    now[0] += 4.9
    assert post(api_client).status_code == 201  # still within QINQING_TOKEN_TTL (5 s)
    now[0] += 0.2
    assert _refused(post(api_client))


def test_token_ttl_zero_looks_up_every_time(api_client, settings):
    settings.QINQING_TOKEN_TTL = 0
    post(api_client)
    with statements() as seen:
        api_client.get("/cases", as_="intake")
    assert [s for s in seen if "cases_apitoken" in s]


def test_cached_user_is_a_copy_per_request(api_client, users):
    from qinqing.api.main import TokenAuth

    post(api_client)
    token = api_client.tokens["intake"]

    class Request:
        pass

    one, two = Request(), Request()
    first = TokenAuth().authenticate(one, token)
    first.role = "handler"
    first.unit.name = "changed"
    second = TokenAuth().authenticate(two, token)
    assert second.role == "intake_agent" and second.unit.name != "changed"
    assert second is not first and second.unit is not first.unit


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's conversion cache")
def test_the_intake_statement_is_converted_once_per_process(api_client, monkeypatch):
    # qinqing.config.cache_long_statements: psycopg parses a statement's placeholders
    # on every execution unless the statement is short enough for its cache, and the
    # intake's is not, by default. Uncached conversions go through these two functions.
    from psycopg import _queries

    parsed = []
    for name in ("_query2pg_nocache", "_query2pg_client_nocache"):
        original = getattr(_queries, name)
        monkeypatch.setattr(_queries, name, lambda query, *args, _f=original: (
            parsed.append(query), _f(query, *args))[1])
    assert post(api_client).status_code == 201
    assert post(api_client).status_code == 201
    assert parsed == []
