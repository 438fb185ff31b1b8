"""/submit/: a person files a matter. /track/: number + query code → the case's public page, for this browser session.

The code never travels in an address (addresses end up in logs, histories and Referer
headers): the form is POSTed, and a right pair is remembered in the session for
SESSION_MINUTES, then the browser is sent to /track/<number>/.
"""

from __future__ import annotations

import time
import uuid

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qinqing.cases.confidential import mask_phone
from qinqing.cases.errors import InvalidInput
from qinqing.org.queries import resolve_unit
from qinqing.portal import queries, services
from qinqing.portal.forms import SubmitForm, TrackForm
from qinqing.security import client_address

SESSION_KEY = "portal_tracked"
SESSION_MINUTES = 30
MAX_REMEMBERED = 20


@require_http_methods(["GET", "POST"])
def track(request):
    if request.method == "GET":
        form = TrackForm(initial={"number": request.GET.get("number", "")[:40]})
        return render(request, "portal/track.html", {"form": form})
    form = TrackForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/track.html", {"form": form}, status=400)
    window = queries.track_window()
    address = client_address(request)
    wait = window.retry_after(address)
    if wait is not None:
        # Past the limit even a right pair waits, so the answer tells a guesser nothing.
        response = render(request, "portal/track.html", {
            "form": form, "wait_minutes": max(1, round(wait / 60))}, status=429)
        response["Retry-After"] = str(wait)
        return response
    case = queries.check(form.cleaned_data["number"], form.cleaned_data["code"])
    if case is None:
        window.fail(address)
        form.add_error(None, _("No case matches this number and query code. Check both "
                               "and try again."))
        return render(request, "portal/track.html", {"form": form}, status=404)
    _remember(request, case.number)
    return redirect("portal:case", number=case.number)


def tracked_case(request, number: str):
    number = number.strip().upper()
    if not _remembered(request, number):
        return redirect(reverse("portal:track") + f"?number={number[:40]}")
    case = queries.public_case(number)
    if case is None:  # remembered, then deleted (a test database, a restore)
        return redirect("portal:track")
    return render(request, "portal/case.html", {"case": case})


def _remember(request, number: str) -> None:
    now = time.time()
    kept = {n: t for n, t in request.session.get(SESSION_KEY, {}).items()
            if now - t < SESSION_MINUTES * 60}
    kept[number] = now
    request.session[SESSION_KEY] = dict(sorted(kept.items(), key=lambda i: i[1])[-MAX_REMEMBERED:])


def _remembered(request, number: str) -> bool:
    since = request.session.get(SESSION_KEY, {}).get(number)
    return since is not None and time.time() - since < SESSION_MINUTES * 60


# ---------------------------------------------------------------------------- submit

# The intake's field names, as this form names them.
FIELD = {"reporter.phone": "phone", "reporter.name": "name", "category": "category",
         "content": "content", "title": "title", "region": "region",
         "subject_unit": "subject_unit", "enterprise_name": "enterprise_name", "kind": "kind"}


@require_http_methods(["GET", "POST"])
def submit(request):
    if request.method == "GET":
        return _submit_page(request, SubmitForm(initial={"token": uuid.uuid4().hex}))
    if request.POST.get("action") == "send_code":
        return _send_code(request)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _submit_page(request, form, status=400)
    data = form.cleaned_data
    try:
        verified = False
        # A second send of a filed form is answered with its case: its code is spent.
        if not data["anonymous"] and not queries.already_filed(data["token"]):
            services.check_phone_code(data["phone"], data["sms_code"])
            verified = True
        filed = services.submit(form.intake_data(resolve_unit(data["subject_unit"])),
                                token=data["token"], address=client_address(request),
                                enterprise_code=data["enterprise_code"],
                                phone_verified=verified)
    except services.Refused as exc:
        form.add_error(exc.field, exc.message)
        return _submit_page(request, form, status=429 if exc.field is None else 400)
    except InvalidInput as exc:
        for key, message in (exc.fields or {None: exc.message}).items():
            form.add_error(FIELD.get(key), message)
        return _submit_page(request, form, status=400)
    return render(request, "portal/submitted.html", {
        "filed": filed, "code_groups": _groups(filed.query_code),
        "sms": not data["anonymous"]})


def _send_code(request):
    # Not bound: the other fields are not judged yet, only kept as typed.
    form = SubmitForm(initial=request.POST.dict())
    phone = request.POST.get("phone", "")
    try:
        services.send_phone_code(phone, client_address(request))
    except services.Refused as exc:
        return _submit_page(request, form, code_error=exc.message, status=400)
    return _submit_page(request, form, code_sent=mask_phone(phone))


def _submit_page(request, form, *, status=200, **extra):
    return render(request, "portal/submit.html", {"form": form, **extra}, status=status)


def _groups(code: str) -> list[str]:
    return [code[i:i + 4] for i in range(0, len(code), 4)]
