"""The ranking's arithmetic, on figures given directly (no database)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from qinqing.insights.metrics import Figure
from qinqing.insights.ranking import CRITERIA, score_units

ON_TIME, SATISFACTION, REOPEN, BAD = (c.metric for c in CRITERIA)


def fig(name, num, den):
    return Figure(name, name, name, Decimal(num) / den if den else None, num, den, "ratio")


def rows(name, **units):
    return [(code, code.upper(), fig(name, *nd)) for code, nd in units.items()]


# Unit a is fast but its callers are less happy; unit b is the other way round.
PER_METRIC = {
    ON_TIME: rows(ON_TIME, a=(10, 10), b=(6, 10), c=(2, 2)),
    SATISFACTION: rows(SATISFACTION, a=(6, 10), b=(10, 10), c=(2, 2)),
    REOPEN: rows(REOPEN, a=(1, 10), b=(1, 10), c=(0, 2)),
}
AVAILABLE = {ON_TIME, SATISFACTION, REOPEN}.__contains__


def weights(on_time, satisfaction, reopen=0, bad=0):
    return {"on_time": Decimal(on_time), "satisfaction": Decimal(satisfaction),
            "reopen": Decimal(reopen), "bad_ratings": Decimal(bad)}


def test_weights_change_the_order():
    speed = score_units(PER_METRIC, weights(80, 20), 5, AVAILABLE)
    assert [u.unit for u in speed.ranked] == ["a", "b"]
    happy = score_units(PER_METRIC, weights(20, 80), 5, AVAILABLE)
    assert [u.unit for u in happy.ranked] == ["b", "a"]
    # a: 0.8×100 + 0.2×60 = 92; b: 0.8×60 + 0.2×100 = 68
    assert [u.score for u in speed.ranked] == [92, 68]


def test_components_sum_to_the_score_exactly():
    result = score_units(PER_METRIC, weights(3, 5, 7, 11), 5, AVAILABLE)
    for unit in result.ranked:
        parts = [c.contribution for c in unit.components if c.contribution is not None]
        assert len(parts) == 3
        assert sum(parts) == unit.score
        for c in unit.components:
            if c.available:
                assert c.contribution == Fraction(c.weight) * c.normalised / Fraction(15)


def test_lower_is_better_components_count_the_other_way():
    result = score_units(PER_METRIC, weights(0, 0, 1), 5, AVAILABLE)
    reopen = next(c for c in result.ranked[0].components if c.criterion.key == "reopen")
    assert reopen.share == Fraction(1, 10) and reopen.normalised == 90


def test_bad_ratings_are_not_available_and_their_weight_is_ignored():
    result = score_units(PER_METRIC, weights(50, 50, 0, 900), 5, AVAILABLE)
    assert result.weight_total == 100 and result.weight_ignored == 900
    unit = result.ranked[0]
    bad = next(c for c in unit.components if c.criterion.key == "bad_ratings")
    assert not bad.available and bad.figure is None and bad.contribution is None
    assert unit.score == 80  # a: (100 + 60) / 2, as if the 900 were not there


def test_units_with_too_few_cases_are_shown_apart():
    result = score_units(PER_METRIC, weights(1, 1, 1), 5, AVAILABLE)
    assert [u.unit for u in result.too_few] == ["c"]
    c = result.too_few[0]
    assert c.score is None and c.rank is None
    assert set(c.too_few) == {"on_time", "satisfaction", "reopen"}
    # Its figures are still shown.
    assert next(x for x in c.components if x.criterion.key == "on_time").figure.numerator == 2
    # With a lower minimum it is ranked; a and b tie (100+60+90 = 60+100+90) and share 2.
    ranked = score_units(PER_METRIC, weights(1, 1, 1), 2, AVAILABLE).ranked
    assert [(u.unit, u.rank) for u in ranked] == [("c", 1), ("a", 2), ("b", 2)]


def test_equal_scores_share_a_rank():
    same = {ON_TIME: rows(ON_TIME, a=(5, 10), b=(5, 10), c=(1, 10))}
    result = score_units(same, weights(1, 0), 5, {ON_TIME}.__contains__)
    assert [(u.unit, u.rank) for u in result.ranked] == [("a", 1), ("b", 1), ("c", 3)]


def test_bad_ratings_count_where_a_unit_is_rated_enough():
    per_metric = {**PER_METRIC, BAD: rows(BAD, a=(5, 10), b=(1, 4), z=(3, 30))}
    every = {ON_TIME, SATISFACTION, REOPEN, BAD}.__contains__
    result = score_units(per_metric, weights(50, 50, 0, 100), 5, every)
    a, b = (next(u for u in result.ranked if u.unit == k) for k in "ab")
    bad_a = next(c for c in a.components if c.criterion.key == "bad_ratings")
    assert bad_a.applies and bad_a.normalised == 50  # lower is better: 100 × (1 − 5/10)
    assert a.weight_total == 200 and a.score == Fraction(50 * 100 + 50 * 60 + 100 * 50, 200)
    # b has 4 ratings, below the minimum of 5: scored on the other two, not held apart.
    bad_b = next(c for c in b.components if c.criterion.key == "bad_ratings")
    assert not bad_b.applies and bad_b.contribution is None and b.weight_total == 100
    assert b.score == Fraction(50 * 60 + 50 * 100, 100)
    assert sum(c.contribution for c in a.components if c.contribution is not None) == a.score
    # z is rated but has no cases: not ranked on its ratings alone.
    assert "z" not in {u.unit for u in result.ranked + result.too_few}


def test_a_unit_left_with_no_weight_is_not_ranked():
    per_metric = {**PER_METRIC, BAD: rows(BAD, a=(1, 10))}
    every = {ON_TIME, SATISFACTION, REOPEN, BAD}.__contains__
    result = score_units(per_metric, weights(0, 0, 0, 10), 5, every)
    assert [u.unit for u in result.ranked] == ["a"] and result.ranked[0].score == 90
    assert {u.unit for u in result.too_few} == {"b", "c"}
