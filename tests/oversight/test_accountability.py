"""Accountability records: recorded by the discipline commission (and administrators),
the official's name encrypted at rest and shown only to those two roles — never in any
page, export, case page, timeline, API answer, admin page or log of any other role —
and counted by sanction."""

from __future__ import annotations

import logging
from datetime import date
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from qinqing.cases import confidential
from qinqing.cases.errors import Forbidden, InvalidInput
from qinqing.cases.models import CaseEvent
from qinqing.org.models import Role, Unit
from qinqing.org.services import ensure_staff
from qinqing.oversight import queries, services
from qinqing.oversight.models import AccountabilityRecord, SanctionType

from .conftest import LEAD, OTHER, at

NAME = "欧阳明远"
POSITION = "审批科副科长"
NOTES = "当事人欧阳明远对拖延办理负主要责任"
SECRETS = [NAME, "欧阳明", "明远", POSITION, "审批科副", NOTES, "负主要责任"]
NAME_ROLES = {Role.DISCIPLINE_INSPECTOR, Role.ADMINISTRATOR}


def record_data(linked, **over):
    data = {"cases": " ".join(c.number for c in linked), "official_name": NAME,
            "official_position": POSITION, "official_unit": LEAD,
            "sanction": "party-warning", "decided_by": "示范市纪委监委",
            "decided_on": date(2024, 10, 8), "notes": NOTES}
    data.update(over)
    return data


@pytest.fixture
def recorded(make_case, user):
    """A closed case the discipline commission worked on (a co-unit), a joint meeting about
    it, and an accountability record naming the official."""
    case = make_case("closed", co_units=["990000-JW"], now=at(2024, 9, 2, 10, 0))
    services.record_meeting(user("supervisor"), {
        "title": "问责前情况通报会", "held_on": date(2024, 9, 20), "cases": case.number,
        "units": [LEAD, "990000-JW"], "minutes": "通报了办理延误情况。",
        "decisions": [{"text": "提交情况说明", "owner_unit": LEAD, "due_on": date(2024, 9, 25)}]},
        now=at(2024, 9, 20, 16, 0))
    record = services.record_accountability(user("inspector"), record_data([case]),
                                            now=at(2024, 10, 8, 16, 0))
    return case, record


def test_a_record_is_saved_encrypted_and_put_on_each_case_without_the_name(recorded):
    case, record = recorded
    assert record.name_enc.startswith("gAAAAA") and NAME not in record.name_enc
    assert confidential.decrypt(record.name_enc) == NAME
    assert confidential.decrypt(record.position_enc) == POSITION
    event = CaseEvent.objects.get(case=case, action="accountability")
    assert event.data == {"record": record.pk, "sanction": "party-warning",
                          "official_unit": LEAD, "decided_on": "2024-10-08"}
    assert event.reason == "党内警告（示范市纪委监委）"
    assert event.from_state == event.to_state == "closed"
    assert str(record) == f"#{record.pk}"  # admin history and errors never carry the name


def test_no_table_of_the_database_holds_the_name(recorded):
    tables = connection.introspection.table_names()
    assert "oversight_accountabilityrecord" in tables
    everything = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            everything.extend(repr(row) for row in cursor.fetchall())
    dump = "\n".join(everything)
    for secret in SECRETS:
        assert secret not in dump, secret
    assert "示范市纪委监委" in dump  # the dump does hold the record's other columns


PAGES = [
    "/", "/oversight/", "/oversight/accountability/",
    "/oversight/accountability/?start=2024-01-01&end=2024-12-31",
    "/oversight/accountability/export.csv", "/oversight/accountability/{record}/",
    "/oversight/meetings/", "/oversight/meetings/{meeting}/", "/oversight/campaigns/",
    "/oversight/inspections/", "/cases/{case}/", "/cases/?q={case}", "/supervision/",
    "/api/v1/cases/{case}", "/api/v1/cases?limit=50",
    "/admin/oversight/accountabilityrecord/",
    "/admin/oversight/accountabilityrecord/{record}/change/",
]


