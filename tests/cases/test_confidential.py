"""Reporters' personal data: encrypted at rest, found by a keyed phone index, masked in
views, unmasked only by allowed roles with a reason (logged), and key rotation."""

from __future__ import annotations

import math

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from qinqing.cases import confidential, queries, services
from qinqing.cases.errors import Forbidden, InvalidInput
from qinqing.cases.models import CaseEvent, Reporter, UnmaskLog

from .conftest import REPORTER, case_data

PLAIN = [REPORTER["name"], REPORTER["phone"], REPORTER["id_number"], REPORTER["contact"],
         REPORTER["enterprise"], "1381234", "12345678", "清风商贸"]


def dump(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return "\n".join(repr(row) for row in cursor.fetchall())


def test_reporter_table_holds_no_plain_values(make_case):
    make_case("dispatched", reporter=dict(REPORTER, phone="+86 138-1234-5678"))
    rows = dump(Reporter._meta.db_table)
    assert rows.count("gAAAAA") >= 5  # Fernet tokens, one per filled field
    for plain in PLAIN:
        assert plain not in rows, plain
    if connection.vendor == "sqlite":  # the brief's literal query on the raw connection
        raw = repr(connection.cursor().execute("select * from cases_reporter").fetchall())
        assert REPORTER["phone"] not in raw and REPORTER["name"] not in raw


def test_no_table_of_the_database_holds_plain_reporter_values(make_case, user):
    case = make_case("closed")
    services.unmask_reporters(case.number, user("dispatcher"), "回访需要")
    tables = [t for t in connection.introspection.table_names()
              if t.startswith(("cases_", "org_", "worktime_"))]
    assert "cases_reporter" in tables and "cases_caseevent" in tables
    everything = "\n".join(dump(t) for t in tables)
    for plain in PLAIN:
        assert plain not in everything, plain


def test_phone_index_finds_a_caller_however_the_number_was_typed(make_case, user):
    first = make_case("closed", reporter={"name": "张三", "phone": "+86 138-1234-5678"})
    second = make_case("received", reporter={"name": "张三", "phone": "13812345678"})
    make_case("received", reporter={"name": "李四", "phone": "13900001111"})
    dispatcher = user("dispatcher")
    for typed in ("13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "138-1234-5678"):
        found = [c.number for c in queries.cases_of_caller(dispatcher, typed)]
        assert found == [second.number, first.number], typed  # newest first
    assert not queries.cases_of_caller(dispatcher, "13812345679").exists()
    assert not queries.cases_of_caller(dispatcher, "").exists()
    # Scoped: another county's handler finds none of the city hotline's cases.
    assert not queries.cases_of_caller(user("handler2"), "13812345678").exists()


def test_masked_values(make_case, user):
    case = make_case("dispatched", reporter={"name": "张三", "phone": "138 1234 5678",
                                             "id_number": "11010519491231002x"})
    masked = queries.masked_reporters(case, user("dispatcher"))
    assert masked == [{"id": masked[0]["id"], "name": "张*", "phone": "138****5678",
                       "id_number": "110***********002X", "contact": "", "enterprise": "",
                       "primary": True}]
    assert queries.masked_reporters(case, user("handler"))[0]["name"] == "张*"
    assert confidential.mask_name("欧阳娜娜") == "欧***"
    assert confidential.mask_phone("0357-1234567") == "035****4567"


def test_anonymous_case_has_no_reporter_row(user, demo_org):
    case = services.create_case(user("intake"), case_data(anonymous=True)).case
    assert case.is_anonymous and not Reporter.objects.filter(case=case).exists()
    assert queries.masked_reporters(case, user("dispatcher")) == []


@pytest.mark.parametrize("username", ["intake", "dispatcher", "callback", "inspector"])
def test_allowed_roles_unmask_with_a_reason_and_it_is_logged(make_case, user, username):
    case = make_case("dispatched", co_units=["990000-JW"])  # the inspector's unit sees it
    actor = user(username)
    with pytest.raises(InvalidInput) as no_reason:
        services.unmask_reporters(case.number, actor, "   ")
    assert "reason" in no_reason.value.fields
    assert not UnmaskLog.objects.exists()
    events = case.events.count()
    shown = services.unmask_reporters(case.number, actor, "回访核实诉求")
    assert [(r["name"], r["phone"], r["id_number"], r["contact"], r["enterprise"])
            for r in shown] == [(REPORTER["name"], REPORTER["phone"], REPORTER["id_number"],
                                 REPORTER["contact"], REPORTER["enterprise"])]
    log = UnmaskLog.objects.get()
    assert (log.case_id, log.user_id, log.reason, log.reporter_id) == (
        case.pk, actor.pk, "回访核实诉求", shown[0]["id"])
    assert case.events.count() == events + 1
    event = case.events.order_by("-seq").first()
    assert (event.action, event.actor_id, event.reason, event.data) == (
        "unmask", actor.pk, "回访核实诉求", {"reporters": [shown[0]["id"]]})
    assert event.from_state == event.to_state == "dispatched"


# (Handlers and leaders of the lead unit may reveal a complaint's reporter to contact the
# person first: tests/cases/test_reporter_protection.py. Not a praise's.)
@pytest.mark.parametrize("username,kind", [("handler", "praise"), ("leader", "praise"),
                                           ("supervisor", "complaint"),
                                           ("analyst", "complaint"), ("admin", "complaint")])
def test_other_roles_may_not_unmask(make_case, user, username, kind):
    case = make_case("dispatched", kind=kind)
    with pytest.raises(Forbidden):
        services.unmask_reporters(case.number, user(username), "想看看")
    assert not UnmaskLog.objects.exists()
    assert not CaseEvent.objects.filter(action="unmask").exists()


@pytest.fixture
def fresh_keys(settings):
    """settings.QINQING_FIELD_KEYS as it was, and a new key to put in front of it."""
    return list(settings.QINQING_FIELD_KEYS), Fernet.generate_key().decode()


def test_key_rotation(make_case, user, settings, fresh_keys):
    old_keys, new_key = fresh_keys
    case = make_case("dispatched")
    before = {r.pk: r.name_enc for r in Reporter.objects.all()}

    settings.QINQING_FIELD_KEYS = [new_key, *old_keys]
    assert services.rotate_keys(batch=1)["cases.Reporter"] == 1
    row = Reporter.objects.get(case=case)
    assert row.name_enc != before[row.pk]

    settings.QINQING_FIELD_KEYS = [new_key]  # the old key is gone
    shown = services.unmask_reporters(case.number, user("dispatcher"), "回访")
    assert (shown[0]["name"], shown[0]["phone"]) == (REPORTER["name"], REPORTER["phone"])
    assert queries.masked_reporters(case, user("dispatcher"))[0]["phone"] == "138****5678"
    # The phone index has its own key and survives the rotation.
    assert queries.cases_of_caller(user("dispatcher"), "13812345678").get() == case

    settings.QINQING_FIELD_KEYS = old_keys  # and the old key alone no longer reads it
    with pytest.raises(RuntimeError):
        confidential.decrypt(Reporter.objects.get(case=case).name_enc)


def test_key_rotation_covers_the_kept_query_code(user, settings, fresh_keys, demo_org):
    """An idempotent retry returns the query code, which is kept encrypted with the same
    keys; once rotated and the old key removed, it must still be readable."""
    old_keys, new_key = fresh_keys
    intake = user("intake")
    first = services.create_case(intake, case_data(), idempotency_key="retry-1")

    settings.QINQING_FIELD_KEYS = [new_key, *old_keys]
    services.rotate_keys()
    settings.QINQING_FIELD_KEYS = [new_key]
    again = services.create_case(intake, case_data(), idempotency_key="retry-1")
    assert (again.created, again.case.pk, again.query_code) == (
        False, first.case.pk, first.query_code)


def test_query_codes_of_older_cases_are_rehashed_by_the_migration(user, demo_org):
    """Migration 0003: hashes that covered the number are recomputed to cover the id,
    from each case's encrypted code; the caller's code goes on working."""
    import importlib

    from django.apps import apps

    from qinqing.cases.models import Case

    intake = services.create_case(user("intake"), case_data())
    case, code = intake.case, intake.query_code
    old = confidential.keyed_hash(f"query:{case.number}:{code}")  # the former scheme
    Case.objects.filter(pk=case.pk).update(query_code_hash=old)
    assert queries.public_status(case.number, code) is None
    importlib.import_module("qinqing.cases.migrations.0003_query_code_hash_by_case_id").rehash(
        apps, None)
    assert queries.public_status(case.number, code) == case
    assert queries.public_status(case.number, "WRONGCOD") is None


def test_query_codes_carry_at_least_50_bits_and_old_short_codes_still_open(make_case):
    bits = confidential.QUERY_CODE_LENGTH * math.log2(len(confidential.QUERY_CODE_ALPHABET))
    assert bits >= 50
    codes = {confidential.new_query_code() for _ in range(2000)}
    assert len(codes) == 2000  # no repeats in a sample
    assert all(len(c) == confidential.QUERY_CODE_LENGTH for c in codes)
    # Every symbol of the alphabet is drawn (a code from a smaller set would be weaker).
    assert set("".join(codes)) == set(confidential.QUERY_CODE_ALPHABET)
    # A code given out when codes were 8 long still opens its case.
    case = make_case("received")
    case.query_code_hash = confidential.query_code_hash(case.pk, "ZRBGVV2R")
    case.save(update_fields=["query_code_hash"])
    assert queries.public_status(case.number, "zrbg-vv2r") == case
    assert queries.public_status(case.number, "ZRBGVV2S") is None
