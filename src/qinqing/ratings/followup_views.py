"""Thin views of the follow-up rating, the appeals and the rater's callback details.

The follow-up online answers on the tracking page (portal/case.html shows its form
through the `rating_on_track` tag): the case must be remembered in the session by its
number and query code, as portal's own judgement of an answer is."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qinqing.cases.errors import CaseError
from qinqing.cases.models.case import Channel as CaseChannel
from qinqing.cases.queries import visible_cases
from qinqing.portal import queries as portal_queries
from qinqing.portal.forms import RateForm as PortalRateForm
from qinqing.portal.services import Refused
from qinqing.portal.views import _remembered
from qinqing.ratings import appeals, callback, followup
from qinqing.ratings.appeal_models import Appeal
from qinqing.ratings.followup_forms import AppealForm, DecisionForm, FollowUpForm, RevealForm


@require_POST
def rate_again(request, number: str):
    """The rater rates the fix on /track/<number>/."""
    number = number.strip().upper()
    if not _remembered(request, number):
        return redirect(reverse("portal:track") + f"?number={number[:40]}")
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            followup.rate_again(number, form.cleaned_data)
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Thank you: your rating of the fix is recorded."))
            return redirect("portal:case", number=number)
    case = portal_queries.public_case(number)
    if case is None:
        raise Http404
    return render(request, "portal/case.html", {
        "case": case, "rate_form": PortalRateForm(), "follow_up_form": form}, status=400)


def _rating_case(request, number: str):
    case = (visible_cases(request.user).select_related("lead_unit", "owner_unit")
            .filter(number=number, channel=CaseChannel.RATING).first())
    if case is None:
        raise Http404
    return case


def _refused(form, exc: CaseError) -> None:
    for key, message in (exc.fields or {None: exc.message}).items():
        form.add_error(key if key in form.fields else None, message)


def _done(request, case, message):
    messages.success(request, message)
    return redirect("cases:detail", number=case.number)


@login_required
@require_POST
def rate_again_by_phone(request, number: str):
    """A callback agent records the follow-up the rater gave on the phone."""
    case = _rating_case(request, number)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            followup.rate_again(case.number, form.cleaned_data, actor=request.user)
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except CaseError as exc:
            _refused(form, exc)
        else:
            return _done(request, case, _("The follow-up rating is recorded."))
    return render(request, "ratings/case_form.html", {
        "case": case, "form": form, "title": _("Record the follow-up rating"),
        "submit": _("Record")}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request, number: str):
    case = _rating_case(request, number)
    if not appeals.may_appeal(request.user, case):
        raise Http404
    form = AppealForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                appeals.appeal(case.number, request.user, form.cleaned_data["reason"])
            except CaseError as exc:
                _refused(form, exc)
            else:
                return _done(request, case, _("The appeal is sent for review."))
    return render(request, "ratings/case_form.html", {
        "case": case, "form": form, "title": _("Appeal the rating"),
        "submit": _("Send the appeal")}, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def decide(request, pk: int):
    made = get_object_or_404(Appeal.objects.select_related("case"), pk=pk)
    case = _rating_case(request, made.case.number)
    if not appeals.may_review(request.user, case):
        raise Http404
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                appeals.decide(made.pk, request.user, uphold=data["decision"] == "uphold",
                               reason=data["decision_reason"])
            except CaseError as exc:
                _refused(form, exc)
            else:
                return _done(request, case, _("The appeal is decided."))
    return render(request, "ratings/case_form.html", {
        "case": case, "form": form, "appeal": made, "title": _("Review the appeal"),
        "submit": _("Decide")}, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def rater(request, number: str):
    """A callback agent reveals the rater's name and phone, with a reason (logged)."""
    case = _rating_case(request, number)
    if not callback.may_reveal_rater(request.user, case):
        raise Http404
    form = RevealForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = callback.reveal_rater(case.number, request.user,
                                             form.cleaned_data["reason"])
        except CaseError as exc:
            _refused(form, exc)
    status = 400 if form.is_bound and revealed is None else 200
    return render(request, "ratings/case_form.html", {
        "case": case, "form": form, "revealed": revealed, "title": _("The rater"),
        "submit": _("Reveal")}, status=status)