def _fetch_all(client, case, record):
    from qinqing.oversight.models import Meeting

    values = {"case": case.number, "record": record.pk, "meeting": Meeting.objects.get().pk}
    bodies = {}
    for page in PAGES:
        url = page.format(**values)
        response = client.get(url)
        assert response.status_code in (200, 302, 403), (url, response.status_code)
        bodies[url] = (response.status_code, response.content.decode())
    return bodies


@pytest.mark.parametrize("role", Role.values)
def test_names_reach_only_the_roles_that_may_see_them(recorded, client_for, role):
    case, record = recorded
    bodies = _fetch_all(client_for(f"r-{role}"), case, record)
    if role in NAME_ROLES:
        # The test can fail: the allowed roles do get the name where it belongs.
        detail = bodies[f"/oversight/accountability/{record.pk}/"]
        assert detail[0] == 200 and NAME in detail[1] and POSITION in detail[1]
        assert NAME in bodies["/oversight/accountability/export.csv"][1]
        # ... and nowhere else: not on the case page, its timeline or the API.
        for url in (f"/cases/{case.number}/", f"/api/v1/cases/{case.number}"):
            assert NAME not in bodies[url][1], url
        return
    for url, (status, body) in bodies.items():
        for secret in SECRETS:
            assert secret not in body, (role, url, secret)
    if role in queries.READ_ROLES:
        list_page = bodies["/oversight/accountability/"]
        assert list_page[0] == 200 and "党内警告" in list_page[1]  # the record is shown
        assert 'data-testid="names-withheld"' in list_page[1]
        detail = bodies[f"/oversight/accountability/{record.pk}/"]
        assert detail[0] == 200 and "示范市纪委监委" in detail[1]
        csv = bodies["/oversight/accountability/export.csv"][1]
        assert "示范市纪委监委" in csv and "保密" in csv  # withheld, in Chinese


def test_a_superuser_of_another_role_does_not_see_names(recorded, client_for):
    case, record = recorded
    ensure_staff(username="super-analyst", full_name="super", unit=Unit.objects.get(
        code="990000"), role=Role.ANALYST, password="x", superuser=True)
    bodies = _fetch_all(client_for("super-analyst"), case, record)
    admin_page = bodies[f"/admin/oversight/accountabilityrecord/{record.pk}/change/"]
    assert admin_page[0] == 200  # the admin opens for a superuser, without the name
    for url, (status, body) in bodies.items():
        for secret in SECRETS:
            assert secret not in body, (url, secret)


