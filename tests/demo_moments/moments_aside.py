"""Run by tests/demo_moments/conftest.py in a process of its own, over a fresh database:
test_demo_at_any_moment.py's check of the whole demo at each of its moments, as its test
runs it (the demo city and its catalogue built first, each moment in a transaction rolled
back after it, the process caches emptied between moments, the fast password hasher).
Writes {moment (ISO 8601): null when it passed, else the traceback} as JSON to the file
named by the first argument.

    python moments_aside.py OUT.json
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the tests package


class _Rollback(Exception):
    pass


def main(out: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.utils import translation

    from qinqing import refdata
    from qinqing.demo.cases import build_demo_catalogue
    from qinqing.demo.city import build_demo_organisation
    from tests.demo_moments.test_demo_at_any_moment import MOMENTS, check_the_whole_demo_at

    setup_test_environment()  # as under pytest-django: the test client's host, mail kept
    call_command("migrate", "--noinput", "-v", "0")
    results: dict[str, str | None] = {}
    with override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            QINQING_TOKEN_TTL=0):  # tests/conftest.py's
        build_demo_organisation()
        build_demo_catalogue()
        for now in MOMENTS.values():
            refdata.reset_all()
            translation.deactivate()
            try:
                with transaction.atomic():
                    try:
                        check_the_whole_demo_at(now, Client())
                    except BaseException:
                        results[now.isoformat()] = traceback.format_exc()
                    else:
                        results[now.isoformat()] = None
                    raise _Rollback
            except _Rollback:
                pass
    refdata.reset_all()
    with open(out, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
