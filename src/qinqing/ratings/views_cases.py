"""The page a closed case's SMS invitation opens (/r/<token>, no login), and the managers'
GB/T 39046 export (/ratings/export/).

The page shows the case number, the unit that handled it and the answer as the tracking
page shows it (portal.queries.public_case), the five levels, and for a bad one the
reason and what happened. An unknown link counts against the address like a scan of an
unknown code (the tracking limit); past the limit even a right link waits, so the answer
tells a guesser nothing. A used or expired link answers 410 with why.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qinqing.cases.confidential import code_groups
from qinqing.cases.errors import InvalidInput
from qinqing.codes.queries import may_manage
from qinqing.org.queries import visible_units
from qinqing.portal import services as portal_services
from qinqing.portal.queries import public_case
from qinqing.ratings import case_ratings, defaults, export as exports, invitations, services
from qinqing.ratings.forms import CaseRateForm
from qinqing.security import FailureWindow, client_address


def link_window() -> FailureWindow:
    return FailureWindow("rating-link", settings.QINQING_TRACK_LIMIT,
                         settings.QINQING_TRACK_WINDOW)


@require_http_methods(["GET", "POST"])
def rate_case(request, token: str):
    window, address = link_window(), client_address(request)
    wait = window.retry_after(address)
    if wait is not None:
        response = render(request, "ratings/link_closed.html", {
            "title": _("Too many tries"),
            "message": _("Too many tries from your address. Try again in %(minutes)s "
                         "minutes.") % {"minutes": max(1, round(wait / 60))}}, status=429)
        response["Retry-After"] = str(wait)
        return response
    invitation = invitations.find(token)
    if invitation is None:
        window.fail(address)
        return render(request, "ratings/link_closed.html", {
            "title": _("Unknown link"),
            "message": _("This link is not valid. Check that you opened the whole address "
                         "from the SMS, or call 12345.")}, status=404)
    why = case_ratings.refusal(invitation, timezone.now())
    # A closed link is closed whatever was sent, except the form that rated it, sent
    # again (a double click, a retry): it answers below with its rating.
    if why and (request.method == "GET"
                or services.existing(request.POST.get("token", "")[:32]) is None):
        return _closed(request, why)
    if request.method == "GET":
        return _page(request, invitation, CaseRateForm(initial={"token": uuid.uuid4().hex}))
    form = CaseRateForm(request.POST)
    if not form.is_valid():
        return _page(request, invitation, form, status=400)
    try:
        rated = case_ratings.rate_case(invitation, form.cleaned_data,
                                       token=form.cleaned_data["token"])
    except case_ratings.Closed as exc:
        return _closed(request, exc.message)
    except portal_services.Refused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, invitation, form, status=400)
    except InvalidInput as exc:
        form.add_error(None, exc.message)
        return _page(request, invitation, form, status=400)
    return render(request, "ratings/case_rated.html", {
        "rated": rated, "number": invitation.case.number, "unit": invitation.unit.name,
        "code_groups": code_groups(rated.query_code) if rated.query_code else []})


def _closed(request, message: str):
    return render(request, "ratings/link_closed.html", {
        "title": _("This link is closed"), "message": message}, status=410)


def _page(request, invitation, form, *, status=200):
    return render(request, "ratings/case_rate.html", {
        "invitation": invitation, "unit": invitation.unit.name,
        "case": public_case(invitation.case.number), "form": form,
        "default_level": defaults.default_level().label}, status=status)


# ------------------------------------------------------------------------ managers

@require_GET
def export(request):
    """The period's ratings of the manager's units, GB/T 39046 layout (.xlsx). Phones
    masked: whole numbers only from the command line."""
    if not request.user.is_authenticated or not may_manage(request.user):
        raise PermissionDenied
    if "from" not in request.GET and "to" not in request.GET:
        today = timezone.localdate()
        return render(request, "ratings/export.html", {
            "start": today.replace(day=1), "end": today, "nav_current": "ratings:export"})
    try:
        start = date.fromisoformat(request.GET.get("from", ""))
        end = date.fromisoformat(request.GET.get("to", ""))
        span = exports.period(start, end)
    except ValueError as exc:
        message = str(exc) if str(exc).endswith("。") else _(
            "Give the period as two dates, YYYY-MM-DD.")
        return render(request, "ratings/link_closed.html", {
            "title": _("Export ratings"), "message": message}, status=400)
    units = None if request.user.is_superuser else visible_units(request.user)
    body = exports.as_bytes(span, units=units,
                            reversed_levels=request.GET.get("reversed") == "1")
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-"
                                                "officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = (f'attachment; filename="ratings-{start:%Y%m%d}-'
                                       f'{end:%Y%m%d}.xlsx"')
    return response
