"""The hotline agent's intake page, and the two panels it refreshes while the agent types.

Thin: the form resolves what was typed, `intake.services.register_call` writes, the
queries read. A refused save re-renders the form as typed (422) with each message next
to its field; nothing is saved then.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from qinqing.cases.confidential import code_groups
from qinqing.cases.errors import CaseError, InvalidInput
from qinqing.cases.models import State
from qinqing.cases.services import INTAKE_ROLES
from qinqing.intake import queries, services
from qinqing.intake.forms import IntakeForm
from qinqing.org.queries import region_choices, unit_options

# Look-alike checks compare at most this much of the text (the rest adds little).
SIMILAR_TEXT_CHARS = 1000


def _require_intake_role(request) -> None:
    # The same rule as services.create_case: only hotline roles register cases, so only
    # they get the caller look-ups of this page.
    if not request.user.has_role(*INTAKE_ROLES):
        raise PermissionDenied(_("Your role may not register cases."))


def _new_key() -> str:
    return secrets.token_urlsafe(16)


def _options() -> dict:
    return {"categories": queries.category_options(), "kinds": queries.kind_options(),
            "regions": region_choices()}


def _render_form(request, form: IntakeForm, status: int = 200, earlier_case=None):
    data = form.data if form.is_bound else {}
    phone = data.get("phone", "")
    context = {
        "form": form,
        "kind_options": [o.as_json() for o in form.kinds],
        "category_options": [o.as_json() for o in form.categories],
        "unit_options": unit_options(),
        "earlier_case": earlier_case,
        "similar_days": queries.SIMILAR_DAYS,
    }
    if form.is_bound:
        # A form sent back for correcting shows its panels at once, without a script.
        context["earlier"] = _earlier_context(request.user, phone)
        context["similar"] = _similar(request.user, data, form.categories)
    return render(request, "intake/new.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def new_case(request):
    _require_intake_role(request)
    options = _options()
    if request.method == "GET":
        return _render_form(request, IntakeForm(initial={"idempotency_key": _new_key()},
                                                **options))
    data = request.POST.copy()
    if not data.get("idempotency_key"):
        # A page from before this field existed, or a hand-made post: still save it.
        data["idempotency_key"] = _new_key()
    form = IntakeForm(data, **options)
    if not form.is_valid():
        return _render_form(request, form, status=422)
    key = form.cleaned_data["idempotency_key"]
    try:
        result = services.register_call(request.user, form.case_data(), answer=form.answer_text,
                                        idempotency_key=key)
    except InvalidInput as exc:
        if exc.code == "idempotency_key_reused":
            return _reused_key(request, data, options, key)
        form.apply_errors(exc.fields, exc.message)
        return _render_form(request, form, status=422)
    except CaseError as exc:
        form.add_error(None, exc.message)
        return _render_form(request, form, status=exc.status)
    similar = []
    if result.case.state == State.RECEIVED:
        # Offered as "merge into" buttons: the new case is the one that would be merged.
        similar = _similar(request.user, data, form.categories, exclude=result.case.pk)
    return render(request, "intake/saved.html", {
        "result": result, "code_groups": code_groups(result.query_code), "similar": similar,
    }, status=201 if result.created else 200)


def _reused_key(request, data, options, key):
    """The form was saved already and then changed (Back, edit, save): say which case it
    became, and give the form a new key so that saving again registers a new case."""
    earlier = queries.case_for_key(request.user, key)
    data["idempotency_key"] = _new_key()
    form = IntakeForm(data, **options)
    form.is_valid()
    form.add_error(None, _("This form was already saved. Save again to register another case."))
    return _render_form(request, form, status=409, earlier_case=earlier)


# ------------------------------------------------------------------------- panels

def _earlier_context(user, phone: str) -> dict:
    cases, more = queries.earlier_cases(user, phone)
    return {"cases": cases, "more": more, "searched": bool(phone.strip())}


def _similar(user, data, categories, exclude=None) -> dict:
    category = queries.resolve_option(categories, data.get("category", "")) or ""
    found = queries.similar_cases(
        user, phone=data.get("phone", ""),
        enterprises=[data.get("enterprise_name", ""), data.get("reporter_enterprise", "")],
        text=f"{data.get('title', '')} {data.get('content', '')}"[:SIMILAR_TEXT_CHARS],
        category=category, region=data.get("region", ""), exclude=exclude)
    return {"items": found, "days": queries.SIMILAR_DAYS}


@login_required
@require_GET
def caller_cases(request):
    """The caller's earlier cases, for the panel next to the phone field."""
    _require_intake_role(request)
    return render(request, "intake/_earlier.html",
                  {"earlier": _earlier_context(request.user, request.GET.get("phone", ""))})


@login_required
@require_http_methods(["GET", "POST"])
def similar(request):
    """Recent open cases that look like the one being typed in. POST as well as GET: the
    text can be longer than a URL may be."""
    _require_intake_role(request)
    data = request.POST if request.method == "POST" else request.GET
    return render(request, "intake/_similar.html",
                  {"similar": _similar(request.user, data, queries.category_options())})
