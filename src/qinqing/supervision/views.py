"""The supervisor's pages: the board of late stages, bulk reminders from it, listing a
case for supervision, reminder letters; and the public list of listed cases."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from qinqing.cases.errors import CaseError
from qinqing.cases.models import Kind
from qinqing.org.models import REGION_KINDS, Role, Unit
from qinqing.cases.queries import visible_cases
from qinqing.supervision import queries, services
from qinqing.supervision.models import ReminderLetter

BOARD_ROLES = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.DISCIPLINE_INSPECTOR,
                         Role.ANALYST, Role.ADMINISTRATOR})


def _board_context(request, params):
    if not (request.user.is_superuser or request.user.role in BOARD_ROLES):
        raise PermissionDenied
    region = params.get("region", "")[:32]
    kind = params.get("kind", "")
    kind = kind if kind in Kind.values else ""
    now = timezone.now()
    rows = queries.supervision_board(request.user, region=region, kind=kind, now=now)
    totals = queries.late_stage_totals(request.user, region=region, kind=kind, now=now)
    listed = sum(len(r.overdue) + len(r.warning) for r in rows)
    return {
        "rows": rows, "now": now, "region": region, "kind": kind, "kinds": Kind.choices,
        "regions": Unit.objects.filter(kind__in=REGION_KINDS).order_by("path"),
        "can_remind": request.user.is_superuser or request.user.role in services.REMINDER_ROLES,
        "totals": totals, "board_limit": queries.BOARD_LIMIT,
        "truncated": listed < totals["overdue"] + totals["warning"],
    }


@login_required
def board(request):
    return render(request, "supervision/board.html", _board_context(request, request.GET))


@login_required
@require_POST
def remind(request):
    numbers = request.POST.getlist("cases")
    try:
        reminded = services.send_reminders(numbers, request.user, request.POST.get("note", ""))
    except CaseError as exc:
        context = _board_context(request, request.POST)
        context.update(remind_error=" ".join(exc.fields.values()) or exc.message,
                       note=request.POST.get("note", ""), chosen=set(numbers))
        return render(request, "supervision/board.html", context, status=exc.status)
    skipped = len(set(numbers)) - len(reminded)
    messages.success(request, ngettext("Reminder sent for %(n)s case.",
                                       "Reminders sent for %(n)s cases.", len(reminded))
                     % {"n": len(reminded)})
    if skipped:
        messages.warning(request, _("%(n)s chosen cases had no late stage any more.")
                         % {"n": skipped})
    # Back to the board as it was filtered.
    return redirect(f"{reverse('supervision:board')}?{request.POST.get('back', '')}")


@login_required
@require_POST
def list_case(request, number):
    raw = request.POST.get("deadline", "").strip()
    deadline = parse_date(raw) if raw else None
    back = reverse("cases:detail", args=[number])
    if raw and deadline is None:
        messages.error(request, _("Enter the deadline as a date (YYYY-MM-DD)."))
        return redirect(back)
    try:
        listing = services.list_case(number, request.user, deadline=deadline,
                                     reason=request.POST.get("reason", ""))
    except CaseError as exc:
        messages.error(request, " ".join(exc.fields.values()) or exc.message)
        return redirect(back)
    messages.success(request, _("Listed for supervision until %(deadline)s.") % {
        "deadline": timezone.localtime(listing.deadline).strftime("%Y-%m-%d %H:%M")})
    return redirect(back)


@login_required
def letter_pdf(request, pk):
    letter = (ReminderLetter.objects.select_related("attachment", "case")
              .filter(pk=pk, case__in=visible_cases(request.user)).first())
    if letter is None:
        raise Http404
    return FileResponse(letter.attachment.file.open("rb"), content_type="application/pdf",
                        filename=letter.attachment.name)


def public_listed(request):
    """No login: listed cases as the public may see them (anonymised)."""
    try:
        before = int(request.GET.get("before", "") or 0) or None
    except ValueError:
        before = None
    if before is not None and not 0 < before < 2**62:
        before = None
    items, next_before = queries.public_listings(before=before)
    return render(request, "supervision/public_listed.html",
                  {"items": items, "next_before": next_before})
