"""The public side's pages: filing (/submit/, /cannot-do/<hall>/, /mailbox/), the
mailbox's public list and its review, the halls' posters, and following a case (/track/).

Following: the query code never travels in an address (addresses end up in logs,
histories and Referer headers): the form is POSTed, and a right pair is remembered in the
session for SESSION_MINUTES, then the browser is sent to /track/<number>/.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qinqing.cases.confidential import code_groups, mask_phone
from qinqing.cases.downloads import attachment_response
from qinqing.cases.errors import InvalidInput
from qinqing.cases.models import Channel
from qinqing.org.models import Role, Unit
from qinqing.portal import queries, services
from qinqing.portal.forms import PublishForm, RateForm, SubmitForm, TrackForm
from qinqing.portal.posters import hall_poster
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
    tracked = services.track(form.cleaned_data["number"], form.cleaned_data["code"],
                             client_address(request))
    if tracked.wait is not None:
        # Past the limit even a right pair waits, so the answer tells a guesser nothing.
        response = render(request, "portal/track.html", {
            "form": form, "wait_minutes": max(1, round(tracked.wait / 60))}, status=429)
        response["Retry-After"] = str(tracked.wait)
        return response
    case = tracked.case
    if case is None:
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
    return render(request, "portal/case.html", {"case": case, "rate_form": RateForm()})


def tracked_file(request, number: str, pk: int):
    """A file the person sent with the matter, for the session that gave its query code."""
    number = number.strip().upper()
    if not _remembered(request, number):
        return redirect(reverse("portal:track") + f"?number={number[:40]}")
    attachment = queries.reporters_file(number, pk)
    if attachment is None:
        raise Http404
    return attachment_response(attachment)


@require_POST
def rate(request, number: str):
    """The person judges the answer (see services.rate)."""
    number = number.strip().upper()
    if not _remembered(request, number):
        return redirect(reverse("portal:track") + f"?number={number[:40]}")
    form = RateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.rate(number, satisfaction=data["satisfaction"],
                          resolved=data["resolved"], reason=data["reason"])
        except services.Refused as exc:
            form.add_error(None, exc.message)
        except InvalidInput as exc:
            for key, message in (exc.fields or {None: exc.message}).items():
                form.add_error(key if key in form.fields else None, message)
        else:
            messages.success(request, _("Thank you: your judgement is recorded."))
            return redirect("portal:case", number=number)
    case = queries.public_case(number)
    return render(request, "portal/case.html", {"case": case, "rate_form": form}, status=400)


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


@dataclass(frozen=True)
class Entrance:
    """Where a matter comes in: the portal, or a hall's couldn't-get-it-done window."""

    channel: str = Channel.WEB
    hall: Unit | None = None

    @property
    def letter(self) -> bool:
        return self.channel == Channel.MAYOR_MAILBOX

    def form(self, *args, **kwargs) -> SubmitForm:
        places = queries.hall_places(self.hall) if self.hall else None
        return SubmitForm(*args, places=places, letter=self.letter, **kwargs)

    @property
    def url(self) -> str:
        if self.hall:
            return reverse("portal:cannot-do", args=[self.hall.code])
        return reverse("portal:mailbox" if self.letter else "portal:submit")


@require_http_methods(["GET", "POST"])
def submit(request):
    return _submit(request, Entrance())


@require_http_methods(["GET", "POST"])
def mailbox(request):
    """The mayor's mailbox (市长信箱): a letter, with consent to publish it or not."""
    return _submit(request, Entrance(Channel.MAYOR_MAILBOX))


def letters(request):
    """The public list of letters and answers: only what staff approved, anonymised."""
    try:
        page = max(1, min(int(request.GET.get("page", "1") or 1), 10_000))
    except ValueError:
        page = 1
    rows, more = queries.published_letters(page)
    return render(request, "portal/letters.html", {"rows": rows, "page": page, "more": more})


@login_required
@require_http_methods(["GET", "POST"])
def review_letters(request):
    """For the hotline office: answered letters whose writers agreed, to publish in
    anonymised words or to refuse."""
    if not services.may_publish(request.user):
        raise PermissionDenied
    failed, failed_form = None, None
    if request.method == "POST":
        letter_id = request.POST.get("letter", "")
        approve = request.POST.get("decision") == "approve"
        form = PublishForm(request.POST, prefix=f"l{letter_id}")
        if not letter_id.isdigit() or (approve and not form.is_valid()):
            failed, failed_form = letter_id, form
        else:
            data = form.cleaned_data if approve else {}
            try:
                services.decide_publication(int(letter_id), request.user, approve=approve,
                                            **data)
            except services.Refused as exc:
                form.add_error(_PUBLISH_FIELD.get(exc.field), exc.message)
                failed, failed_form = letter_id, form
            else:
                messages.success(request, _("Published.") if approve else _("Not published."))
                return redirect("portal:review-letters")
    rows = []
    for letter in queries.letters_to_review():
        form = (failed_form if str(letter.pk) == failed
                else PublishForm(initial=queries.draft(letter), prefix=f"l{letter.pk}"))
        rows.append((letter, form))
    return render(request, "portal/review_letters.html", {"rows": rows},
                  status=400 if failed else 200)


