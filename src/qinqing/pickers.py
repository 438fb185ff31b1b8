"""Search-as-you-type pickers: the options a page lists, how a typed text finds them, and
how the server turns what the input holds back into a value.

Shared by the hotline's intake page (kinds, categories) and the public portal (units):
the page's script `web/picker.js` applies the same rule in the browser, and the forms
resolve with `resolve_option`. Outside every app layer (like qinqing.text): it knows no
model, so any app may build its options with it.

The rule: a typed text, lower-cased and without spaces or separators, finds an option
when it is inside one of the option's `search` keys (its code, its label, the label's
full pinyin and pinyin initials). An option may also carry `abbrev` keys, matched in
order with gaps: Chinese names are shortened by keeping some of their characters in
order (审批局 for 行政审批服务管理局, 市监局 for 市场监督管理局), so 审批局 or its initials
spj find the full name. Such matches come after the plain ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@dataclass(frozen=True)
class Option:
    """One choice of a search-as-you-type picker.

    `display` is what the input shows once picked (and what the server resolves back to
    `value`); `search` holds every way to find it, lower-case, one per line: the code,
    the label, and the pinyin (full and initials) of the Chinese label. `abbrev` holds
    the keys an abbreviation is matched against in order (see the module's docstring).
    """

    value: str
    display: str
    hint: str
    search: str
    abbrev: str = ""

    def as_json(self) -> dict:
        found = {"v": self.value, "d": self.display, "h": self.hint, "s": self.search}
        if self.abbrev:
            found["a"] = self.abbrev
        return found


@lru_cache(maxsize=4096)
def pinyin_keys(text: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese text, letters and digits only: 审批服务 →
    ('shenpifuwu', 'spfw'). Cached: names repeat on every page and cost ~0.5 ms each."""
    full = "".join(lazy_pinyin(text)).lower()
    initials = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()
    keep = re.compile(r"[^a-z0-9]")
    return keep.sub("", full), keep.sub("", initials)


def search_keys(*texts: str) -> str:
    """The search keys of some labels: each normalised, its full pinyin and initials."""
    keys = []
    for text in texts:
        if not text:
            continue
        full, initials = pinyin_keys(text)
        keys += [normalise_query(text), full, initials]
    return "\n".join(dict.fromkeys(k for k in keys if k))


def abbreviation_keys(*texts: str) -> str:
    """The keys an abbreviation of these labels is matched against: each label and its
    pinyin initials (the full pinyin would let almost any letters match)."""
    keys = []
    for text in texts:
        if text:
            keys += [normalise_query(text), pinyin_keys(text)[1]]
    return "\n".join(dict.fromkeys(k for k in keys if k))


def normalise_query(text: str) -> str:
    """What a typed search is compared as: lower case, without spaces and separators, so
    'SPFW 01', 'spfw-01' and '审批服务/办理' all find what they mean."""
    return re.sub(r"[\s/／·、,，\-_()（）“”\"]+", "", (text or "").lower())


def _in_order(query: str, key: str) -> bool:
    # Every character of the query, in order, with anything between.
    rest = iter(key)
    return all(ch in rest for ch in query)


# An abbreviation needs at least this many characters: one or two letters in order would
# find most of a long list.
ABBREVIATION_MIN = 2


def search_options(options: list[Option], text: str) -> list[Option]:
    """The options a typed text finds (the same rule as web/picker.js): those it is
    inside of first, then those it abbreviates."""
    query = normalise_query(text)
    if not query:
        return list(options)
    plain = [o for o in options if query in o.search]
    if len(query) < ABBREVIATION_MIN:
        return plain
    shortened = [o for o in options if o.abbrev and o not in plain and any(
        _in_order(query, key) for key in o.abbrev.split("\n"))]
    return plain + shortened


def resolve_option(options: list[Option], text: str) -> str | None:
    """The value the typed text stands for: a value or display typed out in full, or else
    the one option the text is inside of (an abbreviation is only a way to find it in the
    list). None when it finds none or several."""
    typed = (text or "").strip()
    if not typed:
        return None
    lowered = typed.lower()
    for option in options:
        if lowered in (option.value.lower(), option.display.lower()):
            return option.value
    query = normalise_query(typed)
    found = [o for o in options if query and query in o.search]
    return found[0].value if len(found) == 1 else None
