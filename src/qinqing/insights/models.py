"""Data of the figures: the fact table every metric is counted from.

`Fact` is a narrow projection of the case tables, written in the same transaction as the
case change it reflects (facts.py), so a figure never waits for a job and never reads the
wide case rows. Three kinds of row, each carrying the case's dimensions (kind, channel,
category, region, lead unit) *as they were when the row's event happened*, so that every
filter is a condition on one row, without a join, and a later change of the case does
not move a finished period's figures:

- one CASE row per case: when it was received, first dispatched, first answered (its
  answer left the unit) and whether on time, closed, first called back, first reopened,
  and how it ended; dimensions as they stood at the end of the
  day of receipt, lead unit the one it was first routed to;
- one CLOCK row per stage clock: stage, start, deadline, stop, the move that stopped it,
  on time or late, and the working time it took (computed once, when it stopped, by the
  working calendar); dimensions at the clock's start, lead unit the unit that held it;
- one CALLBACK row per callback (satisfied, basically satisfied, dissatisfied = reopened,
  or closed unrated), with whether the caller said the matter was solved and whether
  the person judged online (no call); dimensions
  and lead unit at the callback.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models import Case, Category
from qinqing.org.models import Unit


class Fact(models.Model):
    class Row(models.IntegerChoices):
        CASE = 1, _("Case")
        CLOCK = 2, _("Stage clock")
        CALLBACK = 3, _("Callback")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    row = models.PositiveSmallIntegerField(choices=Row.choices)

    # The case's dimensions, on every row, as they were at the row's event (facts.py).
    received_on = models.DateField()  # local (Asia/Shanghai) date of received_at
    kind = models.CharField(max_length=16)
    channel = models.CharField(max_length=20)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+",
                                 db_index=False)
    region = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+",
                               db_index=False)
    lead_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+",
                                  null=True, db_index=False)

    # CASE rows.
    dispatched_at = models.DateTimeField(null=True)  # first dispatch
    closed_at = models.DateTimeField(null=True)
    closed_on = models.DateField(null=True)  # local date of closed_at
    outcome = models.CharField(max_length=16, blank=True)
    called_back_at = models.DateTimeField(null=True)  # first callback of any result
    reopened_at = models.DateTimeField(null=True)  # first dissatisfied callback
    # The answer first left the unit (a direct answer, or the reply its head approved),
    # and whether every stage clock before then had stopped by its deadline (facts.py).
    answered_at = models.DateTimeField(null=True)
    answered_on_time = models.BooleanField(null=True)

    # CLOCK rows (done_at is also the moment of a CALLBACK row).
    stage = models.CharField(max_length=10, blank=True)
    started_at = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)
    paused = models.BooleanField(default=False)
    on_time = models.BooleanField(null=True)
    worked_seconds = models.PositiveIntegerField(null=True)
    # The move that stopped the clock (cases.StageClock.ended_by): a stage counts as done
    # only when a move that does its work stopped it (cases COMPLETED_BY), not a return
    # or a send-back.
    ended_by = models.CharField(max_length=24, blank=True)

    # CALLBACK rows.
    satisfaction = models.CharField(max_length=20, blank=True)  # blank: closed unrated
    resolved = models.BooleanField(null=True)
    # The case's first callback with a result (satisfied, basically satisfied or
    # dissatisfied): the reopen rate counts cases by it, under the unit that replied.
    first_rated = models.BooleanField(default=False)
    # Judged online by the person (qinqing.portal's online-rating account), not called.
    online = models.BooleanField(default=False)

    # For the daily rollups (rollup.py): a CASE row's earliest deadline among its running,
    # unsuspended clocks ("overdue now" is next_due_at < now); a finished CLOCK row's
    # working-time bucket (the 90th percentile is found in its bucket); the local date of
    # the row's latest event and how many days after receipt that was (a figure of a
    # period leaves out the events after its end); whether the row is counted in the
    # rollups yet (an intake is not: it is added from here until the case's next move).
    next_due_at = models.DateTimeField(null=True)
    bucket = models.PositiveSmallIntegerField(null=True)
    last_event_on = models.DateField(null=True)
    lag_days = models.PositiveIntegerField(default=0)
    rolled = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("Fact")
        verbose_name_plural = _("Facts")
        indexes = [
            models.Index(fields=["case"], name="fact_case"),
            # Scans by period, for the whole city, a region, a lead unit or a category
            # (PostgreSQL: index-only for the common columns).
            models.Index(fields=["received_on", "last_event_on"], name="fact_received",
                         include=["row", "rolled"]),
            models.Index(fields=["region", "received_on"], name="fact_region"),
            models.Index(fields=["lead_unit", "received_on"], name="fact_unit"),
            models.Index(fields=["category", "received_on"], name="fact_category"),
            # Rows not in the rollups yet, and rows whose last event came 14 days or more
            # after receipt (rollup.LATE_DAYS): the two small sets a rollup query reads.
            models.Index(fields=["received_on"], name="fact_pending",
                         condition=Q(rolled=False)),
            models.Index(fields=["received_on"], name="fact_late",
                         condition=Q(lag_days__gte=14)),
            models.Index(fields=["received_on", "next_due_at"], name="fact_overdue",
                         condition=Q(next_due_at__isnull=False),
                         include=["kind", "channel", "category", "region", "lead_unit"]),
            models.Index(fields=["stage", "bucket", "received_on"], name="fact_worked",
                         condition=Q(bucket__isnull=False),
                         include=["worked_seconds", "done_at", "kind", "channel", "region",
                                  "lead_unit", "category"]),
            models.Index(fields=["closed_on"], name="fact_closed",
                         condition=Q(closed_on__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_row_display()} {self.stage}".strip()


class TypicalCase(models.Model):
    """A case staff chose as typical for bulletins (典型案例), told in an anonymised summary.

    The summary is what the public reads: services.mark_typical refuses one that names the
    reporter, gives a phone or ID number, or names the enterprise, unless staff state that
    the names may be published (e.g. the enterprise agreed).
    """

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("Case"))
    title = models.CharField(_("Headline"), max_length=80)
    summary = models.TextField(_("Anonymised summary"))
    names_publishable = models.BooleanField(
        _("Names may be published"), default=False,
        help_text=_("Only when the people and enterprises named have agreed."))
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("Chosen by"))
    chosen_at = models.DateTimeField(_("Chosen at"))
    withdrawn_at = models.DateTimeField(_("Withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Typical case")
        verbose_name_plural = _("Typical cases")

    def __str__(self) -> str:
        return self.title


class Bulletin(models.Model):
    """A published bulletin: the figures, summary and typical cases exactly as published.

    The figures of a finished period are a function of what happened in it (facts.py)
    and recomputing them gives the same numbers (except "overdue now", measured at the
    moment of computing); what the public page and its downloads show is this snapshot,
    with the moment it was computed.
    """

    start = models.DateField(_("Period from"))
    end = models.DateField(_("Period to"))
    region = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("Region"))
    title = models.CharField(_("Title"), max_length=120)
    document = models.JSONField(_("Published content"))
    published_at = models.DateTimeField(_("Published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("Published by"))
    withdrawn_at = models.DateTimeField(_("Withdrawn at"), null=True, blank=True)
    # The issue: 第N期 of the year of publication (Asia/Shanghai), numbered in publication
    # order across all regions; a withdrawn issue keeps its number (numbers are not
    # reused), and republishing a period is a new issue. Null only on bulletins whose
    # year had none when the numbering came (never after publish_bulletin).
    issue_year = models.PositiveSmallIntegerField(_("Year of issue"), null=True, blank=True)
    issue_number = models.PositiveIntegerField(_("Issue number"), null=True, blank=True)
    issuing_body = models.CharField(_("Issuing body"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("Published bulletin")
        verbose_name_plural = _("Published bulletins")
        indexes = [models.Index(fields=["region", "-end", "-published_at"],
                                name="bulletin_region_latest")]
        constraints = [models.UniqueConstraint(fields=["issue_year", "issue_number"],
                                               name="bulletin_issue_unique")]

    def __str__(self) -> str:
        return self.title


class BulletinFile(models.Model):
    """A published bulletin's download (PDF, Excel, JSON), rendered once at publication.

    Kept in the database rather than as a file in QINQING_DATA_DIR: it is written in the
    same transaction as the bulletin, so a bulletin is never public without its files and
    no file outlives a rolled-back publication; it is backed up and restored with the
    database, and works alike on SQLite and PostgreSQL (bytea). A bulletin's files are
    a few hundred kB and bulletins are few (one a month per region or so).
    """

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="files")
    fmt = models.CharField(_("Format"), max_length=8)
    content_type = models.CharField(max_length=100)
    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    rendered_at = models.DateTimeField()

    class Meta:
        verbose_name = _("Bulletin file")
        verbose_name_plural = _("Bulletin files")
        constraints = [models.UniqueConstraint(fields=["bulletin", "fmt"],
                                               name="bulletin_file_unique")]

    def __str__(self) -> str:
        return self.filename


class Daily(models.Model):
    """The rollup: per day of receipt, slice and key, how many events of each measure the
    facts hold (and their working seconds), whenever the events happened.

    Slices: 0 the whole scope, 1 by kind, 2 by channel, 3 by region (key: unit id), 4 by
    destination, 5 working-time buckets per stage (the whole scope only). rollup.py
    keeps it equal to the sum of the rolled facts' events, in the same transaction as
    the facts; `qinqing rollup --check` proves it.
    """

    day = models.DateField()
    slice = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=32)
    measure = models.CharField(max_length=32)
    n = models.BigIntegerField(default=0)
    seconds = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("Daily rollup")
        verbose_name_plural = _("Daily rollups")
        constraints = [models.UniqueConstraint(fields=["slice", "day", "key", "measure"],
                                               name="daily_unique")]


# The ranking weights and lobby display tokens (dashboard_models.py), here so Django finds them.
from qinqing.insights.dashboard_models import (  # noqa: E402,F401
    CaseTerms, DisplayToken, RankingPolicy)
