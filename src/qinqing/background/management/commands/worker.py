"""`qinqing worker`: run background jobs and the periodic tick (see qinqing/background)."""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from qinqing.background.worker import QinqingWorker


class Command(BaseCommand):
    help = ("Run background jobs (django-tasks database queue) and, once per "
            "QINQING_TICK_SECONDS across all workers, the tick (escalation ladder, SMS).")

    def add_arguments(self, parser):
        parser.add_argument("--worker-id", default="",
                            help="unique name of this worker (default: generated)")
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds to wait when no job is ready (default 1)")
        parser.add_argument("--no-tick", action="store_true",
                            help="run jobs only, never the tick")
        parser.add_argument("--once", action="store_true",
                            help="run the tick if it is due and every ready job, then exit")

    def handle(self, *args, worker_id, interval, no_tick, once, verbosity, **options):
        worker_id = worker_id.strip() or f"w-{get_random_string(12)}"
        if len(worker_id) > 64:
            raise CommandError("--worker-id: at most 64 characters")
        if not 0 < interval <= 60:
            raise CommandError("--interval: a number of seconds above 0 and at most 60")
        logger = logging.getLogger("qinqing.worker")
        logger.setLevel(logging.INFO if verbosity >= 1 else logging.WARNING)
        if not logger.handlers:
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
            logger.addHandler(handler)
            logger.propagate = False
        worker = QinqingWorker(worker_id=worker_id, interval=interval, tick=not no_tick)
        if once:
            report = worker.run_once()
            self.stdout.write(f"{report['jobs']} jobs run; tick: "
                              f"{'ran' if report['tick'] else 'not due'}")
            return
        self.stdout.write(f"Qinqing worker {worker_id} (tick every "
                          f"{settings.QINQING_TICK_SECONDS} s; Ctrl+C stops it)")
        self.stdout.flush()
        worker.configure_signals()
        worker.run()
