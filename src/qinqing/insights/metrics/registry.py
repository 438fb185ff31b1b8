"""The formula registry: every figure Qinqing shows, by name, with its formula text, its
numerator and its denominator. Written to be read alone, by someone who checks what the
figures mean rather than how they are queried; there is no query code here.

How to read an entry, ``Metric(name, label, formula, family, numerator, denominator,
statistic, unit, basis)``:

- ``formula`` is the definition shown next to the figure everywhere (pages, bulletins,
  the API's ``formula`` field, the open data): what is counted and over what.
- ``numerator`` and ``denominator`` name aggregates of the ``family`` of fact rows the
  figure is counted from: ``cases`` (one row per case: received, routed, closed…),
  ``clocks`` (one row per stage clock: started, done, on time, working time),
  ``callbacks`` (one row per callback: rated, satisfied, resolved…), ``overdue`` (cases
  past a running deadline *now*), ``closures`` (cases closed in the period) and
  ``accountability`` (records of officials held accountable). The aggregates are counted
  in from_facts.py (and, the same, from the daily rollups in from_rollup.py).
- ``statistic`` says how the value follows: ``count`` (the numerator), ``difference``
  (numerator − denominator), ``ratio`` and ``mean`` (numerator ÷ denominator, exact, None
  when the denominator is 0), ``p90`` (the nearest-rank 90th percentile).
- ``basis``: ``cohort`` (the cases received in the period, as they stood at its end),
  ``snapshot`` (measured now) or ``flow`` (counted by the day of the event).

Three definitions are set by configuration (settings.py, domain.md §10): which callback
results count as satisfied, which stage's on-time stop is a response, and the base of the
resolution rate; their formula texts follow the setting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _, gettext_lazy

from qinqing.cases.models import Stage
from qinqing.cases.models.case import Satisfaction

# -------------------------------------------------------------------------- figure

UNIT_COUNT, UNIT_RATIO, UNIT_SECONDS = "count", "ratio", "seconds"


@dataclass(frozen=True)
class Figure:
    name: str  # e.g. "closure_rate"
    label: str  # translated label
    formula: str  # translated, human-readable formula, e.g. "closed ÷ routed"
    value: int | Decimal | None  # None when the denominator is 0 (never a fake 0 %)
    numerator: int | None = None
    denominator: int | None = None
    unit: str = UNIT_COUNT  # count, ratio (0–1) or seconds (of working time)

    @property
    def text(self) -> str:
        """The value as shown to people: rates in per cent to one decimal, working time
        in hours to one decimal, counts as they are. Rounded here and only here."""
        if self.value is None:
            return "—"
        if self.unit == UNIT_RATIO:
            return _("%(percent)s%%") % {"percent": _round(self.value * 100, "0.1")}
        if self.unit == UNIT_SECONDS:
            return _("%(hours)s h") % {"hours": _round(Decimal(self.value) / 3600, "0.1")}
        return str(self.value)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "label": str(self.label), "formula": str(self.formula),
                "value": None if self.value is None else str(self.value),
                "numerator": self.numerator, "denominator": self.denominator,
                "unit": self.unit, "text": self.text}


def _round(value: Decimal, places: str) -> str:
    return str(Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _quotient(numerator: int | None, denominator: int | None) -> Decimal | None:
    if not denominator:
        return None
    with localcontext() as ctx:
        ctx.prec = 28
        return Decimal(numerator or 0) / Decimal(denominator)


# ------------------------------------------------------------------ configuration

def satisfied_levels() -> tuple[str, ...]:
    """Callback results that count as satisfied (domain.md §10: satisfied and basically
    satisfied, unless the policy says otherwise): QINQING_SATISFIED_LEVELS."""
    return tuple(getattr(settings, "QINQING_SATISFIED_LEVELS",
                         (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)))


def response_stage() -> str:
    """The stage whose on-time stop counts as a response (Beijing's response rate):
    QINQING_RESPONSE_STAGE, "sign" (default) or "dispatch"."""
    return getattr(settings, "QINQING_RESPONSE_STAGE", Stage.SIGN)


def resolution_base() -> str:
    """Denominator of the resolution rate: "rated" callbacks (default) or "all" callbacks,
    closed-unrated ones included: QINQING_RESOLUTION_BASE."""
    return getattr(settings, "QINQING_RESOLUTION_BASE", "rated")


# ------------------------------------------------------------------------ registry

@dataclass(frozen=True)
class Metric:
    """A named figure: which family of facts it is counted from, how, and its words.

    statistic: "count" (value = the numerator aggregate), "difference" (numerator −
    denominator aggregates, e.g. routed − closed), "ratio" and "mean" (numerator ÷
    denominator), "p90" (the 90th percentile aggregate, over denominator values).
    """

    name: str
    label: Promise
    formula: Promise | Callable[[], str]
    family: str  # cases, clocks, callbacks, overdue, closures
    numerator: str
    denominator: str | None = None
    statistic: str = "count"
    unit: str = UNIT_COUNT
    basis: str = "cohort"  # cohort (received in the period), snapshot (now), flow

    def formula_text(self) -> str:
        return str(self.formula() if callable(self.formula) else self.formula)

    def figure(self, agg: dict[str, Any]) -> Figure:
        num = agg.get(self.numerator, 0) or 0
        den = agg.get(self.denominator, 0) or 0 if self.denominator else None
        if self.statistic == "count":
            return self._make(num)
        if self.statistic == "difference":
            return self._make(num - den)
        if self.statistic in ("ratio", "mean"):
            return self._make(_quotient(num, den), num, den)
        if self.statistic == "p90":
            value = agg.get(self.numerator) if den else None
            return self._make(value, None, den)
        raise ValueError(self.statistic)

    def _make(self, value, numerator=None, denominator=None) -> Figure:
        return Figure(self.name, str(self.label), self.formula_text(), value, numerator,
                      denominator, self.unit)


STAGES = (Stage.DISPATCH, Stage.SIGN, Stage.RESOLVE, Stage.REVIEW, Stage.CALLBACK)
STAGE_WORDS = {  # formula words per stage: what does its work (cases COMPLETED_BY)
    Stage.DISPATCH: gettext_lazy("dispatch (received → dispatched or answered)"),
    Stage.SIGN: gettext_lazy("sign (dispatched → signed for or returned as not the unit's)"),
    Stage.RESOLVE: gettext_lazy("resolve (dispatched → replied; a return is not a reply)"),
    Stage.REVIEW: gettext_lazy("unit review (replied → approved or sent back by the unit "
                               "head)"),
    Stage.CALLBACK: gettext_lazy("callback (approved reply → called back or closed "
                                 "unrated)"),
}


def _satisfaction_formula() -> str:
    levels = "＋".join(str(Satisfaction(level).label) for level in satisfied_levels())
    return _("callbacks whose result is %(levels)s ÷ rated callbacks (a dissatisfied "
             "callback reopens the case; closed-unrated cases are not rated), made by the "
             "end of the period") % {"levels": levels}


def _response_formula() -> str:
    if response_stage() == Stage.DISPATCH:
        return _("new cases dispatched or answered on time ÷ dispatch-stage clocks started, "
                 "by the end of the period")
    return _("dispatches signed for by the unit on time ÷ dispatches (each dispatch starts "
             "a sign-stage clock), by the end of the period")


def _resolution_formula() -> str:
    if resolution_base() == "all":
        return _("callbacks where the caller says the matter is solved ÷ all callbacks "
                 "(rated or closed unrated), by the end of the period; a dissatisfied "
                 "callback counts as not solved")
    return _("callbacks where the caller says the matter is solved ÷ rated callbacks, by "
             "the end of the period; a dissatisfied callback counts as not solved")


def _registry() -> dict[str, Metric]:
    m = [
        Metric("received", gettext_lazy("Matters received"),
               gettext_lazy("cases received in the period (by time of receipt)"),
               "cases", "received"),
        Metric("consultations", gettext_lazy("Consultations received"),
               gettext_lazy("cases of kind consultation received in the period"),
               "cases", "consultations"),
        Metric("direct_answers", gettext_lazy("Answered directly"),
               gettext_lazy("consultations answered on the spot (direct answer), by the end "
                            "of the period"), "cases", "direct_answers"),
        Metric("direct_answer_rate", gettext_lazy("Direct-answer rate"),
               gettext_lazy("direct answers ÷ consultations received"),
               "cases", "direct_answers", "consultations", "ratio", UNIT_RATIO),
        Metric("routed", gettext_lazy("Routed to units"),
               gettext_lazy("cases dispatched to a lead unit at least once by the end of the "
                            "period"), "cases", "routed"),
        Metric("closed", gettext_lazy("Closed"),
               gettext_lazy("routed cases closed after handling (called back, or closed "
                            "unrated) by the end of the period; a routed case later rejected "
                            "or merged is not counted"), "cases", "closed"),
        Metric("in_progress", gettext_lazy("In progress"),
               gettext_lazy("routed cases not closed in any way (handled, rejected or "
                            "merged) by the end of the period"),
               "cases", "routed", "ended", "difference"),
        Metric("closure_rate", gettext_lazy("Closure rate"),
               gettext_lazy("closed ÷ routed (routed cases closed after handling by the end "
                            "of the period ÷ cases routed)"), "cases", "closed", "routed",
               "ratio", UNIT_RATIO),
        Metric("completion_rate", gettext_lazy("Completion rate, direct answers included"),
               gettext_lazy("(direct answers + closed) ÷ matters received"),
               "cases", "completed", "received", "ratio", UNIT_RATIO),
        Metric("other_matters", gettext_lazy("Neither answered directly nor routed"),
               gettext_lazy("received − direct answers − routed: merged, rejected, not accepted "
                            "(another procedure) or waiting for dispatch at the end of the "
                            "period"), "cases", "other"),
        Metric("answered", gettext_lazy("Answered"),
               gettext_lazy("cases whose answer left the unit by the end of the period: "
                            "answered directly, or the lead unit's reply approved by its head "
                            "(the callback clock starts); each case once, at its first answer"),
               "cases", "answered"),
        Metric("answer_rate", gettext_lazy("Answer rate"),
               gettext_lazy("answered ÷ matters received (cases received in the period whose "
                            "answer left the unit by its end)"),
               "cases", "answered", "received", "ratio", UNIT_RATIO),
        Metric("answered_on_time", gettext_lazy("Answered on time"),
               gettext_lazy("answered cases whose every stage before the answer (dispatch, "
                            "sign, resolve, unit review) was done by its deadline, extensions "
                            "included, suspensions excluded"),
               "cases", "answered_on_time"),
        Metric("answered_on_time_rate", gettext_lazy("On-time answer rate"),
               gettext_lazy("answered on time ÷ answered"),
               "cases", "answered_on_time", "answered", "ratio", UNIT_RATIO),
        Metric("closures", gettext_lazy("Closures in the period"),
               gettext_lazy("routed cases closed after handling during the period, whenever "
                            "they were received (counted by the day of closing)"), "closures",
               "closures",
               basis="flow"),
        Metric("overdue_now", gettext_lazy("Overdue now"),
               gettext_lazy("cases of the period with a running stage past its deadline now "
                            "(suspended stages not counted)"), "overdue", "overdue",
               basis="snapshot"),
        Metric("accountability_outcomes", gettext_lazy("Officials held accountable"),
               gettext_lazy("accountability records decided in the period (each one official "
                            "and one sanction), for officials of the scope's unit or region and "
                            "the units below it; kind, channel and category do not apply "
                            "(counted by the day of decision)"),
               "accountability", "accountability", basis="flow"),
        Metric("reopen_rate", gettext_lazy("Reopen rate"),
               gettext_lazy("cases whose first callback with a result was dissatisfied "
                            "(reopened) ÷ cases called back with a result (satisfied, "
                            "basically satisfied or dissatisfied; cases closed unrated are "
                            "not counted), by the end of the period, under the unit that "
                            "replied"), "callbacks", "reopened", "called_back",
               "ratio", UNIT_RATIO),
        Metric("rated_callbacks", gettext_lazy("Rated callbacks"),
               gettext_lazy("callbacks with a satisfaction result made by the end of the "
                            "period"), "callbacks", "rated"),
        Metric("online_ratings", gettext_lazy("Judged online"),
               gettext_lazy("rated callbacks the person gave on the tracking page (recorded "
                            "under the account 网上评价（本人）, nobody called), made by the end "
                            "of the period"), "callbacks", "online_rated"),
        Metric("online_rating_share", gettext_lazy("Share judged online"),
               gettext_lazy("judged online ÷ rated callbacks"),
               "callbacks", "online_rated", "rated", "ratio", UNIT_RATIO),
        Metric("satisfaction_rate", gettext_lazy("Satisfaction rate"), _satisfaction_formula,
               "callbacks", "satisfied", "rated", "ratio", UNIT_RATIO),
        Metric("response_rate", gettext_lazy("Response rate"), _response_formula,
               "clocks", "response_on_time", "response_started", "ratio", UNIT_RATIO),
        Metric("resolution_rate", gettext_lazy("Resolution rate"), _resolution_formula,
               "callbacks", "resolved", "resolution_base", "ratio", UNIT_RATIO),
    ]
    m += _rating_metrics()
    for stage in STAGES:
        words = STAGE_WORDS[stage]
        label = Stage(stage).label
        m += [
            Metric(f"on_time_rate_{stage}",
                   _lazy_format(gettext_lazy("On-time rate, %(stage)s"), stage=label),
                   _lazy_format(gettext_lazy("%(stage)s clocks done by their recorded "
                                             "deadline ÷ %(stage)s clocks done, by the end of "
                                             "the period, each under the unit that held it"),
                                stage=words),
                   "clocks", f"on_time_{stage}", f"finished_{stage}", "ratio", UNIT_RATIO),
            Metric(f"avg_working_time_{stage}",
                   _lazy_format(gettext_lazy("Average working time, %(stage)s"), stage=label),
                   _lazy_format(gettext_lazy("working time of the %(stage)s clocks done by "
                                             "the end of the period ÷ their number (office "
                                             "time by the working calendar, or natural time "
                                             "for a limit in natural hours, as urgent cases "
                                             "have; suspensions excluded; in seconds)"),
                                stage=words),
                   "clocks", f"worked_{stage}", f"finished_{stage}", "mean", UNIT_SECONDS),
            Metric(f"p90_working_time_{stage}",
                   _lazy_format(gettext_lazy("90th-percentile working time, %(stage)s"),
                                stage=label),
                   _lazy_format(gettext_lazy("the working time within which 90%% of the "
                                             "%(stage)s clocks done by the end of the period "
                                             "were done (nearest rank: the ⌈0.9 n⌉-th "
                                             "shortest; office time, or natural time for a "
                                             "limit in natural hours; in seconds)"),
                                stage=words),
                   "clocks", f"p90_{stage}", f"finished_{stage}", "p90", UNIT_SECONDS),
        ]
    return {metric.name: metric for metric in m}


# The ratings (好差评, issue 17 §6). Counted from the ratings themselves (family "ratings",
# from_ratings.py), not from the case facts: what the scope's case filters (kind, channel,
# category) mean does not apply; the rating's own channel does (breakdown by channel).
RATINGS_WORDS = gettext_lazy(
    "first ratings (not follow-ups) given on a local day of the period, valid at its end "
    "(a rating found mistaken by an appeal upheld by then is left out), each under the "
    "unit answering for the object, the region and the channel recorded on the rating at "
    "that moment")
LEVEL_NAMES = {1: gettext_lazy("Very satisfied"), 2: gettext_lazy("Satisfied"),
               3: gettext_lazy("Basically satisfied"), 4: gettext_lazy("Dissatisfied"),
               5: gettext_lazy("Very dissatisfied")}


def _rating_metrics() -> list[Metric]:
    flow = "flow"
    m = [
        Metric("ratings_received", gettext_lazy("Ratings received"),
               _lazy_format(gettext_lazy("%(ratings)s; real and default ratings alike"),
                            ratings=RATINGS_WORDS), "ratings", "ratings", basis=flow),
    ]
    for level, name in LEVEL_NAMES.items():
        m.append(Metric(f"ratings_level_{level}",
                        _lazy_format(gettext_lazy("Ratings: %(level)s"), level=name),
                        _lazy_format(gettext_lazy("ratings received at level %(level)s "
                                                  "(GB/T 39046 code %(code)s), default "
                                                  "ratings included"), level=name,
                                     code=str(level)),
                        "ratings", f"level_{level}", basis=flow))
        m.append(Metric(f"ratings_level_{level}_share",
                        _lazy_format(gettext_lazy("Share %(level)s"), level=name),
                        _lazy_format(gettext_lazy("ratings at level %(level)s ÷ ratings "
                                                  "received"), level=name),
                        "ratings", f"level_{level}", "ratings", "ratio", UNIT_RATIO, flow))
    m += [
        Metric("ratings_active", gettext_lazy("Rated by the person"),
               gettext_lazy("ratings received that the person gave (scanned a code, opened "
                            "the SMS link…), not given by default"), "ratings", "active",
               basis=flow),
        Metric("ratings_active_share", gettext_lazy("Share rated by the person"),
               gettext_lazy("ratings the person gave ÷ ratings received"),
               "ratings", "active", "ratings", "ratio", UNIT_RATIO, flow),
        Metric("ratings_default", gettext_lazy("Default ratings"),
               gettext_lazy("ratings of closed cases the platform gave by default (nobody "
                            "rated within the time allowed after the SMS invitation)"),
               "ratings", "default", basis=flow),
        Metric("ratings_default_share", gettext_lazy("Share of default ratings"),
               gettext_lazy("default ratings ÷ ratings received"),
               "ratings", "default", "ratings", "ratio", UNIT_RATIO, flow),
        Metric("bad_ratings", gettext_lazy("Bad ratings"),
               gettext_lazy("ratings received at level 4 (dissatisfied) or 5 (very "
                            "dissatisfied); a default rating is never bad"),
               "ratings", "bad", basis=flow),
        Metric("bad_rating_rate", gettext_lazy("Bad-rating rate"),
               gettext_lazy("bad ratings (levels 4–5) ÷ ratings the person gave: real "
                            "ratings only, default ratings counted in neither"),
               "ratings", "bad", "active", "ratio", UNIT_RATIO, flow),
        Metric("bad_rectified", gettext_lazy("Bad ratings answered"),
               gettext_lazy("bad ratings whose rectification case the unit replied to by "
                            "the end of the period"), "ratings", "rectified", basis=flow),
        Metric("bad_rectified_on_time", gettext_lazy("Bad ratings rectified on time"),
               gettext_lazy("bad ratings whose rectification case was replied to by the "
                            "end of the period with every resolve clock stopped by its "
                            "due time (extensions included, suspensions excluded; a clock "
                            "still running past its due time at the end is late)"),
               "ratings", "rectified_on_time", basis=flow),
        Metric("bad_rectified_on_time_rate", gettext_lazy("Bad ratings rectified on time, rate"),
               gettext_lazy("bad ratings rectified on time ÷ bad ratings"),
               "ratings", "rectified_on_time", "bad", "ratio", UNIT_RATIO, flow),
        Metric("follow_ups", gettext_lazy("Follow-up ratings"),
               gettext_lazy("follow-up ratings (the rater's rating of the fix, round 2) "
                            "given by the end of the period, of the period's bad ratings"),
               "ratings", "follow_ups", basis=flow),
        Metric("rectification_satisfaction", gettext_lazy("Rectification satisfaction"),
               gettext_lazy("follow-up ratings at levels 1–3 (very satisfied, satisfied, "
                            "basically satisfied) ÷ follow-up ratings, of the period's bad "
                            "ratings, given by the end of the period"),
               "ratings", "follow_ups_satisfied", "follow_ups", "ratio", UNIT_RATIO, flow),
        Metric("ratings_invalid", gettext_lazy("Ratings found invalid"),
               gettext_lazy("first ratings given in the period that an appeal (申诉复核) "
                            "upheld by the end of the period found mistaken or malicious: "
                            "left out of every other rating figure, counted here only"),
               "ratings", "invalid", basis=flow),
        Metric("rating_sms_queued", gettext_lazy("Rating SMS queued"),
               gettext_lazy("SMS inviting a person to rate (the invitation after a case "
                            "closes, its one reminder, the invitation to rate a fix) queued "
                            "on a local day of the period; counted for the whole platform "
                            "(an SMS records no region or unit)"), "sms", "sms_queued",
               basis=flow),
        Metric("rating_sms_sent", gettext_lazy("Rating SMS sent"),
               gettext_lazy("those SMS the gateway accepted by the end of the period "
                            "(delivery to the phone is not reported back, so not counted)"),
               "sms", "sms_sent", basis=flow),
    ]
    return m


RATING_FAMILIES = frozenset({"ratings", "sms"})


class _lazy_format:
    """A translatable template with arguments, translated when shown."""

    def __init__(self, template: Promise, **args):
        self.template, self.args = template, args

    def __call__(self) -> str:
        return str(self.template) % {k: str(v) for k, v in self.args.items()}

    def __str__(self) -> str:
        return self()


METRICS: dict[str, Metric] = _registry()
# The case figures; the rating figures (family ratings and sms) are asked for by name.
DEFAULT_NAMES: tuple[str, ...] = tuple(name for name, metric in METRICS.items()
                                       if metric.family not in RATING_FAMILIES)
RATING_NAMES: tuple[str, ...] = tuple(name for name, metric in METRICS.items()
                                      if metric.family in RATING_FAMILIES)


def rounded_percent(value: Decimal | None) -> str:
    """A ratio as a per-cent string to one decimal (for summaries), or "—"."""
    return "—" if value is None else _round(value * 100, "0.1")