_PUBLISH_FIELD = {"public_title": "title", "public_question": "question",
                  "public_answer": "answer"}


@require_http_methods(["GET", "POST"])
def cannot_do(request, hall_code: str):
    """The couldn't-get-it-done window (办不成事反映窗口) of one service hall, reached from
    its QR poster: the matter is the hall's, and its supervisors get a copy."""
    hall = queries.hall(hall_code)
    if hall is None:
        raise Http404(_("No service hall has this code."))
    return _submit(request, Entrance(Channel.CANNOT_DO_WINDOW, hall))


def _submit(request, entrance: Entrance):
    if request.method == "GET":
        # From a supervision code (/c/<token>): the window or enterprise it stands for.
        given = {} if entrance.hall else queries.prefill(request.GET)
        return _submit_page(request, entrance,
                            entrance.form(initial={**given, "token": uuid.uuid4().hex}))
    if request.POST.get("action") == "send_code":
        return _send_code(request, entrance)
    form = entrance.form(request.POST, request.FILES)
    if not form.is_valid():
        return _submit_page(request, entrance, form, status=400)
    data = form.cleaned_data
    try:
        verified = False
        # A second send of a filed form is answered with its case: its code is spent.
        if not data["anonymous"] and not queries.already_filed(data["token"]):
            services.check_phone_code(data["phone"], data["sms_code"])
            verified = True
        filed = services.submit(form.intake_data(data["subject_unit"]), token=data["token"],
                                address=client_address(request),
                                enterprise_code=data["enterprise_code"],
                                phone_verified=verified, channel=entrance.channel,
                                copy_to=entrance.hall, consent=data.get("consent"),
                                files=data.get("attachments"))
    except services.Refused as exc:
        form.add_error(exc.field, exc.message)
        return _submit_page(request, entrance, form,
                            status=429 if exc.field is None else 400)
    except InvalidInput as exc:
        for key, message in (exc.fields or {None: exc.message}).items():
            form.add_error(FIELD.get(key) if FIELD.get(key) in form.fields else None, message)
        return _submit_page(request, entrance, form, status=400)
    return render(request, "portal/submitted.html", {
        "filed": filed, "code_groups": code_groups(filed.query_code),
        "sms": not data["anonymous"]})


def _send_code(request, entrance: Entrance):
    # Not bound: the other fields are not judged yet, only kept as typed.
    form = entrance.form(initial=request.POST.dict())
    phone = request.POST.get("phone", "")
    try:
        services.send_phone_code(phone, client_address(request))
    except services.Refused as exc:
        return _submit_page(request, entrance, form, code_error=exc.message, status=400)
    return _submit_page(request, entrance, form, code_sent=mask_phone(phone))


def _submit_page(request, entrance: Entrance, form, *, status=200, **extra):
    # A browser never fills a file input again: files sent with a form shown back (for
    # correcting, or after sending the SMS code) must be chosen again, and the page says so.
    dropped = request.method == "POST" and bool(request.FILES.getlist("attachments"))
    return render(request, "portal/submit.html", {
        "form": form, "hall": entrance.hall, "letter": entrance.letter, "action": entrance.url,
        "files_dropped": dropped, **extra}, status=status)


# ------------------------------------------------------------------------ QR posters

POSTER_ROLES = frozenset({Role.ADMINISTRATOR, Role.SUPERVISOR})


def _may_print(user) -> bool:
    return user.is_active and (user.is_superuser or user.role in POSTER_ROLES)


@login_required
def posters(request):
    """For administrators and supervisors: every hall's window address and poster."""
    if not _may_print(request.user):
        raise PermissionDenied
    rows = [(hall, request.build_absolute_uri(reverse("portal:cannot-do", args=[hall.code])))
            for hall in queries.halls()]
    return render(request, "portal/posters.html", {"rows": rows})


@login_required
def poster(request, hall_code: str):
    if not _may_print(request.user):
        raise PermissionDenied
    hall = queries.hall(hall_code)
    if hall is None:
        raise Http404(_("No service hall has this code."))
    url = request.build_absolute_uri(reverse("portal:cannot-do", args=[hall.code]))
    response = HttpResponse(hall_poster(hall, url), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="poster-{hall.code}.pdf"'
    return response
