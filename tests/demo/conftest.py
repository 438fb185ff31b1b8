"""The demo city, its catalogue and 60 demo cases, built ONCE for this package.

Built inside an outer transaction rolled back when the package is done; each test still
runs in its own savepoint (pytest-django's `db`).
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

N_CASES = 60
SEED = 11


@pytest.fixture(scope="package")
def _demo_world(django_db_setup, django_db_blocker):
    from qinqing.cases.demo import build_demo_cases, build_demo_catalogue
    from qinqing.org.demo import build_demo_organisation

    now = timezone.now().replace(second=0, microsecond=0)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(
                    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                build_demo_organisation()
                build_demo_catalogue()
                result = build_demo_cases(N_CASES, seed=SEED, now=now)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield {"result": result, "now": now}
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def world(_demo_world, db):
    return _demo_world


@pytest.fixture
def demo_org(_demo_world, db):
    """The demo city of the package (instead of building it again for a test)."""
