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


# ------------------------------------------------------------------ the bulletin

def test_the_bulletins_ratings_section(month):
    from qinqing.insights.bulletins import document

    doc = document(NOVEMBER, region_name="河阳市")
    section = doc["ratings"]
    assert section["summary"] == (
        "本期共收到办事企业和群众评价45条，其中非常满意32条、满意8条、基本满意2条、"
        "不满意2条、非常不满意1条；主动评价43条，占95.6%，默认评价2条。"
        "发送评价短信7条，短信平台已接收3条；干部走访企业登记暂未纳入平台统计。"
        "收到差评3条，差评率7.0%（3÷43），均已转为整改工单，均已整改答复，其中按时整改2条。"
        "整改后评价人复评3条，满意（含基本满意）2条，整改满意率66.7%。"
        "另有1条评价经申诉复核认定无效，未计入以上统计。")
    assert [f["value"] for f in section["by_level"]] == ["32", "8", "2", "2", "1"]
    assert section["visits"] is None
    listed = section["dissatisfied"]
    assert [(r["date"], r["level"], r["state"], r["on_time"], r["follow_up_level"])
            for r in listed] == [
        ("2026-11-03", 4, "followed_up_satisfied", True, 2),
        ("2026-11-10", 5, "followed_up_satisfied", True, 3),
        ("2026-11-17", 4, "followed_up_dissatisfied", False, 4),
        ("2026-11-20", 5, "invalid", None, None)]
    window = f"{month.hall.short_name or month.hall.name}综合受理窗口"
    assert [r["text"] for r in listed] == [
        f"11月3日，对{window}的评价为“不满意”：已按时整改答复，评价人复评“满意”，已办结。",
        f"11月10日，对{window}的评价为“非常不满意”：已按时整改答复，评价人复评“基本满意”，"
        "已办结。",
        f"11月17日，对{window}的评价为“不满意”：已超时整改答复，评价人复评“不满意”，"
        "已重新交办整改。",
        f"11月20日，对{window}的评价为“非常不满意”：经申诉复核认定为误评或恶意评价，"
        "评价无效，不计入统计。"]
    assert [r["case_number"] for r in listed] == [
        r.case.number for r in month.bad + [month.invalid]]
    # No rater's name or phone anywhere in the section.
    import json

    text = json.dumps(section, ensure_ascii=False)
    assert "李明" not in text and "1380013800" not in text and "孙丽" not in text


def test_the_ratings_section_at_the_end_of_a_shorter_period(month):
    from qinqing.insights.rating_section import section

    part = section(Scope(date(2026, 11, 15), date(2026, 11, 20)))
    assert [(r["state"], r["on_time"]) for r in part["dissatisfied"]] == [
        ("rectifying", None), ("rectifying", None)]
    assert "已整改答复0条（其中按时整改0条），正在整改2条" in part["summary"]


def test_a_published_bulletin_keeps_its_ratings_section(month, user):
    import io

    from django.test import Client
    from openpyxl import load_workbook

    from qinqing.insights import services

    published = services.publish_bulletin(user("analyst"), NOVEMBER.start, NOVEMBER.end,
                                           "990000", today=date(2026, 12, 7))
    stored = published.document["ratings"]
    assert stored["summary"].startswith("本期共收到办事企业和群众评价45条")
    # A rating given later for November (a late import) changes no published bulletin.
    from qinqing.ratings.models import Rating

    late = Rating.objects.filter(level=1, code__isnull=False).first()
    late.pk, late.form_token = None, "f" * 32
    late.save()
    assert values()["ratings_received"].value == 46
    published.refresh_from_db()
    assert published.document["ratings"] == stored

    client = Client()
    page = client.get(f"/public/bulletins/{published.pk}/").content.decode()
    assert stored["summary"] in page and page.count('<li data-state="') == 4
    assert "好差评" in page and "李明" not in page
    book = load_workbook(io.BytesIO(client.get(f"/public/bulletins/{published.pk}.xlsx").content))
    sheets = book.sheetnames
    assert len(sheets) == 3
    rows = list(book[sheets[2]].iter_rows(values_only=True))
    assert len(rows) == 5 and rows[1][5] == month.bad[0].case.number
    figures_text = " ".join(str(c) for row in book[sheets[0]].iter_rows(values_only=True)
                            for c in row if c)
    assert stored["summary"] in figures_text
    pdf = client.get(f"/public/bulletins/{published.pk}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
