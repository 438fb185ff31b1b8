"""The Chinese catalogues: one per app (src/qinqing/<app>/locale/) and the shared one.

Django merges them, and where two hold the same English text the one of the app listed
first in INSTALLED_APPS wins, silently: two apps translating one text differently would
show a page the other app's words. So the same text must have one translation everywhere.
"""

from __future__ import annotations

import gettext
from collections import defaultdict
from pathlib import Path

import qinqing

ROOT = Path(qinqing.__file__).parent
CATALOGUES = sorted(ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.mo"))


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 2, CATALOGUES


def test_one_text_has_one_translation_in_every_catalogue():
    seen: dict[object, dict[str, object]] = defaultdict(dict)
    for path in CATALOGUES:
        with path.open("rb") as fh:
            catalogue = gettext.GNUTranslations(fh)._catalog
        for msgid, msgstr in catalogue.items():
            if msgid and msgstr:
                seen[msgid][str(path.relative_to(ROOT))] = msgstr
    differing = {msgid: where for msgid, where in seen.items() if len(set(where.values())) > 1}
    assert not differing, "\n".join(f"{msgid!r}: {where}" for msgid, where in differing.items())


def test_every_catalogue_is_compiled_from_its_source():
    for mo in CATALOGUES:
        po = mo.with_suffix(".po")
        assert po.exists(), po
        assert mo.stat().st_size > 0, mo
