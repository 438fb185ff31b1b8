"""The supervision codes' pages: the public page a scan opens (/c/<token>), and the
managers' page to issue, withdraw, replace and print codes (/codes/).

A scan of an unknown token counts against the address with the same per-address limit as
following a case (qinqing.security.FailureWindow): guessing tokens from one address stops
after a few dozen tries. A right token is never limited (a busy hall scans all day).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qinqing.codes import queries, services, sheets
from qinqing.documents import DocumentUnavailable
from qinqing.org.models import Unit
from qinqing.security import FailureWindow, client_address


def scan_window() -> FailureWindow:
    return FailureWindow("code", settings.QINQING_TRACK_LIMIT, settings.QINQING_TRACK_WINDOW)


def lookup(request, token: str):
    """The live code a scan opens, or the page to answer instead: (code, None) or
    (None, response). Used by this page and by the page to rate (qinqing.ratings), which
    serves /c/<token> with the same answers for unknown, withdrawn and limited codes."""
    window = scan_window()
    address = client_address(request)
    wait = window.retry_after(address)
    if wait is not None:
        # Past the limit even a right token waits: the answer tells a guesser nothing.
        response = render(request, "codes/scan_limited.html",
                          {"wait_minutes": max(1, round(wait / 60))}, status=429)
        response["Retry-After"] = str(wait)
        return None, response
    code = queries.scan(token)
    if code is None:
        window.fail(address)
        return None, render(request, "codes/scan_unknown.html", status=404)
    if code.revoked_at is not None or not code.object_active:
        # A code of a window since closed reads as withdrawn: nobody there to answer for it.
        new = queries.replacement(code)
        replacement = queries.shown(new) if new is not None else None
        return None, render(request, "codes/scan_revoked.html",
                            {"code": code, "replacement": replacement}, status=410)
    if request.method == "GET":  # a scan opens the page; sending its form is not another
        services.count_scan(code)
    return code, None


@require_GET
def scan(request, token: str):
    """The page without rating (served when qinqing.ratings is not installed)."""
    code, response = lookup(request, token)
    if response is not None:
        return response
    return render(request, "codes/scan.html", {"code": code, "shown": queries.shown(code)})


# ------------------------------------------------------------------------ managers

def _manager(request) -> None:
    if not queries.may_manage(request.user):
        raise PermissionDenied


def _unit(request, code: str | None) -> Unit:
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None or not queries.may_manage_object(request.user, unit):
            raise Http404(_("No unit has this code."))
        return unit
    unit = queries.default_unit(request.user)
    if unit is None:
        raise PermissionDenied
    return unit


@login_required
@require_GET
def manage(request):
    _manager(request)
    unit = _unit(request, request.GET.get("unit"))
    return render(request, "codes/manage.html", {
        "unit": unit, "units": queries.manager_units(request.user),
        "sheet": queries.sheet(unit), "others": queries.other_codes(unit),
        "staff": queries.staff_without_code(unit), "reason_max": services.REASON_MAX})


def _back(request, unit_code: str):
    return redirect(reverse("codes:manage") + (f"?unit={unit_code}" if unit_code else ""))


@login_required
@require_POST
def issue(request):
    _manager(request)
    obj = queries.find_object(request.POST.get("kind", ""), request.POST.get("id"))
    if obj is None or not queries.may_manage_object(request.user, obj):
        raise Http404(_("No such supervision code."))
    try:
        services.issue(obj, by=request.user)
    except services.Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("A code was issued for %(name)s.") % {"name": obj})
    return _back(request, request.POST.get("unit", ""))


def _code(request, pk):
    code = queries.get_code(pk)
    if code is None or not queries.may_manage_object(request.user, code.object):
        raise Http404(_("No such supervision code."))
    return code


@login_required
@require_POST
def withdraw(request, pk: int):
    _manager(request)
    code = _code(request, pk)
    replace = request.POST.get("action") == "replace"
    try:
        if replace:
            services.replace(code.pk, by=request.user, reason=request.POST.get("reason", ""))
        else:
            services.revoke(code.pk, by=request.user, reason=request.POST.get("reason", ""))
    except services.Refused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, (_("The code of %(name)s was replaced: print the new one.")
                                   if replace else _("The code of %(name)s was withdrawn."))
                         % {"name": code.object_name})
    return _back(request, request.POST.get("unit", ""))


def _pdf(request, sheet, filename: str):
    try:
        body = sheets.render(sheet, request.build_absolute_uri("/"))
    except DocumentUnavailable as exc:
        messages.error(request, str(exc))
        return _back(request, sheet.unit.code)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
@require_GET
def card(request, pk: int):
    """Reprint one live code."""
    _manager(request)
    code = _code(request, pk)
    if code.revoked_at is not None:
        raise Http404(_("This code has been withdrawn."))
    return _pdf(request, queries.card_sheet(code), f"code-{code.pk}.pdf")


@login_required
@require_POST
def sheet(request):
    """Every code of a hall or a region in one PDF, issuing the missing codes first (a
    POST: printing may issue codes)."""
    _manager(request)
    unit = _unit(request, request.POST.get("unit"))
    services.issue_missing(queries.sheet(unit).objects(), by=request.user)
    return _pdf(request, queries.sheet(unit), f"codes-{unit.code}.pdf")
