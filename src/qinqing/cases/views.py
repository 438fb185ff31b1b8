"""The workbench pages about cases: the case page, its moves, the queues, search.

Thin: parse the request, call a query or a service, render. Every rule lives in
`services` and `transitions`; a refused move comes back as the service's message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing import limits
from qinqing.cases import access, queries, queues, services, timeline
from qinqing.cases.downloads import attachment_response
from qinqing.cases.errors import CaseError, InvalidInput, NotFound
from qinqing.cases.forms import ACTION_FORMS, ReclassifyForm, UnmaskForm
from qinqing.cases.models import Channel, Kind, State
from qinqing.cases.transitions import TABLE, available_moves
from qinqing.org.models import Role, Unit, UnitKind


def _roles(*roles):
    def check(request):
        if not (request.user.is_superuser or request.user.role in roles):
            raise PermissionDenied
    return check


# ---------------------------------------------------------------------- the case page

def _case_or_404(request, number) -> "queries.Case":
    case = queries.case_detail(request.user, number)
    if case is None:
        raise Http404(_("No case %(number)s.") % {"number": number})
    return case


def _action_forms(case, user, bound=None):
    moves = [m for m in available_moves(case, user) if m in ACTION_FORMS]
    forms = []
    for name in moves:
        if bound and bound[0] == name:
            form = bound[1]
        else:
            form = ACTION_FORMS[name](prefix=name, initial=_initial(case, name))
        forms.append({"name": name, "move": TABLE[name], "form": form,
                      "open": bool(bound and bound[0] == name)})
    return forms


def _initial(case, move):
    if move in ("dispatch", "redispatch"):
        proposal = queries.propose_assignment(case.category, case.region)
        if move == "redispatch" and case.lead_unit:
            return {}
        if proposal:
            return {"lead_unit": proposal.lead_unit.name,
                    "co_units": [u.code for u in proposal.co_units.all()]}
    return {}


def _render_case(request, case, bound=None, status=200):
    now = timezone.now()
    actions = _action_forms(case, request.user, bound)
    # A refused move whose form is no longer offered (the case moved on) still says why.
    error = None
    if bound and not any(a["open"] for a in actions):
        error = " ".join(str(e) for e in bound[1].non_field_errors()) or None
    events = list(case.events.all())
    context = {
        "error": error,
        "case": case, "now": now,
        "clocks": sorted(case.clocks.all(), key=lambda c: (c.started_at, c.pk)),
        "events": events,
        # The history names units, not their codes (one query for all of it).
        "unit_names": dict(Unit.objects.filter(code__in=timeline.unit_codes(events))
                           .values_list("code", "name")),
        "reporters": queries.masked_reporters(case, request.user),
        "actions": actions,
        "can_unmask": access.may_unmask(request.user, case),
        "can_reclassify": access.may_reclassify(request.user) and access.is_protected(case),
        "proposal": queries.propose_assignment(case.category, case.region)
        if case.state in (State.RECEIVED, State.RETURNED) else None,
        "unit_options": Unit.objects.active().exclude(
            kind__in=[UnitKind.WINDOW, UnitKind.SERVICE_HALL]).order_by("path").only("name"),
        "pending": case.change_requests.filter(decided_at__isnull=True).first(),
        # Returned by the unit or reopened after a dissatisfied callback: why and when.
        "came_back": queues.came_back([case])[0].came_back,
    }
    return render(request, "cases/case.html", context, status=status)


@login_required
def detail(request, number):
    return _render_case(request, _case_or_404(request, number))


@login_required
@require_POST
def act(request, number, action):
    case = _case_or_404(request, number)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404(_("Unknown action %(action)s.") % {"action": action})
    form = form_class(request.POST, request.FILES, prefix=action)
    if not form.is_valid():
        return _render_case(request, case, (action, form), status=422)
    if action == "merge" and request.POST.get("merge-confirm") != "1":
        confirm = _merge_confirmation(request, case, form)
        if confirm is not None:
            return confirm
    try:
        payload = form.payload()
        if action == "reply" and form.cleaned_data.get("evidence"):
            try:
                attachment = services.add_attachment(number, request.user,
                                                     form.cleaned_data["evidence"])
            except InvalidInput as exc:  # the service's "file" is this form's "evidence"
                raise InvalidInput(exc.message, fields={
                    "evidence" if k == "file" else k: v for k, v in exc.fields.items()}) from None
            payload = payload.model_copy(update={"attachments": [attachment.pk]})
        services.perform(number, action, request.user, payload)
    except NotFound:
        raise Http404(_("No case %(number)s.") % {"number": number}) from None
    except CaseError as exc:
        if isinstance(exc, InvalidInput):
            form.apply_errors(exc.fields, exc.message)
        else:
            form.add_error(None, exc.message)
        # The case may have changed under us (another person's move): show it as it is now.
        return _render_case(request, _case_or_404(request, number), (action, form),
                            status=exc.status)
    messages.success(request, _("%(move)s: done.") % {"move": form.submit_label})
    return redirect("cases:detail", number=number)


def _merge_confirmation(request, case, form):
    """Merging closes the case for good and moves its callers onto the other one, so it is
    never done in one click: the two cases side by side first (reporters masked as on the
    case page), with a warning when they are about different enterprises; only the POST
    of this page (merge-confirm=1) merges. None when the other case cannot be shown (not
    visible, the same case, closed): the service then refuses with its own message."""
    into = (form.cleaned_data.get("into") or "").strip().upper()
    target = queries.case_detail(request.user, into) if into != case.number else None
    if target is None or target.state == State.CLOSED:
        return None
    here, there = (case.enterprise_name or "").strip(), (target.enterprise_name or "").strip()
    pair = [{"case": c, "reporters": queries.masked_reporters(c, request.user),
             "role": role} for c, role in ((case, "from"), (target, "into"))]
    return render(request, "cases/merge_confirm.html", {
        "case": case, "target": target, "pair": pair,
        "reason": form.cleaned_data.get("reason") or "",
        "enterprises_differ": here != there,
    })


@login_required
def attachment(request, number, pk):
    """Download a file of a case the user may see; 404 alike for anything else."""
    found = queries.visible_attachment(request.user, number, pk)
    if found is None:
        raise Http404(_("No such file."))
    return attachment_response(found)


@login_required
def unmask(request, number):
    """Reveal a reporter's details: an explicit act with a reason, logged by the service."""
    case = _case_or_404(request, number)
    form = UnmaskForm(request.POST or None)
    revealed = None
    if request.method == "POST" and form.is_valid():
        try:
            revealed = services.unmask_reporters(number, request.user, form.cleaned_data["reason"])
        except CaseError as exc:
            form.add_error(None, exc.message)
    template = "cases/unmask.html"
    return render(request, template, {"case": case, "form": form, "revealed": revealed},
                  status=200 if revealed is not None or request.method == "GET" else 422)


