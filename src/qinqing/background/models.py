"""What the background workers share besides the job queue: the schedule of the periodic
tick, and each worker's heartbeat.

The job queue itself is django-tasks-db's `DBTaskResult` table (see services.py for what
that library does and does not guarantee, and what Qinqing adds).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Schedule(models.Model):
    """A periodic job: `next_run` is moved forward by the one worker that wins the period
    (one conditional UPDATE), so a period runs once however many workers there are."""

    name = models.CharField(max_length=40, primary_key=True)
    next_run = models.DateTimeField(_("Next run"))
    last_run = models.DateTimeField(_("Last run"), null=True, blank=True)
    last_worker = models.CharField(_("Last run by"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("Schedule")
        verbose_name_plural = _("Schedules")

    def __str__(self) -> str:
        return self.name


class WorkerBeat(models.Model):
    """A running worker. A thread of the worker updates `beat_at` every quarter lease; a
    worker whose beat is older than QINQING_WORKER_LEASE counts as dead, and the job it
    was running is put back in the queue (services.recover_orphaned_jobs)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(_("Started"))
    beat_at = models.DateTimeField(_("Last heartbeat"))

    class Meta:
        verbose_name = _("Worker")
        verbose_name_plural = _("Workers")

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.host}:{self.pid})"
