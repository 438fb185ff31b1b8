"""The demo city and its catalogue, built ONCE for this package (rolled back at its end);
each test builds the rest of the demo inside its own savepoint (pytest-django's `db`).

A package of its own: tests/demo's package world holds demo cases, which would be in
every demo built here."""

from __future__ import annotations

import pytest

from tests.worlds import package_world


@pytest.fixture(scope="package")
def _demo_city(django_db_setup, django_db_blocker):
    def build():
        from qinqing.demo.cases import build_demo_catalogue
        from qinqing.demo.city import build_demo_organisation

        build_demo_organisation()
        build_demo_catalogue()

    yield from package_world(django_db_blocker, build)


@pytest.fixture
def demo_city(_demo_city, db, settings):
    # The real hasher takes ~0.3 s a password; the demo adds a handler account per unit.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
