"""The audit of unmaskings (查看身份记录): the page and its Excel export.

Thin: the reads are `queries.unmask_log` and `queries.unmask_row`; only the discipline
commission and administrators get in (queries.can_audit), everyone else gets 403.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing import xlsx
from qinqing.cases import queries

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000  # rows in one export: a wider range is split by date


def _auditor(request):
    if not queries.can_audit(request.user):
        raise PermissionDenied(_("Only the discipline commission and administrators read "
                                 "the log of unmaskings."))


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _filters(params) -> queries.UnmaskFilters:
    return queries.UnmaskFilters(
        since=_date(params.get("since")), until=_date(params.get("until")),
        user=(params.get("user") or "").strip()[:150] or None,
        case=(params.get("case") or "").strip()[:32] or None)


@login_required
def unmask_log(request):
    _auditor(request)
    filters = _filters(request.GET)
    page = Paginator(queries.unmask_log(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "cases/audit_unmask.html", {
        "page": page, "rows": [queries.unmask_row(entry) for entry in page],
        "filters": filters, "users": queries.unmasking_users(request.user),
        "query": query.urlencode()})


@login_required
def unmask_log_xlsx(request):
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    _auditor(request)
    entries = queries.unmask_log(request.user, _filters(request.GET))[:EXPORT_LIMIT]
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = _("Unmaskings")[:31]
    sheet.append([_("At"), _("Staff member"), _("Account"), _("Unit"), _("Case number"),
                  _("Reporter (masked)"), _("Reason")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for entry in entries.iterator(chunk_size=1000):
        row = queries.unmask_row(entry)
        # Through qinqing.xlsx: a reason typed as `=HYPERLINK(...)` stays text.
        xlsx.append(sheet, [row["at"].replace(tzinfo=None)] + [row[key] for key in (
            "user", "username", "unit", "case", "reporter", "reason")])
        sheet.cell(sheet.max_row, 1).number_format = "yyyy-mm-dd hh:mm"
    for column, width in zip(range(1, 8), (18, 14, 16, 24, 18, 22, 60)):
        sheet.column_dimensions[get_column_letter(column)].width = width
    out = BytesIO()
    book.save(out)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(out.getvalue(), content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="unmask-log-{stamp}.xlsx"'
    return response
