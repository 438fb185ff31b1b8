"""The unit ranking on real cases: weights, breakdown, the minimum, the admin's weights."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from qinqing.insights.dashboard_models import RankingPolicy
from qinqing.insights.metrics import Scope
from qinqing.insights.ranking import unit_ranking
from tests.insights.conftest import UNIT_A, UNIT_B, at

SCOPE = Scope(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def two_units(make_case):
    """Unit A replies on time, but two of its five callers were dissatisfied once;
    unit B replies late every time, and every caller is satisfied at once."""
    for i in range(5):
        make_case("执照办理超期", received=at(2026, 3, 2 + i, 10, 0), lead=UNIT_A,
                  until="closed", reopen=i < 2)
        make_case("执照办理超期", received=at(2026, 3, 2 + i, 11, 0), lead=UNIT_B,
                  until="closed", late=True)


def policy(on_time, satisfaction, reopen, min_cases=5):
    return RankingPolicy(weight_on_time=Decimal(on_time),
                         weight_satisfaction=Decimal(satisfaction),
                         weight_reopen=Decimal(reopen), weight_bad_ratings=Decimal(10),
                         min_cases=min_cases)


def test_weights_change_the_order(two_units):
    speed = unit_ranking(SCOPE, policy(100, 0, 0))
    assert [u.unit for u in speed.ranked] == [UNIT_A, UNIT_B]
    care = unit_ranking(SCOPE, policy(10, 45, 45))
    assert [u.unit for u in care.ranked] == [UNIT_B, UNIT_A]


def test_a_units_components_add_up_to_its_score(two_units):
    result = unit_ranking(SCOPE, policy(40, 30, 15))
    assert len(result.ranked) == 2
    for unit in result.ranked:
        parts = {c.criterion.key: c for c in unit.components}
        assert sum(c.contribution for c in parts.values()
                   if c.contribution is not None) == unit.score
        # Bad ratings are computed, but neither unit is rated: left out of both scores.
        assert parts["bad_ratings"].available and not parts["bad_ratings"].applies
        assert parts["bad_ratings"].contribution is None and unit.weight_total == 85
        for key in ("on_time", "satisfaction", "reopen"):
            f = parts[key].figure
            assert f.denominator >= 5 and parts[key].share == Fraction(f.numerator, f.denominator)
    a = next(u for u in result.ranked if u.unit == UNIT_A)
    reopen = next(c for c in a.components if c.criterion.key == "reopen")
    assert (reopen.figure.numerator, reopen.figure.denominator) == (2, 5)
    assert reopen.normalised == 60  # lower is better: 100 × (1 − 2/5)


def test_too_few_cases_are_listed_apart(two_units):
    result = unit_ranking(SCOPE, policy(40, 30, 15, min_cases=6))
    assert not result.ranked and {u.unit for u in result.too_few} == {UNIT_A, UNIT_B}


def test_the_page_explains_each_score(client, user, two_units):
    client.force_login(user("leader"))  # unit A's leader: may see the ranking, own row marked
    page = client.get("/insights/ranking/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200
    text = page.content.decode()
    assert re.search(rf'<tr data-unit="{UNIT_A}" class="mine">', text)
    # Bad ratings: neither unit is rated, so the component is left out, and said so.
    assert text.count('data-applies="no"') == 2 and "本期无评价" in text
    scores = dict(re.findall(r'<tr data-unit="([^"]+)".*?data-score="([^"]+)"', text, re.S))
    assert set(scores) == {UNIT_A, UNIT_B}


def test_admin_sets_weights_validated_and_shows_sums(client, user, demo_org):
    client.force_login(user("admin"))
    url = "/admin/insights/rankingpolicy/add/"
    form = {"weight_on_time": "50", "weight_satisfaction": "30", "weight_reopen": "20",
            "weight_bad_ratings": "10", "min_cases": "3"}
    bad = client.post(url, {**form, "weight_on_time": "-1"})
    assert bad.status_code == 200 and not RankingPolicy.objects.exists()
    zero = client.post(url, {**form, "weight_on_time": "0", "weight_satisfaction": "0",
                             "weight_reopen": "0"})
    # Bad ratings alone cannot score the units nobody rates.
    assert zero.status_code == 200 and not RankingPolicy.objects.exists()
    assert "好差评" in zero.content.decode() or "差评" in zero.content.decode()
    assert client.post(url, form).status_code == 302
    saved = RankingPolicy.current()
    assert saved.pk == 1 and saved.weight_on_time == 50 and saved.updated_by.username == "admin"
    change = client.get("/admin/insights/rankingpolicy/1/change/").content.decode()
    assert "110.00" in change  # weights used: 50 + 30 + 20 + 10 (bad ratings, computed)
    assert client.get("/admin/insights/rankingpolicy/add/").status_code == 403  # one row
