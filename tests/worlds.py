"""Data built once for a whole test package, and rolled back when the package is done.

The demo city takes seconds to build; building it per test would make the suite slow.
`package_world` builds it inside an outer transaction that stays open for the package,
so every test (in its own savepoint, pytest-django's `db`) starts from the same rows and
none of them survives the package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import transaction
from django.test import override_settings

T = TypeVar("T")


def package_world(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """Use as `yield from package_world(django_db_blocker, build)` in a package fixture."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # The real hasher takes ~0.3 s a password; the demo has a dozen accounts.
            with override_settings(
                    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                result = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield result
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
