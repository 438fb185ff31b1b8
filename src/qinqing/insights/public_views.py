"""The public figures page (no login): the latest published bulletin of every region, each
bulletin with its downloads, the same figures as open data (JSON and CSV), and the newest
cases listed for supervision (as qinqing.supervision anonymises them for its public list).

Only published bulletins are shown, as they were published (models.Bulletin.document):
no figure here is read from the cases."""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from qinqing.insights import exports, queries, services
from qinqing.xlsx import csv_cell

OPEN_DATA_COLUMNS = ["bulletin", "region_code", "region_name", "period_start", "period_end",
                     "published_at", "computed_at", "table", "group_key", "group_label",
                     "name", "label", "value", "numerator", "denominator", "unit", "formula"]


LISTED_ON_FIGURES_PAGE = 10


def figures_page(request):
    from qinqing.supervision.queries import public_listings

    latest = queries.latest_bulletins()
    listed, _more = public_listings(size=LISTED_ON_FIGURES_PAGE)  # anonymised by supervision
    return render(request, "insights/public_figures.html", {
        "latest": [(b, {f["name"]: f for f in b.document["figures"]}) for b in latest],
        "items": listed,
    })


def bulletin_page(request, pk: int):
    bulletin = queries.published(pk)
    if bulletin is None:
        raise Http404
    return render(request, "insights/public_bulletin.html",
                  {"bulletin": bulletin, "doc": bulletin.document})


def bulletin_file(request, pk: int, fmt: str):
    """A published bulletin's file as stored at publication: never rendered here (a PDF
    takes about 2 s to render, and anonymous downloads must not queue behind it)."""
    bulletin = queries.published(pk)
    if bulletin is None or fmt not in exports.FORMATS:
        raise Http404
    stored = services.bulletin_file(bulletin, fmt)
    response = HttpResponse(bytes(stored.content), content_type=stored.content_type)
    if fmt != "json":
        response["Content-Disposition"] = f'attachment; filename="{stored.filename}"'
    return response


def open_data_rows(request) -> list[dict]:
    rows = []
    for bulletin in queries.latest_bulletins():
        doc = bulletin.document
        base = {"bulletin": request.build_absolute_uri(reverse("public:bulletin",
                                                               args=[bulletin.pk])),
                "region_code": doc["scope"]["region"], "region_name": doc["scope"]["region_name"],
                "period_start": doc["scope"]["start"], "period_end": doc["scope"]["end"],
                "published_at": timezone.localtime(bulletin.published_at).isoformat(
                    timespec="seconds"),
                "computed_at": doc["computed_at"]}
        tables = [("figures", "", "", f) for f in doc["figures"] + doc["stage_figures"]]
        for table in ("by_destination", "by_kind", "by_channel"):
            tables += [(table, r["key"], r["group"], r) for r in doc[table]]
        tables += [("by_region", r["key"], r["label"], f) for r in doc["by_region"]
                   for f in r["figures"]]
        if doc.get("accountability"):  # bulletins published before it joined have none
            tables += [("figures", "", "", doc["accountability"])]
            tables += [("by_sanction", r["key"], r["group"], r) for r in doc["by_sanction"]]
        for table, key, label, figure in tables:
            rows.append({**base, "table": table, "group_key": key, "group_label": label,
                         **{k: figure[k] for k in ("name", "label", "value", "numerator",
                                                   "denominator", "unit", "formula")}})
    return rows


def open_data_json(request):
    return JsonResponse({"generated_at": timezone.localtime().isoformat(timespec="seconds"),
                         "columns": OPEN_DATA_COLUMNS, "rows": open_data_rows(request)},
                        json_dumps_params={"ensure_ascii": False})


def open_data_csv(request):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=OPEN_DATA_COLUMNS, lineterminator="\n")
    writer.writeheader()
    # Labels are text people entered (unit and category names): never a formula.
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in open_data_rows(request))
    # With a byte-order mark, Excel opens the UTF-8 file with its Chinese intact.
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="qinqing-figures.csv"'
    return response
