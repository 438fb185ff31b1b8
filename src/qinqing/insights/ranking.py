"""Unit ranking (考核): units scored on named metrics with weights an administrator sets.

Every figure comes from the metrics module (`metrics.breakdown(name, scope, "unit")`);
this module only turns those figures into points and a weighted score, and explains it.

- Each component is one metric, read as a share numerator / denominator. Its normalised
  score is 100 × the share when higher is better (on-time, satisfaction) and
  100 × (1 − the share) when lower is better (reopenings, bad ratings).
- A unit's score is Σ weightᵢ × normalisedᵢ / Σ weightᵢ over the components that can be
  computed, so it stays between 0 and 100 whatever the weights add up to; a component's
  contribution is its own term of that sum, so the contributions add up to the score
  exactly (the arithmetic is done in fractions; rounding happens only on the page).
- A component whose metric does not exist in the registry is *not available*: it is
  shown as such and its weight is left out of the sum. Nothing is made up for it.
- A unit whose denominator in any available case component is below the policy's
  minimum (too few cases for a rate to mean anything) is not ranked; it is listed apart
  with its figures.
- Bad ratings (`bad_rating_rate`: bad ratings ÷ ratings the person gave, over the
  period, under the unit answering for what was rated, lower is better) apply to a unit
  only where people rate it: a unit with fewer real ratings in the period than the
  minimum (none, for most units without a window) is scored on its other components,
  its bad-rating weight left out of *its* sum — the same as for a component not
  available, unit by unit — and the component says "not applicable" with its count.
  A unit is never pushed out of the ranking, nor up or down, for having no windows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from qinqing.insights import metrics


@dataclass(frozen=True)
class Criterion:
    key: str  # the weight's field on RankingPolicy is f"weight_{key}"
    metric: str  # the name in metrics.METRICS
    label: str
    higher_is_better: bool
    # Applies only to the units with enough of its own denominator (ratings): below the
    # minimum, left out of that unit's score instead of keeping the unit unranked.
    where_counted: bool = False


CRITERIA: tuple[Criterion, ...] = (
    Criterion("on_time", "on_time_rate_resolve", _("On-time rate (resolve)"), True),
    Criterion("satisfaction", "satisfaction_rate", _("Satisfaction rate"), True),
    Criterion("reopen", "reopen_rate", _("Reopen rate"), False),
    Criterion("bad_ratings", "bad_rating_rate", _("Bad ratings"), False, where_counted=True),
)


@dataclass(frozen=True)
class Component:
    criterion: Criterion
    weight: Decimal
    available: bool  # its metric exists in the registry
    figure: object | None = None  # metrics.Figure of this unit, when available
    normalised: Fraction | None = None  # 0..100 points
    contribution: Fraction | None = None  # points this component adds to the score
    applies: bool = True  # False: too few ratings for this unit, its weight left out

    @property
    def share(self) -> Fraction | None:
        f = self.figure
        if f is None or not f.denominator:
            return None
        return Fraction(f.numerator, f.denominator)


@dataclass(frozen=True)
class UnitScore:
    unit: str  # unit code, as the metrics breakdown keys it
    label: str
    components: tuple[Component, ...]
    score: Fraction | None  # None: not ranked (too few cases)
    rank: int | None = None
    too_few: tuple[str, ...] = ()  # keys of the components below the minimum
    weight_total: Decimal | None = None  # the weights of its components that apply


@dataclass(frozen=True)
class Ranking:
    ranked: tuple[UnitScore, ...]
    too_few: tuple[UnitScore, ...]  # shown apart, not ranked
    weights: tuple[tuple[Criterion, Decimal, bool], ...]  # criterion, weight, available
    weight_total: Decimal  # of the available components: what the score is divided by
    weight_ignored: Decimal  # set by the administrator for unavailable components
    min_cases: int


def score_units(per_metric: Mapping[str, Sequence[tuple[str, str, object]]],
                weights: Mapping[str, Decimal], min_cases: int,
                available: Callable[[str], bool]) -> Ranking:
    """Rank units from `per_metric` (metric name → breakdown rows (unit, label, Figure)).

    `weights` maps criterion key → weight; `available(metric)` says whether the registry
    has the metric. Units are those that appear in any available case metric's rows (a
    unit rated but without cases is not ranked on its ratings alone).
    """
    criteria = [(c, Decimal(weights.get(c.key, 0)), available(c.metric)) for c in CRITERIA]
    total = sum((w for _, w, ok in criteria if ok), Decimal(0))
    ignored = sum((w for _, w, ok in criteria if not ok), Decimal(0))
    figures: dict[str, dict[str, object]] = {}
    labels: dict[str, str] = {}
    for criterion, _w, ok in criteria:
        if not ok:
            continue
        for unit, label, figure in per_metric.get(criterion.metric, ()):
            if criterion.where_counted and unit not in figures:
                continue
            figures.setdefault(unit, {})[criterion.key] = figure
            labels.setdefault(unit, label)

    scored: list[UnitScore] = []
    apart: list[UnitScore] = []
    for unit, by_key in figures.items():
        # The weights of the components that apply to this unit: a component counted
        # only where it has a denominator (bad ratings) leaves its weight out below the
        # minimum.
        def applies(criterion, ok) -> bool:
            figure = by_key.get(criterion.key)
            return ok and not (criterion.where_counted and (
                getattr(figure, "denominator", None) or 0) < max(min_cases, 1))

        own_total = sum((w for c, w, ok in criteria if applies(c, ok)), Decimal(0))
        components = []
        short = []
        for criterion, weight, ok in criteria:
            if not ok:
                components.append(Component(criterion, weight, False))
                continue
            figure = by_key.get(criterion.key)
            if not applies(criterion, ok):
                components.append(Component(criterion, weight, True, figure, applies=False))
                continue
            denominator = getattr(figure, "denominator", None) or 0
            if denominator < max(min_cases, 1):
                short.append(criterion.key)
                components.append(Component(criterion, weight, True, figure))
                continue
            share = Fraction(figure.numerator, denominator)
            points = 100 * (share if criterion.higher_is_better else 1 - share)
            contribution = (Fraction(weight) * points / Fraction(own_total)
                            if own_total else Fraction(0))
            components.append(Component(criterion, weight, True, figure, points, contribution))
        if short or not own_total:
            apart.append(UnitScore(unit, labels[unit], tuple(components), None,
                                   too_few=tuple(short), weight_total=own_total))
        else:
            score = sum((c.contribution for c in components if c.contribution is not None),
                        Fraction(0))
            scored.append(UnitScore(unit, labels[unit], tuple(components), score,
                                    weight_total=own_total))

    # Highest score first; equal scores share a rank (1, 2, 2, 4) and are listed by label.
    scored.sort(key=lambda u: (-u.score, u.label, u.unit))
    ranked = []
    for i, u in enumerate(scored):
        rank = ranked[-1].rank if ranked and ranked[-1].score == u.score else i + 1
        ranked.append(UnitScore(u.unit, u.label, u.components, u.score, rank,
                                weight_total=u.weight_total))
    apart.sort(key=lambda u: (u.label, u.unit))
    return Ranking(tuple(ranked), tuple(apart), tuple(criteria), total, ignored, min_cases)


def metric_available(name: str) -> bool:
    """Whether the metrics registry has `name`."""
    return name in metrics.METRICS


def formulas() -> dict[str, str]:
    """Each available criterion's formula, as the metrics registry words it."""
    return {c.metric: metrics.METRICS[c.metric].formula_text() for c in CRITERIA
            if c.metric in metrics.METRICS}


def unit_ranking(scope, policy, *, now=None) -> Ranking:
    """The ranking of the units that led cases of `scope`, with `policy`'s weights.

    One `breakdowns()` call for all criteria: a fixed number of queries, whatever the
    number of units (the bad ratings are counted from the ratings, under the unit
    recorded on each as answering for it)."""
    names = [c.metric for c in CRITERIA if metric_available(c.metric)]
    per_metric = metrics.breakdowns(names, scope, "unit", now=now)
    # The "" group holds cases never routed to a unit: nobody to score.
    per_metric = {name: [row for row in rows if row[0]] for name, rows in per_metric.items()}
    return score_units(per_metric, policy.weights(), policy.min_cases, metric_available)
