"""`qinqing rotate-keys` re-encrypts every encrypted column of every app (issue 13 §3).

The columns come from the registry (qinqing.crypto_fields.encrypted_columns, by field
type); EXPECTED lists them by hand, so a personal column declared with another type, or
dropped from the registry, fails here instead of raising after the old key is removed.
"""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.utils import timezone

from qinqing.cases import confidential
from qinqing.crypto_fields import EncryptedTextField, encrypted_columns

EXPECTED = {
    "cases.Case": ("query_code_enc",),
    "cases.Reporter": ("name_enc", "phone_enc", "id_number_enc", "contact_enc",
                       "enterprise_enc"),
    "notifications.SmsMessage": ("phone_enc",),
    "oversight.AccountabilityRecord": ("name_enc", "position_enc", "notes_enc"),
    "ratings.Rating": ("rater_name_enc", "rater_phone_enc"),
    "supervision.DutyPhone": ("phone_enc",),
}


def test_the_registry_lists_every_encrypted_column():
    found = {model._meta.label: fields for model, fields in encrypted_columns()}
    assert found == EXPECTED


def test_no_encrypted_looking_column_has_another_type():
    """A new `*_enc` column declared as a plain TextField would escape rotation."""
    stray = [f"{model._meta.label}.{field.name}" for model in apps.get_models()
             for field in model._meta.local_concrete_fields
             if field.name.endswith("_enc") and not isinstance(field, EncryptedTextField)]
    assert stray == []


def test_the_clear_value_is_read_and_written_through_the_field(settings):
    from qinqing.cases.models import Reporter

    reporter = Reporter()
    reporter.name = "李四"
    assert reporter.name_enc and "李四" not in reporter.name_enc
    assert confidential.decrypt(reporter.name_enc) == "李四"
    assert reporter.name == "李四"


def _fill_every_model(make_case, user):
    """At least one row of each model that has encrypted columns."""
    from qinqing.notifications.services import queue_sms
    from qinqing.org.models import Unit
    from qinqing.oversight.models import AccountabilityRecord, SanctionType
    from qinqing.supervision.models import DutyPhone

    case = make_case("dispatched")  # a case (its query code) and its reporter
    queue_sms("13900001111", "催办", "rotation-test")
    unit = Unit.objects.get(code="990102-SCJG")
    duty = DutyPhone(unit=unit)
    duty.phone = "13700002222"
    duty.save()
    record = AccountabilityRecord.objects.create(
        name_enc=confidential.encrypt("王五"), official_unit=unit,
        sanction=SanctionType.objects.filter(is_active=True).first(), decided_by="纪委",
        decided_on=timezone.localdate(), recorded_by=user("dispatcher"), recorded_unit=unit,
        recorded_at=timezone.now())
    record.cases.add(case)
    from qinqing.codes import services as code_services
    from qinqing.ratings import services as rating_services

    code = code_services.issue(Unit.objects.get(code="990102-W01"), by=None)
    rating_services.rate(code, {"level": 2, "name": "李明", "phone": "13600003333"},
                         token="a" * 32, address="10.0.0.1", phone_verified=True)


def _clear(model: type[models.Model], field: str, pk) -> str:
    return f"{model._meta.label}.{field}.{pk}"


def test_rotate_keys_then_drop_the_old_key(make_case, user, settings):
    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.QINQING_FIELD_KEYS = [key_a]
    _fill_every_model(make_case, user)
    columns = encrypted_columns()
    # Every row of every model gets its own value under key A, in every column.
    for model, fields in columns:
        rows = list(model._default_manager.all())
        assert rows, f"no {model._meta.label} row to rotate"
        for row in rows:
            for field in fields:
                setattr(row, field, confidential.encrypt(_clear(model, field, row.pk)))
        model._default_manager.bulk_update(rows, fields)

    settings.QINQING_FIELD_KEYS = [key_b, key_a]
    out = StringIO()
    call_command("rotate_keys", "--batch", "2", stdout=out)
    for label in EXPECTED:
        assert f"{label}: re-encrypted" in out.getvalue()

    settings.QINQING_FIELD_KEYS = [key_b]  # key A is gone
    checked = 0
    for model, fields in columns:
        for row in model._default_manager.all():
            for field in fields:
                assert confidential.decrypt(getattr(row, field)) == _clear(model, field, row.pk)
                checked += 1
    assert checked >= sum(len(fields) for fields in EXPECTED.values())

    settings.QINQING_FIELD_KEYS = [key_a]  # and key A alone reads none of them any more
    for model, fields in columns:
        row = model._default_manager.first()
        for field in fields:
            with pytest.raises(RuntimeError):
                confidential.decrypt(getattr(row, field))


def test_the_models_read_their_values_after_rotation(make_case, user, settings):
    """The properties the pages use (duty phone, SMS phone) after the old key is gone."""
    from qinqing.notifications.models import SmsMessage
    from qinqing.supervision.models import DutyPhone

    key_a, key_b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.QINQING_FIELD_KEYS = [key_a]
    _fill_every_model(make_case, user)
    settings.QINQING_FIELD_KEYS = [key_b, key_a]
    call_command("rotate_keys", stdout=StringIO())
    settings.QINQING_FIELD_KEYS = [key_b]
    assert SmsMessage.objects.get(event_key="rotation-test").phone == "13900001111"
    assert DutyPhone.objects.get(unit__code="990102-SCJG").phone_masked == "137****2222"
