"""Writes of the enterprise registry."""

from __future__ import annotations

from django.db import transaction

from qinqing.enterprises.models import Enterprise, normalise_credit_code
from qinqing.org.models import Unit


def register(name: str, credit_code: str, region: Unit) -> Enterprise:
    """Enter an enterprise, or bring an entered one (the same credit code) up to date.

    Checked as the admin checks it (the credit code by its check character, the name's
    length); a bad value raises django's ValidationError and changes nothing."""
    code = normalise_credit_code(credit_code)
    with transaction.atomic():
        enterprise = (Enterprise.objects.select_for_update().filter(credit_code=code).first()
                      or Enterprise(credit_code=code))
        enterprise.name, enterprise.region = name.strip(), region
        enterprise.full_clean()
        enterprise.save()
    return enterprise
