"""Hot topics: the terms most recent cases mention (domain.md §10).

Chinese has no spaces, so the text is segmented with jieba. Its dictionary is loaded once
per process (about a second; the prefix cache it builds is kept in the data folder, not in
/tmp, so the next process loads it faster), without the HMM guesser: that guesser glues
unknown characters into new "words", which in complaints are mostly names of people and
enterprises. Domain terms the dictionary lacks are added from `userdict.txt`.

A term counts once per case that mentions it (a long complaint repeating a word does not
make it hot), must appear in at least MIN_CASES cases (so a name that belongs to one
person or firm never shows), and is dropped when it is a stop word (`stopwords.txt`, which
says why each group is there), a single character, or has no Chinese character. The names
of regions are taken out of the text before it is segmented: the region is a dimension
of its own on the dashboard.

The work is bounded whatever the size of the database: only cases received in the last
`days` days (at most MAX_DAYS), the newest MAX_CASES of them, and the first MAX_CHARS
characters of each (title and the start of the content, where a caller says what the
matter is). The result is kept per process for QINQING_HOT_TOPICS_TTL seconds.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db.models.functions import Substr
from django.utils import timezone

from qinqing.refdata import ProcessCache

HERE = Path(__file__).resolve().parent
DEFAULT_DAYS = 30
MAX_DAYS = 92
MAX_CASES = 1000
MAX_CHARS = 300
MIN_CASES = 3
TOP = 20

_CHINESE = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Term:
    text: str
    cases: int  # cases that mention it at least once
    mentions: int  # times it occurs in the analysed text


@dataclass(frozen=True)
class HotTopics:
    terms: tuple[Term, ...]
    since: date
    until: date  # inclusive
    region: str
    analysed: int  # cases whose text was read
    capped: bool  # more cases were received in the period than MAX_CASES
    computed_at: datetime


_cache = ProcessCache("hot_topics", "QINQING_HOT_TOPICS_TTL")
_tokenizer = None
_tokenizer_lock = threading.Lock()


def _word_lines(name: str) -> Iterable[list[str]]:
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line.split()


@cache
def stop_words() -> frozenset[str]:
    return frozenset(word for words in _word_lines("stopwords.txt") for word in words)


def tokenizer():
    """jieba's tokenizer with the domain words, loaded once per process."""
    global _tokenizer
    if _tokenizer is None:
        with _tokenizer_lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)  # it logs every load at DEBUG to stderr
                tok = jieba.Tokenizer()
                tok.tmp_dir = str(settings.DATA_DIR)
                tok.initialize()
                for word, *freq in _word_lines("userdict.txt"):
                    tok.add_word(word, int(freq[0]) if freq else None)
                _tokenizer = tok
    return _tokenizer


def terms_of(text: str) -> list[str]:
    """The words of `text` that may be topics, in order (stop words and noise removed)."""
    stops = stop_words()
    return [w for w in tokenizer().cut(text, HMM=False)
            if len(w) > 1 and w not in stops and _CHINESE.search(w)]


def place_pattern(names: Iterable[str]) -> re.Pattern | None:
    """A pattern matching any of these place names, longest first (示范市经济开发区 before
    示范市)."""
    names = sorted({n for n in names if n}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names))) if names else None


def rank(texts: Iterable[str], *, top: int = TOP, min_cases: int = MIN_CASES,
         places: re.Pattern | None = None) -> list[Term]:
    """The `top` terms by the number of texts mentioning them (then by mentions, then
    alphabetically, so equal counts always come out in the same order). Place names
    matched by `places` are removed first."""
    cases: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for text in texts:
        words = terms_of(places.sub(" ", text) if places else text)
        mentions.update(words)
        cases.update(set(words))
    ranked = sorted((w for w, n in cases.items() if n >= min_cases),
                    key=lambda w: (-cases[w], -mentions[w], w))
    return [Term(w, cases[w], mentions[w]) for w in ranked[:top]]


def _regions() -> list[tuple[int, str, str, str, str]]:
    """(pk, code, path, name, short name) of every region unit: their names are taken out
    of the texts, and a region filter means that region and the regions below it."""
    from qinqing.org.models import REGION_KINDS, Unit

    return list(Unit.objects.filter(kind__in=REGION_KINDS)
                .values_list("pk", "code", "path", "name", "short_name"))


def _recent_texts(since: date, until: date, region: str,
                  regions: list[tuple]) -> tuple[list[str], bool]:
    from qinqing.cases.models import Case

    tz = timezone.get_current_timezone()
    rows = Case.objects.filter(
        received_at__gte=datetime.combine(since, time(), tz),
        received_at__lt=datetime.combine(until + timedelta(days=1), time(), tz))
    if region:
        path = next((p for _pk, code, p, *_names in regions if code == region), None)
        rows = rows.filter(region_id__in=[pk for pk, _c, p, *_n in regions
                                          if path and p.startswith(path)])
    # One more than the cap tells whether the cap was reached, in the same query.
    rows = list(rows.order_by("-received_at", "-id").values_list(
        "title", Substr("content", 1, MAX_CHARS))[:MAX_CASES + 1])
    return [f"{title}\n{content}" for title, content in rows[:MAX_CASES]], len(rows) > MAX_CASES


def hot_topics(*, until: date, days: int = DEFAULT_DAYS, region: str = "",
               top: int = TOP) -> HotTopics:
    """The hot topics of the `days` days up to `until` (inclusive), cached per process."""
    days = max(1, min(int(days), MAX_DAYS))
    since = until - timedelta(days=days - 1)

    def load() -> HotTopics:
        regions = _regions()
        texts, capped = _recent_texts(since, until, region, regions)
        names = [n for *_ids, name, short in regions for n in (name, short)]
        terms = rank(texts, top=top, places=place_pattern(names))
        return HotTopics(tuple(terms), since, until, region, len(texts),
                         capped, timezone.now())

    return _cache.get(("hot", since, until, region, top), load)