def test_the_admin_shows_the_name_to_an_administrator(recorded, client_for):
    case, record = recorded
    client = client_for("admin")
    for url in ("/admin/oversight/accountabilityrecord/",
                f"/admin/oversight/accountabilityrecord/{record.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200 and NAME in response.content.decode(), url


def test_names_stay_out_of_the_logs(demo_org, make_case, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    case = make_case("dispatched", co_units=["990000-JW"])
    form = {"cases": case.number, "official_name": NAME, "official_position": POSITION,
            "official_unit": LEAD, "sanction": "party-warning", "decided_by": "示范市纪委监委",
            "decided_on": "2024-10-08", "notes": NOTES}
    client_for("analyst").post("/oversight/accountability/new/", form)  # refused: 403
    client_for("inspector").post("/oversight/accountability/new/", {**form, "sanction": "x"})
    client_for("inspector").post("/oversight/accountability/new/", form)
    assert AccountabilityRecord.objects.count() == 1
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in SECRETS:
        assert secret not in logged


@pytest.mark.parametrize("username", ["supervisor", "dispatcher", "handler", "leader",
                                      "analyst", "intake", "callback"])
def test_only_the_discipline_commission_and_administrators_record(make_case, user, username):
    case = make_case("closed")
    with pytest.raises(Forbidden):
        services.record_accountability(user(username), record_data([case]))
    assert not AccountabilityRecord.objects.exists()
    services.record_accountability(user("r-administrator"), record_data([case]))
    assert AccountabilityRecord.objects.count() == 1


@pytest.mark.parametrize("change,field", [
    ({"official_name": " "}, "official_name"),
    ({"official_name": "名" * 61}, "official_name"),
    ({"official_unit": ""}, "official_unit"),
    ({"official_unit": "NOPE"}, "official_unit"),
    ({"sanction": "flogging"}, "sanction"),
    ({"decided_by": ""}, "decided_by"),
    ({"decided_on": date(2099, 1, 1)}, "decided_on"),
    ({"decided_on": "yesterday"}, "decided_on"),
    ({"cases": ""}, "cases"),
    ({"cases": "QQ-2024-000999"}, "cases"),
    ({"notes": "x" * 2001}, "notes"),
])
def test_bad_input_changes_nothing(make_case, user, change, field):
    case = make_case("closed", co_units=["990000-JW"])
    with pytest.raises(InvalidInput) as refused:
        services.record_accountability(user("inspector"), record_data([case], **change))
    assert field in refused.value.fields
    assert NAME not in str(refused.value.fields)
    assert not AccountabilityRecord.objects.exists()
    assert not CaseEvent.objects.filter(action="accountability").exists()


def test_a_retired_sanction_type_cannot_be_given(make_case, user):
    case = make_case("closed", co_units=["990000-JW"])
    SanctionType.objects.filter(code="reminder-talk").update(is_active=False)
    with pytest.raises(InvalidInput):
        services.record_accountability(user("inspector"),
                                       record_data([case], sanction="reminder-talk"))


def test_the_default_sanction_list_is_seeded(db):
    assert list(SanctionType.objects.order_by("sort_order").values_list("name", flat=True)) == [
        "党内严重警告", "党内警告", "政务警告", "政务记过", "诫勉谈话", "书面检查", "提醒谈话",
        "批评教育", "移送公安机关"]


def test_outcomes_by_sanction_over_a_period_and_region(make_case, user):
    inspector = user("inspector")
    here = make_case("closed", co_units=["990000-JW"])
    there = make_case("dispatched", lead=OTHER, co_units=["990000-JW"])
    for unit, sanction, day, case in [
        (LEAD, "party-warning", date(2024, 3, 1), here),
        (LEAD, "party-warning", date(2024, 6, 30), here),
        (LEAD, "police-referral", date(2024, 7, 1), here),
        (OTHER, "party-warning", date(2024, 5, 1), there),
        ("990103", "reminder-talk", date(2023, 12, 31), there),
    ]:
        services.record_accountability(inspector, record_data(
            [case], official_unit=unit, sanction=sanction, decided_on=day))

    def counts(**kw):
        return {c.sanction.code: c.count for c in queries.outcomes_by_sanction(**kw)
                if c.count}

    assert counts() == {"party-warning": 3, "police-referral": 1, "reminder-talk": 1}
    assert counts(start=date(2024, 1, 1), end=date(2024, 6, 30)) == {"party-warning": 3}
    region = Unit.objects.get(code="990102")
    assert counts(region=region) == {"party-warning": 2, "police-referral": 1}
    assert counts(region=Unit.objects.get(code="990103")) == {"party-warning": 1,
                                                               "reminder-talk": 1}
    every = queries.outcomes_by_sanction(start=date(2030, 1, 1))
    assert len(every) == 9 and {c.count for c in every} == {0}  # every type, even at zero
    # Retired types are listed only where they were given.
    SanctionType.objects.filter(code__in=["reminder-talk", "criticism-education"]).update(
        is_active=False)
    codes = [c.sanction.code for c in queries.outcomes_by_sanction()]
    assert "reminder-talk" in codes and "criticism-education" not in codes
    # Scoped to what a viewer may see: the other county's handler sees its own record only.
    assert {c.sanction.code: c.count for c in queries.outcomes_by_sanction(
        user=user("handler2")) if c.count} == {"party-warning": 1, "reminder-talk": 1}


def test_rotate_keys_re_encrypts_the_officials(recorded, settings):
    case, record = recorded
    new_key = Fernet.generate_key().decode()
    old_keys = list(settings.QINQING_FIELD_KEYS)
    settings.QINQING_FIELD_KEYS = [new_key, *old_keys]
    out = StringIO()
    call_command("rotate_keys", stdout=out)
    assert "oversight.AccountabilityRecord: re-encrypted 1 row(s)" in out.getvalue()
    settings.QINQING_FIELD_KEYS = [new_key]  # the old key is gone
    fresh = AccountabilityRecord.objects.get(pk=record.pk)
    assert confidential.decrypt(fresh.name_enc) == NAME
    assert confidential.decrypt(fresh.notes_enc) == NOTES
