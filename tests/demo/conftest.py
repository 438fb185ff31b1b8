"""The demo city, its catalogue and 60 demo cases, built ONCE for this package.

Built inside an outer transaction rolled back when the package is done; each test still
runs in its own savepoint (pytest-django's `db`).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.worlds import package_world

N_CASES = 60
SEED = 11


@pytest.fixture(scope="package")
def _demo_world(django_db_setup, django_db_blocker):
    now = timezone.now().replace(second=0, microsecond=0)

    def build():
        from qinqing.demo.cases import build_demo_cases, build_demo_catalogue
        from qinqing.demo.city import build_demo_organisation

        build_demo_organisation()
        build_demo_catalogue()
        return {"result": build_demo_cases(N_CASES, seed=SEED, now=now), "now": now}

    yield from package_world(django_db_blocker, build)


@pytest.fixture
def world(_demo_world, db):
    return _demo_world


@pytest.fixture
def demo_org(_demo_world, db):
    """The demo city of the package (instead of building it again for a test)."""
