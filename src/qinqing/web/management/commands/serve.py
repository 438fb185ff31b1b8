"""`qinqing serve`: the real server (gunicorn), not Django's development server."""

import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Qinqing with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("QINQING_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("QINQING_WORKERS", "2")))

    def handle(self, *args, bind, workers, **options):
        self.stdout.write(f"Qinqing at http://{bind}/  (Ctrl+C stops it)")
        self.stdout.flush()
        argv = [sys.executable, "-m", "gunicorn", "qinqing.wsgi:application",
                "--bind", bind, "--workers", str(workers), "--access-logfile", "-",
                "--graceful-timeout", "5"]
        # exec: gunicorn takes this process's place, so Ctrl+C and signals reach it directly.
        os.execv(sys.executable, argv)
