"""The `qinqing` command: Django's management commands under Qinqing's settings.

`qinqing migrate`, `qinqing demo`, `qinqing deadline ...`, `qinqing serve`, and so on.
Configuration mistakes end with one line on stderr and exit status 2, never a traceback:
the person who typed the command needs to know what to fix, not where Django noticed.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qinqing.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "qinqing"
    if len(argv) > 1 and not argv[1].startswith("-"):
        # `qinqing verify-ledger` reads better; Django's command modules use underscores.
        argv[1] = argv[1].replace("-", "_")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"qinqing: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    except ValueError as exc:  # e.g. a malformed boolean in the environment
        print(f"qinqing: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)

    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(argv)
    except OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        print(f"qinqing: database error: {first_line}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