@login_required
def reclassify(request, number):
    """The discipline commission changes a report's kind or accused unit, with a reason."""
    case = _case_or_404(request, number)
    if not (access.may_reclassify(request.user) and access.is_protected(case)):
        raise PermissionDenied
    form = ReclassifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.reclassify_report(number, request.user, reason=d["reason"],
                                       kind=d["kind"] or None,
                                       subject_unit=d["subject_unit"].strip() or None,
                                       clear_subject=d["clear_subject"])
        except CaseError as exc:
            for field, message in exc.fields.items():
                form.add_error(field if field in form.fields else None, message)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            messages.success(request, _("The report of misconduct was corrected."))
            return redirect("cases:detail", number=number)
    return render(request, "cases/reclassify.html", {"case": case, "form": form},
                  status=422 if request.method == "POST" else 200)


# ------------------------------------------------------------------------- queues

@login_required
def dispatch_queue(request):
    _roles(Role.DISPATCHER)(request)
    now = timezone.now()
    return render(request, "cases/dispatch.html", {
        "cases": queues.dispatch_queue(request.user), "requests": queues.pending_requests(request.user),
        "now": now})


@login_required
def inbox(request):
    _roles(Role.HANDLER, Role.UNIT_LEADER)(request)
    return render(request, "cases/inbox.html", {"sections": queues.unit_inbox(request.user),
                                                "now": timezone.now()})


@login_required
def callbacks(request):
    _roles(Role.CALLBACK_AGENT)(request)
    return render(request, "cases/callbacks.html", {
        "cases": queues.callback_queue(request.user), "now": timezone.now()})


@login_required
def search(request):
    """Find cases: the same filters and keyset pages as GET /api/v1/cases. Text finds the
    title, content, enterprise concerned and any part of the number; the phone finds a
    caller's cases by its keyed hash (for roles that may see reporters)."""
    params = request.GET
    state = params.get("state", "")
    choices = _search_choices(request.user)
    filters = queries.CaseFilters(
        state=[state] if state in State.values else None,
        kind=params.get("kind") if params.get("kind") in Kind.values else None,
        channel=params.get("channel") if params.get("channel") in Channel.values else None,
        region=_pick(params.get("region"), choices["regions"]),
        unit=_pick(params.get("unit"), [c for _g, group in choices["units"] for c in group]),
        category=_pick(params.get("category"),
                       [c for _g, group in choices["categories"] for c in group]),
        received_from=_day_start(params.get("from")),
        received_to=_day_start(params.get("to"), next_day=True),
        text=(params.get("q") or "").strip()[:limits.SEARCH] or None,
        phone=(params.get("phone") or "").strip()[:limits.PHONE] or None
        if choices["phone"] else None,
        overdue=True if params.get("overdue") == "1" else None)
    try:
        rows, cursor = queries.case_page(queries.filtered_cases(request.user, filters),
                                         params.get("cursor"), 50)
    except ValueError:
        rows, cursor = queries.case_page(queries.filtered_cases(request.user, filters), None, 50)
    query = params.copy()
    query.pop("cursor", None)
    return render(request, "cases/search.html", {
        "cases": rows, "cursor": cursor, "now": timezone.now(), "params": params,
        "query": query.urlencode(), "states": State.choices, "kinds": Kind.choices,
        "channels": Channel.choices, **choices})


def _search_choices(user) -> dict:
    """The search page's pickers: names shown, codes sent (a fixed number of queries)."""
    from django.db.models import F

    from qinqing.cases.forms import unit_choices
    from qinqing.cases.models import Category
    from qinqing.org.queries import region_choices

    categories: dict[str, list] = {}
    for code, name, parent in (Category.objects.filter(is_active=True)
                               .order_by(F("parent__sort_order").asc(nulls_first=True),
                                         "parent__code", "sort_order", "code")
                               .values_list("code", "name", "parent__name")):
        # A top category stands for itself and all below it (CaseFilters.category).
        categories.setdefault(parent or name, []).append(
            (code, name if parent else _("%(name)s (all)") % {"name": name}))
    return {"regions": region_choices(), "units": unit_choices(),
            "categories": list(categories.items()),
            "phone": queries.may_search_by_phone(user)}


def _pick(value, choices) -> str | None:
    return value if value and value in {code for code, _label in choices} else None


def _day_start(value, next_day=False):
    """A date from the page (YYYY-MM-DD) as the start of that day in the office's time
    zone; `to` is inclusive, so its next day's start."""
    from datetime import date, datetime, time, timedelta

    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    if next_day:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))
