"""The printed supervision codes, as one PDF: per hall an A4 sheet with the hall's code
and every window's (a grid), then a table card per window; an A4 poster per enterprise;
a card for a code printed on its own (a department, a staff member, a reprint).

Rendering only: the codes are issued before (services.issue_missing); a card whose object
has no live code is left out rather than printed with a dead address.
"""

from __future__ import annotations

from qinqing.codes.queries import Sheet, code_url
from qinqing.documents import qr_data_uri, render_pdf
from qinqing.org.models import UnitKind


def _printed(card, base_url: str) -> dict | None:
    if card is None or card.code is None:
        return None
    url = code_url(base_url, card.code.token)
    obj = card.obj
    belongs = (getattr(obj, "parent", None) or getattr(obj, "unit", None)
               or getattr(obj, "region", None))
    kind = card.code.kind
    if kind == "unit" and obj.kind == UnitKind.WINDOW:
        kind = "window"
    return {"name": str(obj), "short": getattr(obj, "short_name", "") or str(obj),
            "belongs_to": str(belongs) if belongs else "", "url": url,
            "qr": qr_data_uri(url), "kind": kind}


def render(sheet: Sheet, base_url: str) -> bytes:
    halls = []
    for hall in sheet.halls:
        windows = [p for p in (_printed(c, base_url) for c in hall.windows) if p]
        own = _printed(hall.hall, base_url)
        if own or windows:
            halls.append({"hall": own, "name": str(hall.hall.obj), "windows": windows})
    enterprises = [p for p in (_printed(c, base_url) for c in sheet.enterprises) if p]
    own = _printed(sheet.own, base_url)
    return render_pdf("codes/sheet.html", {"unit": sheet.unit, "halls": halls,
                                           "enterprises": enterprises, "own": own})
