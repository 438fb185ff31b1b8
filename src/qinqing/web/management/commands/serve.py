"""`qinqing serve`: the real server (gunicorn), not Django's development server.

With `--with-worker` it also runs one background worker (`qinqing worker`: jobs and the
periodic tick) as a second child process, and stops both when either stops or when it is
told to stop (Ctrl+C, SIGTERM): what `make run` uses, so a demo installation escalates
late cases by itself.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Qinqing with gunicorn (and, with --with-worker, one background worker)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("QINQING_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int,
                            default=int(os.environ.get("QINQING_WORKERS", "2")))
        parser.add_argument("--with-worker", action="store_true",
                            help="also run `qinqing worker` beside the server; stop both together")

    def handle(self, *args, bind, workers, with_worker, **options):
        self.stdout.write(f"Qinqing at http://{bind}/  (Ctrl+C stops it)")
        self.stdout.flush()
        argv = [sys.executable, "-m", "gunicorn", "qinqing.wsgi:application",
                "--bind", bind, "--workers", str(workers), "--access-logfile", "-",
                "--graceful-timeout", "5"]
        if not with_worker:
            # exec: gunicorn takes this process's place, so Ctrl+C and signals reach it directly.
            os.execv(sys.executable, argv)
        self._supervise(argv)

    def _supervise(self, server_argv):
        worker_argv = [sys.executable, "-m", "qinqing.cli", "worker"]
        children = [subprocess.Popen(server_argv), subprocess.Popen(worker_argv)]
        self.stdout.write("Background worker started beside the server.")
        self.stdout.flush()
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            # Until we are told to stop or one child ends (a worker that crashed must not
            # leave a server that silently escalates nothing, nor the reverse).
            while not stopping and all(child.poll() is None for child in children):
                time.sleep(0.2)
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for child in children:
                try:
                    child.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        codes = [child.returncode for child in children]
        if not stopping and any(codes):
            self.stderr.write(f"qinqing serve: a child stopped (server {codes[0]}, "
                              f"worker {codes[1]}); both are stopped now.")
            sys.exit(1)
