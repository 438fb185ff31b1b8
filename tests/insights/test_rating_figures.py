"""Issue 17 §6: the rating figures, each from its formula, for a prefecture's month at
1/100 of the issue's scale (tests/insights/rating_data.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from qinqing.insights import metrics
from qinqing.insights.metrics import RATING_NAMES, InvalidScope, Scope
from qinqing.notifications.models import SmsMessage
from tests.insights.rating_data import build_month

pytestmark = pytest.mark.django_db
NOVEMBER = Scope(date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def month(demo_org):
    return build_month()


def values(scope=NOVEMBER) -> dict:
    return {name: f for name, f in metrics.figures(scope, list(RATING_NAMES)).items()}


def test_every_figure_of_the_month(month):
    f = values()
    assert {name: f[name].value for name in (
        "ratings_received", "ratings_level_1", "ratings_level_2", "ratings_level_3",
        "ratings_level_4", "ratings_level_5", "ratings_active", "ratings_default",
        "bad_ratings", "bad_rectified", "bad_rectified_on_time", "follow_ups",
        "ratings_invalid")} == {
        "ratings_received": 45, "ratings_level_1": 32, "ratings_level_2": 8,
        "ratings_level_3": 2, "ratings_level_4": 2, "ratings_level_5": 1,
        "ratings_active": 43, "ratings_default": 2, "bad_ratings": 3, "bad_rectified": 3,
        "bad_rectified_on_time": 2, "follow_ups": 3, "ratings_invalid": 1}
    # All five levels, each a share of the ratings received: they add up to the whole.
    shares = [f[f"ratings_level_{n}_share"] for n in range(1, 6)]
    assert [(s.numerator, s.denominator) for s in shares] == [
        (32, 45), (8, 45), (2, 45), (2, 45), (1, 45)]
    assert sum(s.numerator for s in shares) == 45
    assert (f["ratings_active_share"].numerator, f["ratings_active_share"].denominator) \
        == (43, 45)
    assert f["ratings_default_share"].text == "4.4%"
    # Bad share over real ratings only: 3 ÷ 43, the invalid one in neither.
    assert (f["bad_rating_rate"].numerator, f["bad_rating_rate"].denominator) == (3, 43)
    assert f["bad_rating_rate"].value == Decimal(3) / Decimal(43)
    assert "仅计办事人本人的评价" in f["bad_rating_rate"].formula
    assert f["bad_rectified_on_time_rate"].text == "66.7%"
    assert (f["rectification_satisfaction"].numerator,
            f["rectification_satisfaction"].denominator) == (2, 3)
    # SMS: the four queued in November, three of them sent; the follow-up invitations
    # the three fixes sent to the raters' phones (queued, not sent: no worker ran).
    follow_ups = SmsMessage.objects.filter(event_key__startswith="rating-follow-up:").count()
    assert follow_ups == 3
    assert f["rating_sms_queued"].value == 4 + follow_ups
    assert f["rating_sms_sent"].value == 3


def test_a_few_statements_whatever_the_number_of_ratings(month,
                                                         django_assert_max_num_queries):
    metrics.figures(NOVEMBER, ["received"])  # the masters, read once per process
    with django_assert_max_num_queries(2):
        metrics.figures(NOVEMBER, list(RATING_NAMES))
    with django_assert_max_num_queries(1):
        metrics.breakdowns(["ratings_received", "bad_rating_rate"], NOVEMBER, "unit")


def test_as_the_period_stood_at_its_end(month):
    # The first ten days: the first bad rating's follow-up came on the 4th, the second's
    # on the 12th (after the end); the appeal was upheld on the 24th.
    early = Scope(date(2026, 11, 1), date(2026, 11, 10))
    f = values(early)
    assert f["bad_ratings"].value == 2
    assert f["follow_ups"].value == 1
    # The late reply (8 days) of the third is not yet made at the end of the 20th, and
    # the invalid rating (20th) still counted as bad: upheld only on the 24th.
    f = values(Scope(date(2026, 11, 15), date(2026, 11, 20)))
    assert f["bad_ratings"].value == 2 and f["ratings_invalid"].value == 0
    assert f["bad_rectified"].value == 0 and f["bad_rectified_on_time"].value == 0


@pytest.mark.parametrize("by", ["unit", "region", "channel", "window", "service_item"])
def test_breakdowns_add_up_to_the_month(month, by):
    rows = metrics.breakdown("ratings_received", NOVEMBER, by)
    assert sum(f.value for _k, _l, f in rows) == 45


def test_attributed_to_the_unit_recorded_on_the_rating(month):
    rows = {key: f.value for key, _l, f in
            metrics.breakdown("ratings_received", NOVEMBER, "unit")}
    assert rows == {month.hall.code: 45}
    windows = {key: f.value for key, _l, f in
               metrics.breakdown("ratings_received", NOVEMBER, "window")}
    assert windows == {month.window.code: 43, "": 2}  # the default ones rate cases
    channels = {key: f.value for key, _l, f in
                metrics.breakdown("ratings_received", NOVEMBER, "channel")}
    assert channels == {"scan": 43, "sms_link": 2}
    # The window moving to another hall later moves no rating.
    other = type(month.hall).objects.exclude(pk=month.hall.pk).filter(
        kind=month.hall.kind).first()
    if other is not None:
        month.window.parent = other
        month.window.save()
        assert {key for key, _l, _f in
                metrics.breakdown("ratings_received", NOVEMBER, "unit")} == {month.hall.code}


def test_rating_figures_refuse_the_case_breakdowns(month):
    with pytest.raises(InvalidScope):
        metrics.breakdown("ratings_received", NOVEMBER, "category")
    with pytest.raises(InvalidScope):
        metrics.breakdowns(["received", "ratings_received"], NOVEMBER, "kind")
    with pytest.raises(InvalidScope):
        metrics.breakdown("rating_sms_sent", NOVEMBER, "unit")
