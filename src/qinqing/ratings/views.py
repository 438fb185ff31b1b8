"""The page a supervision code's scan opens (/c/<token>): who the code stands for, the
five levels to rate, and the complaint link. Unknown, withdrawn and limited codes are
answered by codes' look-up (qinqing.codes.views.lookup), as before ratings."""

from __future__ import annotations

import uuid

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from qinqing.cases.confidential import code_groups, mask_phone
from qinqing.cases.errors import InvalidInput
from qinqing.codes import queries as code_queries
from qinqing.codes.views import lookup
from qinqing.portal import services as portal_services
from qinqing.ratings import outcomes, services
from qinqing.ratings.forms import RateForm
from qinqing.security import client_address


@require_http_methods(["GET", "POST"])
def scan(request, token: str):
    code, response = lookup(request, token)
    if response is not None:
        return response
    if request.method == "GET":
        return _page(request, code, RateForm(initial={"token": uuid.uuid4().hex}))
    if request.POST.get("action") == "send_code":
        form = RateForm(initial=request.POST.dict())
        phone = request.POST.get("phone", "")
        try:
            portal_services.send_phone_code(phone, client_address(request))
        except portal_services.Refused as exc:
            return _page(request, code, form, code_error=exc.message, status=400)
        return _page(request, code, form, code_sent=mask_phone(phone))
    form = RateForm(request.POST)
    if not form.is_valid():
        return _page(request, code, form, status=400)
    data = form.cleaned_data
    try:
        # A second send of a form with a phone is answered before its SMS code (spent by
        # the first) is checked again; without a phone, rate() finds it itself.
        rated = services.existing(data["token"]) if data["phone"] else None
        if rated is None:
            verified = False
            if data["phone"]:
                # A second send of a rated form is answered above: its code is spent.
                portal_services.check_phone_code(data["phone"], data["sms_code"])
                verified = True
            rated = services.rate(code, data, token=data["token"],
                                  address=client_address(request), phone_verified=verified)
    except portal_services.Refused as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        status = 409 if isinstance(exc, services.AlreadyRated) else 400 if exc.field else 429
        return _page(request, code, form, status=status)
    except InvalidInput as exc:
        # The rectification case was refused (the catalogue lacks the rating category, a
        # unit was closed): nothing is stored, the rater reads why.
        form.add_error(None, exc.message)
        return _page(request, code, form, status=400)
    return render(request, "ratings/rated.html", {
        "rated": rated, "shown": code_queries.shown(code),
        "code_groups": code_groups(rated.query_code) if rated.query_code else [],
        # A second send of the form shows the rating again, with what became of it.
        "outcome": "" if rated.created else outcomes.outcome(rated.rating)})


def _page(request, code, form, *, status=200, **extra):
    return render(request, "ratings/scan.html", {
        "code": code, "shown": code_queries.shown(code), "form": form, **extra},
        status=status)
