"""Time limits: policies, and the stored deadline of every stage a case goes through."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qinqing.cases.models.case import Case, Kind, Urgency
from qinqing.worktime.limits import LimitFormatError, parse_limit


def validate_limit(text: str) -> None:
    try:
        parse_limit(text)
    except LimitFormatError as exc:
        raise ValidationError(str(exc)) from None


class Stage(models.TextChoices):
    DISPATCH = "dispatch", _("Dispatch")
    SIGN = "sign", _("Sign")
    RESOLVE = "resolve", _("Resolve")
    # The lead unit's head approves the reply before it leaves the unit (domain.md §5):
    # the unit's time, so a late review is charged to the unit, not to the callback desk.
    REVIEW = "review", _("Unit review")
    CALLBACK = "callback", _("Callback")


# Who must act on each stage, and so who is charged when it is late: the lead unit
# signs, resolves and reviews its reply; the hotline (the case's owner unit) dispatches
# and calls back. The board, the ladder, the queues and oversight all read these.
UNIT_STAGES = (Stage.SIGN, Stage.RESOLVE, Stage.REVIEW)
HOTLINE_STAGES = (Stage.DISPATCH, Stage.CALLBACK)

# The moves that do each stage's work (StageClock.ended_by). The unit answers a dispatch
# by signing or by objecting (a return), and its head decides on a reply by approving
# it or sending it back; a reply is the resolve stage's only work, and a callback (with
# or without a result) the callback stage's. A clock another move stops ends with that
# move's own outcome and is not counted as its stage done, on time or late: a return
# stops the resolve clock without a reply (and, before the review stage existed, a
# send-back stopped the callback clock without a callback). None: any move that stops
# the stage does its work (the hotline routes, answers, rejects or merges).
COMPLETED_BY: dict[str, tuple[str, ...] | None] = {
    Stage.DISPATCH: None,
    Stage.SIGN: ("sign", "return"),
    Stage.RESOLVE: ("reply",),
    Stage.REVIEW: ("review", "send_back"),
    Stage.CALLBACK: ("callback", "close_unrated", "reopen"),
}


def completes(stage: str, ended_by: str) -> bool:
    """Whether a clock of `stage` stopped by the move `ended_by` had its stage's work done
    (blank: a clock stopped before the platform recorded how, counted as done)."""
    moves = COMPLETED_BY.get(stage)
    return moves is None or not ended_by or ended_by in moves


class TimeLimitPolicy(models.Model):
    """Limits per stage for a kind and urgency; blank kind or urgency matches any.

    The most specific active policy applies (kind and urgency, then kind, then urgency,
    then the default). The default is the Linfen business-environment rule: dispatch in
    1 working hour, sign in 2, resolve in 3 working days, call back within 1; the unit's
    review of its reply (not part of the Linfen rule) within 1 working day.
    """

    name = models.CharField(_("Name"), max_length=60)
    kind = models.CharField(_("Kind"), max_length=16, choices=Kind.choices, blank=True)
    urgency = models.CharField(_("Urgency"), max_length=8, choices=Urgency.choices, blank=True)
    dispatch_limit = models.CharField(_("Dispatch limit"), max_length=8, default="1h",
                                      validators=[validate_limit])
    sign_limit = models.CharField(_("Sign limit"), max_length=8, default="2h",
                                  validators=[validate_limit])
    resolve_limit = models.CharField(_("Resolve limit"), max_length=8, default="3d",
                                     validators=[validate_limit])
    review_limit = models.CharField(_("Unit review limit"), max_length=8, default="1d",
                                    validators=[validate_limit])
    callback_limit = models.CharField(_("Callback limit"), max_length=8, default="1d",
                                      validators=[validate_limit])
    warning_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("Warning at % of the limit"), default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)])
    max_extensions = models.PositiveSmallIntegerField(_("Extensions allowed"), default=2)
    max_suspensions = models.PositiveSmallIntegerField(_("Suspensions allowed"), default=1)
    is_active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Time-limit policy")
        verbose_name_plural = _("Time-limit policies")
        constraints = [
            models.UniqueConstraint(fields=["kind", "urgency"], condition=Q(is_active=True),
                                    name="one_active_policy_per_kind_urgency"),
        ]

    def __str__(self) -> str:
        return self.name

    def limit_for(self, stage: str) -> str:
        return getattr(self, f"{stage}_limit")


class StageClock(models.Model):
    """One stage of one case against its time limit.

    The deadline is stored when the stage starts (Zammad's lesson: "overdue" must be an
    indexed column, not a computation). It is a pure function of the start, the limit,
    the approved extensions, the office time spent suspended and the calendar, so a
    provisional deadline can be recomputed exactly once its year is entered.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clocks")
    stage = models.CharField(_("Stage"), max_length=10, choices=Stage.choices)
    # Whose time the clock measures: the lead unit when a unit stage (UNIT_STAGES) starts,
    # kept when the case is routed elsewhere later, so each unit answers for its own
    # clocks; none for the hotline's own stages.
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+",
                             null=True, blank=True, verbose_name=_("Unit"))
    policy = models.ForeignKey(TimeLimitPolicy, on_delete=models.PROTECT, related_name="+")
    limit = models.CharField(_("Limit"), max_length=8)
    extension_limits = models.JSONField(_("Approved extensions"), default=list)
    paused_seconds = models.PositiveIntegerField(_("Time suspended (s)"), default=0)
    started_at = models.DateTimeField(_("Started at"))
    warn_at = models.DateTimeField(_("Warning from"))
    due_at = models.DateTimeField(_("Due at"))
    paused_at = models.DateTimeField(_("Suspended since"), null=True, blank=True)
    done_at = models.DateTimeField(_("Done at"), null=True, blank=True)
    on_time = models.BooleanField(_("On time"), null=True)
    # The move that stopped the clock (a row of the transition table: "sign", "return",
    # "reply", "send_back", "callback", …); COMPLETED_BY says which ones do the stage's work.
    ended_by = models.CharField(_("Ended by"), max_length=24, blank=True)
    provisional = models.BooleanField(_("Provisional"), default=False)
    calendar_version = models.CharField(_("Calendar data"), max_length=120)

    class Meta:
        verbose_name = _("Stage clock")
        verbose_name_plural = _("Stage clocks")
        indexes = [
            # Only open clocks are ever scanned for warning and overdue.
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="clock_open_due"),
            models.Index(fields=["warn_at"], condition=Q(done_at__isnull=True),
                         name="clock_open_warn"),
            models.Index(fields=["case", "stage"], condition=Q(done_at__isnull=True),
                         name="clock_open_case_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage} due {self.due_at:%Y-%m-%d %H:%M}"


class ChangeRequest(models.Model):
    """A unit's request to extend or suspend its resolve stage, and the decision on it."""

    class Type(models.TextChoices):
        EXTENSION = "extension", _("Extension")
        SUSPENSION = "suspension", _("Suspension")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="change_requests")
    type = models.CharField(_("Type"), max_length=10, choices=Type.choices)
    limit = models.CharField(_("Extra time"), max_length=8, blank=True)
    reason = models.TextField(_("Reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(_("Requested at"))
    approved = models.BooleanField(_("Approved"), null=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("Decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("Decision reason"), blank=True)

    class Meta:
        verbose_name = _("Extension or suspension request")
        verbose_name_plural = _("Extension and suspension requests")
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(decided_at__isnull=True),
                                    name="one_pending_request_per_case"),
        ]
