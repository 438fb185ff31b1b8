"""Hot topics: segmentation, stop words, place names, the bounds and the cache."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qinqing import refdata
from qinqing.background import tick
from qinqing.cases import services
from qinqing.insights import hot_topics
from qinqing.insights.models import CaseTerms
from tests.insights.conftest import at


def test_segments_chinese_and_keeps_domain_words():
    words = hot_topics.terms_of("企业反映营业执照办理超过承诺时限，到办不成事窗口也没人管。")
    assert "营业执照" in words and "办不成事" in words and "窗口" in words
    assert "承诺" in words and "时限" in words


def test_stop_words_punctuation_and_single_characters_are_removed():
    words = hot_topics.terms_of("我们企业多次反映这个问题，希望有关部门尽快解决！2026年3月 ABC 的")
    assert words == []
    stops = hot_topics.stop_words()
    # Each group of the list is there: a function word, a time word, boilerplate, a name part.
    assert {"我们", "至今", "反映", "投诉", "问题", "企业", "有限公司"} <= stops
    assert all(len(w) > 1 for w in stops), "single characters are dropped by the code"


def test_the_dictionary_cache_is_kept_in_the_data_folder():
    hot_topics.tokenizer()
    assert hot_topics.tokenizer().tmp_dir == str(settings.DATA_DIR)
    assert list(settings.DATA_DIR.glob("jieba*.cache"))


def test_a_term_counts_once_per_case_and_needs_min_cases():
    texts = ["窗口 窗口 窗口 排队时间长", "窗口 排队", "窗口排队", "张三丰 执照"]
    terms = {t.text: t for t in hot_topics.rank(texts, min_cases=3)}
    assert terms["窗口"].cases == 3 and terms["窗口"].mentions == 5
    assert terms["排队"].cases == 3
    assert "张三丰" not in terms and "执照" not in terms  # one case only: never a topic


def test_ranking_is_by_cases_then_mentions_then_text():
    texts = ["补贴 补贴 检查", "补贴 检查", "检查 罚款", "罚款 补贴"]
    assert [t.text for t in hot_topics.rank(texts, min_cases=2)] == ["补贴", "检查", "罚款"]
    assert [t.text for t in hot_topics.rank(texts, min_cases=2, top=1)] == ["补贴"]


def test_place_names_are_removed_before_segmenting():
    places = hot_topics.place_pattern(["示范市", "示范市经济开发区", "河阳区", ""])
    texts = ["示范市经济开发区罚款", "河阳区罚款过重", "示范市罚款"]
    assert [t.text for t in hot_topics.rank(texts, min_cases=3, places=places)] == ["罚款"]


TODAY = date(2026, 3, 31)


@pytest.fixture
def recent(make_case):
    """Four cases about 排队 in the window, one long ago, one in another region."""
    for day in (1, 10, 20, 31):
        make_case(f"政务服务中心排队时间太长，取号后等了{day}个小时。",
                  received=at(2026, 3, day, 10, 0))
    make_case("政务服务中心排队时间太长。", received=at(2025, 12, 1, 10, 0))
    make_case("政务服务中心排队时间太长。", received=at(2026, 3, 5, 10, 0), region="990103")


def test_hot_topics_of_a_period_and_region(recent):
    result = hot_topics.hot_topics(until=TODAY, days=30, region="990102")
    assert (result.since, result.until) == (TODAY - timedelta(days=29), TODAY)
    assert result.analysed == 3 and not result.capped  # March 1 is outside the 30 days
    assert [t.text for t in result.terms] == ["排队", "政务服务中心"]
    city = hot_topics.hot_topics(until=TODAY, days=30, region="990000")  # and below it
    assert city.analysed == 4
    whole = hot_topics.hot_topics(until=TODAY, days=92)
    assert whole.analysed == 5  # the other region counts; December 1 is 120 days back
    assert next(t for t in whole.terms if t.text == "排队").cases == 5


def test_work_is_bounded_and_costs_a_fixed_number_of_queries(recent, monkeypatch):
    monkeypatch.setattr(hot_topics, "MAX_CASES", 2)
    with CaptureQueriesContext(connection) as queries:
        result = hot_topics.hot_topics(until=TODAY, days=10_000)
    assert result.since == TODAY - timedelta(days=hot_topics.MAX_DAYS - 1)
    assert result.analysed == 2 and result.capped
    # The regions, the cases with their stored words (the newest 2 + 1), and the texts of
    # the two the tick has not read: only the start of each.
    assert len(queries) == 3
    assert "SUBSTR" in queries[2]["sql"].upper()


def test_the_result_is_kept_for_the_ttl(recent, monkeypatch, make_case):
    first = hot_topics.hot_topics(until=TODAY, days=30)
    make_case("排队排队排队", received=at(2026, 3, 30, 10, 0))
    with CaptureQueriesContext(connection) as queries:
        again = hot_topics.hot_topics(until=TODAY, days=30)
    assert len(queries) == 0 and again == first
    now = refdata.clock()
    monkeypatch.setattr(refdata, "clock", lambda: now + settings.QINQING_HOT_TOPICS_TTL + 1)
    assert hot_topics.hot_topics(until=TODAY, days=30).analysed == first.analysed + 1


# ------------------------------------------------ the words stored by the worker's tick

def test_the_tick_stores_the_words_of_recent_cases_and_the_request_only_counts_them(
        recent, monkeypatch):
    before = hot_topics.hot_topics(until=TODAY, days=92)
    hot_topics.tokenizer()  # loaded: its loading counts against a tick's budget
    monkeypatch.setattr(hot_topics, "_backlog", False)
    report = tick.run_tick(at(2026, 3, 31, 12, 0))  # a whole check's minute: all 92 days
    assert report["hot_topics.segment_recent"]["result"] == {"segmented": 5, "forgotten": 0}
    # December 1 is more than MAX_DAYS back: not kept.
    assert CaseTerms.objects.count() == 5
    stored = CaseTerms.objects.order_by("received_at").first()
    assert stored.terms["排队"] == 2 and "政务服务中心" in stored.terms  # title and content
    assert hot_topics.segment_recent(now=at(2026, 3, 31, 12, 1)) == {
        "segmented": 0, "forgotten": 0}

    refdata.reset_all()
    with CaptureQueriesContext(connection) as queries:
        after = hot_topics.hot_topics(until=TODAY, days=92)
    assert len(queries) == 2  # the regions, the cases with their words: no text read
    assert (after.terms, after.analysed, after.pending) == (before.terms, 5, 0)


def test_the_tick_reads_a_bounded_batch_newest_first(recent):
    assert hot_topics.segment_recent(now=at(2026, 3, 31, 12, 0), batch=2, whole=True) == {
        "segmented": 2, "forgotten": 0}
    newest = sorted(CaseTerms.objects.values_list("received_at", flat=True))
    assert newest == [at(2026, 3, 20, 10, 0), at(2026, 3, 31, 10, 0)]
    assert hot_topics.segment_recent(now=at(2026, 3, 31, 12, 0), batch=10,
                                     whole=True)["segmented"] == 3


def test_most_ticks_look_at_the_last_two_days_only(recent, monkeypatch):
    # Checking every kept case costs ~0.2 s at 126,000 of them: not every minute.
    monkeypatch.setattr(hot_topics, "_backlog", False)
    assert hot_topics.segment_recent(now=at(2026, 3, 31, 12, 3))["segmented"] == 1  # Mar 31
    assert hot_topics.segment_recent(now=at(2026, 3, 31, 12, 4))["segmented"] == 0
    # Every WHOLE_EVERY minutes, the whole kept period: March 1, 5, 10 and 20.
    assert hot_topics.segment_recent(now=at(2026, 3, 31, 12, 10))["segmented"] == 4


def test_a_backlog_is_read_at_every_tick_until_none_is_left(recent, monkeypatch):
    monkeypatch.setattr(hot_topics, "_backlog", True)  # as in a process that just started
    minute = at(2026, 3, 31, 12, 3)  # not a whole check's minute
    for stored in (2, 4, 5):
        hot_topics.segment_recent(now=minute, batch=2)
        assert CaseTerms.objects.count() == stored
    assert not hot_topics._backlog  # the last batch was not full: no backlog left
    assert hot_topics.segment_recent(now=minute, batch=2)["segmented"] == 0


def test_the_tick_segments_for_a_bounded_time_but_at_least_one_case(recent):
    # The tick must stay short whatever the backlog: past its budget it stops, after
    # the case in hand.
    for left in (4, 3):
        assert hot_topics.segment_recent(now=at(2026, 3, 31, 12, 0), budget=0,
                                         whole=True) == {"segmented": 1, "forgotten": 0}
        assert CaseTerms.objects.count() == 5 - left


def test_words_of_cases_older_than_the_longest_period_are_forgotten(recent):
    hot_topics.segment_all(now=at(2026, 3, 31, 12, 0))
    later = at(2026, 3, 31, 12, 0) + timedelta(days=hot_topics.MAX_DAYS - 25)
    result = hot_topics.segment_recent(now=later)  # March 1 and 5 are now too old
    assert result == {"segmented": 0, "forgotten": 2}
    assert CaseTerms.objects.count() == 3


def test_an_edited_text_is_read_again(recent, user):
    hot_topics.segment_all(now=at(2026, 3, 31, 12, 0))
    case = CaseTerms.objects.order_by("-received_at").first().case
    services.perform(case.number, "edit", user("intake"),
                     {"fields": {"content": "税务罚款过重，罚款决定没有依据。"}, "reason": "笔误"},
                     now=at(2026, 3, 31, 12, 5))
    assert not CaseTerms.objects.filter(case=case).exists()
    services.perform(case.number, "edit", user("intake"), {"fields": {"urgency": "urgent"}},
                     now=at(2026, 3, 31, 12, 6))
    hot_topics.segment_recent(now=at(2026, 3, 31, 12, 7), whole=True)
    assert CaseTerms.objects.get(case=case).terms["罚款"] == 2
    other = CaseTerms.objects.exclude(case=case).count()
    services.perform(case.number, "edit", user("intake"), {"fields": {"urgency": "normal"}},
                     now=at(2026, 3, 31, 12, 8))
    assert CaseTerms.objects.count() == other + 1  # an edit of anything else keeps them


def test_cases_the_tick_has_not_read_are_counted_as_pending(make_case, monkeypatch):
    from django.utils import timezone

    now = timezone.now()
    for hours in (1, 2, 3, 4):
        make_case("政务服务中心排队时间太长。", received=now - timedelta(hours=hours))
    monkeypatch.setattr(hot_topics, "INLINE_CASES", 1)
    today = timezone.localdate(now)
    unread = hot_topics.hot_topics(until=today, days=30)
    assert (unread.analysed, unread.pending) == (1, 3)
    hot_topics.segment_recent(now=now)
    refdata.reset_all()
    read = hot_topics.hot_topics(until=today, days=30)
    assert (read.analysed, read.pending) == (4, 0)
    assert [t.text for t in read.terms][:2] == ["排队", "政务服务中心"]
