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

Segmenting is slow in pure Python (tens of thousands of characters a second), so it is
done off the request: the worker's tick (segment_recent) stores each recent case's words
in CaseTerms, and a request only counts the stored words. Cases the tick has not read yet
(the last minute's intakes, or all of them before the worker first runs) are segmented in
the request, at most INLINE_CASES of them; any beyond that are reported as not read yet,
never guessed.
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
from time import monotonic

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
INLINE_CASES = 50  # segmented in a request when the tick has not read them yet
BATCH = 300  # cases the tick looks at, at most
BUDGET = 0.3  # seconds of segmenting per tick, so that the tick stays short (bench/sweep.py)
RECENT_DAYS = 2  # looked at every tick
WHOLE_EVERY = 10  # minutes: how often the tick checks every kept case

_backlog = True  # this process's last whole check left cases unread (or none ran yet)

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
    analysed: int  # cases whose words were counted
    capped: bool  # more cases were received in the period than MAX_CASES
    computed_at: datetime
    pending: int = 0  # cases of the period whose text nobody has read yet (not counted)


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


def words_of(text: str, places: re.Pattern | None = None) -> dict[str, int]:
    """{word: mentions} of one case's text; place names matched by `places` removed first."""
    return dict(Counter(terms_of(places.sub(" ", text) if places else text)))


def rank_words(cases_words: Iterable[dict[str, int]], *, top: int = TOP,
               min_cases: int = MIN_CASES) -> list[Term]:
    """The `top` words by the number of cases mentioning them (then by mentions, then
    alphabetically, so equal counts always come out in the same order)."""
    cases: Counter[str] = Counter()
    mentions: Counter[str] = Counter()
    for words in cases_words:
        mentions.update(words)
        cases.update(words.keys())
    ranked = sorted((w for w, n in cases.items() if n >= min_cases),
                    key=lambda w: (-cases[w], -mentions[w], w))
    return [Term(w, cases[w], mentions[w]) for w in ranked[:top]]


def rank(texts: Iterable[str], *, top: int = TOP, min_cases: int = MIN_CASES,
         places: re.Pattern | None = None) -> list[Term]:
    """rank_words() of texts segmented here."""
    return rank_words((words_of(text, places) for text in texts), top=top, min_cases=min_cases)


def _regions() -> list[tuple[int, str, str, str, str]]:
    """(pk, code, path, name, short name) of every region unit: their names are taken out
    of the texts, and a region filter means that region and the regions below it."""
    from qinqing.org.models import REGION_KINDS, Unit

    return list(Unit.objects.filter(kind__in=REGION_KINDS)
                .values_list("pk", "code", "path", "name", "short_name"))


def _places(regions: list[tuple]) -> re.Pattern | None:
    return place_pattern(n for *_ids, name, short in regions for n in (name, short))


def _text(title: str, start: str) -> str:
    return f"{title}\n{start}"


def _period(since: date, until: date):
    from qinqing.cases.models import Case

    tz = timezone.get_current_timezone()
    return Case.objects.filter(
        received_at__gte=datetime.combine(since, time(), tz),
        received_at__lt=datetime.combine(until + timedelta(days=1), time(), tz))


def _recent_words(since: date, until: date, region: str,
                  regions: list[tuple]) -> tuple[list[dict[str, int]], bool, int]:
    """The words of the period's newest MAX_CASES cases (stored, or segmented here for at
    most INLINE_CASES cases the tick has not read), whether the cap was reached, and how
    many cases were left unread."""
    rows = _period(since, until)
    if region:
        path = next((p for _pk, code, p, *_names in regions if code == region), None)
        rows = rows.filter(region_id__in=[pk for pk, _c, p, *_n in regions
                                          if path and p.startswith(path)])
    # One more than the cap tells whether the cap was reached, in the same query.
    rows = list(rows.order_by("-received_at", "-id").values_list(
        "pk", "topic_terms__terms")[:MAX_CASES + 1])
    capped = len(rows) > MAX_CASES
    rows = rows[:MAX_CASES]
    found = [words for _pk, words in rows if words is not None]
    unread = [pk for pk, words in rows if words is None]
    # The tick keeps the words of recent cases only; an older period is read here, all of
    # it (slow, but such views are rare).
    inline = INLINE_CASES if since >= kept_since(timezone.now()) else MAX_CASES
    if unread:
        from qinqing.cases.models import Case

        places = _places(regions)
        texts = Case.objects.filter(pk__in=unread[:inline]).values_list(
            "title", Substr("content", 1, MAX_CHARS))
        found += [words_of(_text(title, start), places) for title, start in texts]
    return found, capped, max(0, len(unread) - inline)


def hot_topics(*, until: date, days: int = DEFAULT_DAYS, region: str = "",
               top: int = TOP) -> HotTopics:
    """The hot topics of the `days` days up to `until` (inclusive), cached per process."""
    days = max(1, min(int(days), MAX_DAYS))
    since = until - timedelta(days=days - 1)

    def load() -> HotTopics:
        words, capped, pending = _recent_words(since, until, region, _regions())
        return HotTopics(tuple(rank_words(words, top=top)), since, until, region, len(words),
                         capped, timezone.now(), pending)

    return _cache.get(("hot", since, until, region, top), load)


def kept_since(now: datetime) -> date:
    """The first day whose cases' words the tick keeps: the longest period hot_topics()
    reads, ending today."""
    return timezone.localdate(now) - timedelta(days=MAX_DAYS - 1)


def segment_recent(*, now: datetime, batch: int = BATCH, budget: float = BUDGET,
                   whole: bool | None = None) -> dict[str, int]:
    """Tick step: store the words of cases that have none yet, newest first, at most
    `batch` of them and for about `budget` seconds (at least one case); and forget the
    words of cases older than kept_since().

    Which cases are looked at: those of the last RECENT_DAYS days (new intakes; cheap),
    or with `whole` all since kept_since() — every kept case is then checked, about 0.2 s
    at 126,000 (bench/dashboard.py), too much for every minute. By default the whole
    period is checked every WHOLE_EVERY minutes, and at every tick while this process's
    last whole check left cases unread (a backlog: after an upgrade, an import, an edit).

    Safe to run again or on two workers at once: a case already stored is skipped
    (ignore_conflicts), and its words would be the same."""
    global _backlog
    from qinqing.insights.models import CaseTerms

    if whole is None:
        whole = _backlog or int(now.timestamp() // 60) % WHOLE_EVERY == 0
    today = timezone.localdate(now)
    since = kept_since(now)
    todo = list(_period(since if whole else today - timedelta(days=RECENT_DAYS - 1), today)
                .filter(topic_terms__isnull=True).order_by("-received_at", "-id")
                .values_list("pk", "received_at", "title",
                             Substr("content", 1, MAX_CHARS))[:batch])
    rows: list[CaseTerms] = []
    if todo:
        # Loading the dictionary (once per process, about a second) counts against the
        # budget: the first tick of a new worker reads one case and stays short.
        ends = monotonic() + budget
        places = _places(_regions())
        tokenizer()
        for pk, received, title, start in todo:
            rows.append(CaseTerms(case_id=pk, received_at=received,
                                  terms=words_of(_text(title, start), places)))
            if monotonic() > ends:
                break
        CaseTerms.objects.bulk_create(rows, ignore_conflicts=True)
    if whole:
        _backlog = len(rows) < len(todo) or len(todo) == batch
    oldest = datetime.combine(since, time(), timezone.get_current_timezone())
    forgotten, _by_model = CaseTerms.objects.filter(received_at__lt=oldest).delete()
    return {"segmented": len(rows), "forgotten": forgotten}


def segment_all(*, now: datetime) -> int:
    """segment_recent() until every kept case has its words (the demo and the benchmark,
    which cannot wait for the ticks); returns how many cases were read."""
    done = 0
    while step := segment_recent(now=now, budget=float("inf"), whole=True)["segmented"]:
        done += step
    return done


def forget_edited(sender, case, events, created: bool = False, **kwargs) -> None:
    """Receiver of the timeline's `case_changed` hook (connected in apps.py): an edit of a
    case's title or content makes its stored words stale, so they are dropped and the next
    tick reads the text again."""
    from qinqing.insights.models import CaseTerms

    if created:
        return
    if any(event.action == "edit" and {"title", "content"} & set(event.data.get("changes") or {})
           for event in events):
        CaseTerms.objects.filter(case_id=case.pk).delete()
