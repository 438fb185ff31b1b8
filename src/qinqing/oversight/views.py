"""The oversight pages: sweep campaigns, joint meetings, accountability, inspections.

Thin: parse the request, call a query or a service, render. A refused save re-renders
the form as typed with each message next to its field (422), at the top for a role
(403) or a state (409); nothing is saved then.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from qinqing.cases.errors import CaseError, InvalidInput, NotFound
from qinqing.org.models import Unit
from qinqing.oversight import forms, queries, services
from qinqing.oversight.models import Campaign, SanctionType
from qinqing.xlsx import csv_cell


def _readable(request) -> None:
    if not queries.may_read(request.user):
        raise PermissionDenied(_("Your role has no oversight pages."))


def _may(request, roles) -> bool:
    return request.user.is_active and request.user.role in roles


def _page(request, qs):
    return Paginator(qs, queries.PAGE_SIZE).get_page(request.GET.get("page"))


class _Rows:
    """The filled-in rows of a formset, numbered as the service numbered them (the
    empty rows were left out of its input)."""

    def __init__(self, formset):
        self.forms = [f for f in formset.forms if f.has_changed()]


def _refused(form, exc: CaseError, formsets=None) -> int:
    if isinstance(exc, InvalidInput):
        forms.put_errors(form, exc.fields, exc.message, formsets)
    else:
        form.add_error(None, exc.message)
    return exc.status


@login_required
def index(request):
    _readable(request)
    now = timezone.now()
    today = timezone.localtime(now).date()
    year_start = today.replace(month=1, day=1)
    return render(request, "oversight/index.html", {
        "campaigns": [c for c in queries.campaigns(request.user) if c.is_open][:5],
        "overdue_decisions": queries.open_decisions(request.user, today=today,
                                                    overdue_only=True, limit=10),
        "sanctions": queries.outcomes_by_sanction(year_start, today, user=request.user),
        "figures": queries.inspection_figures(year_start, today, user=request.user),
        "year": today.year, "today": today})


# ------------------------------------------------------------------ sweep campaigns

@login_required
def campaign_list(request):
    _readable(request)
    return render(request, "oversight/campaigns.html", {
        "campaigns": queries.campaigns(request.user),
        "can_start": _may(request, services.CAMPAIGN_ROLES)})


@login_required
def campaign_new(request):
    if not _may(request, services.CAMPAIGN_ROLES):
        raise PermissionDenied(_("Your role may not start sweep campaigns."))
    form = forms.CampaignForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                campaign = services.start_campaign(request.user, form.payload(),
                                                   key=form.cleaned_data["key"])
            except CaseError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, _("Campaign started with %(n)s overdue cases.")
                                 % {"n": campaign.snapshot_count})
                return redirect("oversight:campaign", pk=campaign.pk)
    return render(request, "oversight/campaign_new.html", {"form": form}, status=status)


def _campaign_or_404(pk):
    campaign = (Campaign.objects.select_related("region", "unit", "started_by",
                                                         "closed_by").filter(pk=pk).first())
    if campaign is None:
        raise Http404(_("No such campaign."))
    return campaign


def _render_campaign(request, campaign, close_form=None, status=200):
    progress = queries.campaign_progress(campaign, request.user)
    return render(request, "oversight/campaign.html", {
        "campaign": campaign, "progress": progress, "now": timezone.now(),
        "limit": queries.LIST_LIMIT,
        "can_close": campaign.is_open and _may(request, services.CAMPAIGN_ROLES),
        "close_form": close_form or forms.CloseCampaignForm()}, status=status)


@login_required
def campaign_detail(request, pk):
    _readable(request)
    return _render_campaign(request, _campaign_or_404(pk))


@login_required
@require_POST
def campaign_close(request, pk):
    _readable(request)
    campaign = _campaign_or_404(pk)
    form = forms.CloseCampaignForm(request.POST)
    if not form.is_valid():
        return _render_campaign(request, campaign, form, status=422)
    try:
        services.close_campaign(campaign.pk, request.user, form.cleaned_data["note"])
    except CaseError as exc:
        status = _refused(form, exc)
        return _render_campaign(request, _campaign_or_404(pk), form, status=status)
    messages.success(request, _("The campaign is closed."))
    return redirect("oversight:campaign", pk=pk)


# ------------------------------------------------------------------- joint meetings

@login_required
def meeting_list(request):
    _readable(request)
    today = timezone.localdate()
    return render(request, "oversight/meetings.html", {
        "page": _page(request, queries.meetings(request.user, today=today)),
        "overdue": queries.open_decisions(request.user, today=today, overdue_only=True),
        "today": today, "can_record": _may(request, services.MEETING_ROLES)})


@login_required
def meeting_new(request):
    if not _may(request, services.MEETING_ROLES):
        raise PermissionDenied(_("Your role may not record joint meetings."))
    initial = {"cases": request.GET.get("case", "")[:20]}
    form = forms.MeetingForm(request.POST or None, initial=initial)
    rows = forms.DecisionFormSet(request.POST or None, prefix="decisions")
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and rows.is_valid():
            try:
                meeting = services.record_meeting(
                    request.user, {**form.payload(), "decisions": rows.payload()},
                    key=form.cleaned_data["key"])
            except CaseError as exc:
                status = _refused(form, exc, {"decisions": _Rows(rows)})
            else:
                messages.success(request, _("The joint meeting is recorded."))
                return redirect("oversight:meeting", pk=meeting.pk)
    return render(request, "oversight/meeting_new.html", {"form": form, "rows": rows},
                  status=status)


def _meeting_or_404(request, pk):
    meeting = queries.meeting_detail(request.user, pk)
    if meeting is None:
        raise Http404(_("No such meeting."))
    return meeting


def _render_meeting(request, meeting, *, add_form=None, done_forms=None, status=200):
    today = timezone.localdate()
    done_forms = done_forms or {}
    decisions = [{"decision": d, "overdue": d.done_at is None and d.due_on < today,
                  "late": d.done_at is not None
                  and timezone.localtime(d.done_at).date() > d.due_on,
                  "may_complete": d.done_at is None and services.may_complete(d, request.user),
                  "form": done_forms.get(d.pk) or forms.DoneForm(prefix=f"done-{d.pk}")}
                 for d in meeting.decisions.all()]
    return render(request, "oversight/meeting.html", {
        "meeting": meeting, "decisions": decisions, "today": today,
        # Listed, and linked where the minutes and decisions name them.
        "meeting_cases": list(meeting.cases.all()),
        "can_add": _may(request, services.MEETING_ROLES),
        "add_form": add_form or forms.DecisionForm(prefix="add")}, status=status)


@login_required
def meeting_detail(request, pk):
    _readable(request)
    return _render_meeting(request, _meeting_or_404(request, pk))


@login_required
@require_POST
def decision_add(request, pk):
    _readable(request)
    meeting = _meeting_or_404(request, pk)
    form = forms.DecisionForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            services.add_decision(meeting.pk, request.user, form.payload())
        except CaseError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, _("The decision is added."))
            return redirect("oversight:meeting", pk=pk)
    else:
        status = 422
    return _render_meeting(request, _meeting_or_404(request, pk), add_form=form, status=status)


@login_required
@require_POST
def decision_done(request, pk, decision):
    _readable(request)
    meeting = _meeting_or_404(request, pk)
    if not any(d.pk == decision for d in meeting.decisions.all()):
        raise Http404(_("No such decision."))
    form = forms.DoneForm(request.POST, prefix=f"done-{decision}")
    if form.is_valid():
        try:
            services.complete_decision(decision, request.user, form.cleaned_data["note"])
        except NotFound:
            raise Http404(_("No such decision.")) from None
        except CaseError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, _("The decision is marked done."))
            return redirect("oversight:meeting", pk=pk)
    else:
        status = 422
    return _render_meeting(request, _meeting_or_404(request, pk), done_forms={decision: form},
                           status=status)


# -------------------------------------------------------------- accountability (问责)

def _record_filters(request):
    form = forms.RecordFilterForm(request.GET or None)
    filters = queries.RecordFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = queries.RecordFilters(
            start=data.get("start"), end=data.get("end"),
            region=Unit.objects.filter(code=data["region"]).first() if data.get("region") else None,
            sanction=SanctionType.objects.filter(code=data["sanction"]).first()
            if data.get("sanction") else None)
    return form, filters


def _officials(records, user):
    return [(r, queries.official(r, user)) for r in records]


@login_required
def record_list(request):
    _readable(request)
    form, filters = _record_filters(request)
    page = _page(request, queries.records(request.user, filters))
    counts = queries.outcomes_by_sanction(filters.start, filters.end, region=filters.region,
                                          user=request.user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "oversight/records.html", {
        "form": form, "page": page, "rows": _officials(page.object_list, request.user),
        "counts": counts, "total": sum(c.count for c in counts),
        "names": queries.may_see_names(request.user), "query": query.urlencode(),
        "can_record": _may(request, services.ACCOUNTABILITY_ROLES)},
        status=422 if form.is_bound and not form.is_valid() else 200)


@login_required
@sensitive_post_parameters("official_name", "official_position", "notes")
def record_new(request):
    if not _may(request, services.ACCOUNTABILITY_ROLES):
        raise PermissionDenied(_("Your role may not record accountability."))
    form = forms.AccountabilityForm(request.POST or None,
                                    initial={"cases": request.GET.get("case", "")[:20]})
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                record = services.record_accountability(request.user, form.payload(),
                                                        key=form.cleaned_data["key"])
            except CaseError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, _("The accountability record is saved."))
                return redirect("oversight:record", pk=record.pk)
    return render(request, "oversight/record_new.html", {"form": form}, status=status)


@login_required
def record_detail(request, pk):
    _readable(request)
    record = queries.record_detail(request.user, pk)
    if record is None:
        raise Http404(_("No such record."))
    return render(request, "oversight/record.html", {
        "record": record, "official": queries.official(record, request.user)})



@login_required
def record_export(request):
    """The filtered records as CSV (UTF-8 with BOM, which Excel opens in Chinese)."""
    _readable(request)
    form, filters = _record_filters(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(" ".join(e for errs in form.errors.values() for e in errs),
                            status=422, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="accountability.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("Decided on"), _("Official"), _("Position"), _("Official's unit"),
                     _("Sanction"), _("Decided by"), _("Cases")])
    withheld = _("withheld")
    # In chunks: the export holds every matching record, however many years they span.
    for record in queries.records(request.user, filters).iterator(chunk_size=1000):
        person = queries.official(record, request.user)
        writer.writerow([csv_cell(v) for v in (
            record.decided_on.isoformat(), person.name if person.shown else withheld,
            person.position if person.shown else withheld, record.official_unit.name,
            record.sanction.name, record.decided_by,
            " ".join(c.number for c in record.cases.all()))])
    return response


# --------------------------------------------------------------------- inspections

@login_required
def inspection_list(request):
    _readable(request)
    today = timezone.localdate()
    return render(request, "oversight/inspections.html", {
        "page": _page(request, queries.inspections(request.user)),
        "figures": queries.inspection_figures(user=request.user),
        "year_figures": queries.inspection_figures(today.replace(month=1, day=1), today,
                                                   user=request.user),
        "year": today.year, "can_record": _may(request, services.INSPECTION_ROLES)})


@login_required
def inspection_new(request):
    if not _may(request, services.INSPECTION_ROLES):
        raise PermissionDenied(_("Your role may not record inspections."))
    form = forms.InspectionForm(request.POST or None)
    rows = forms.ProblemFormSet(request.POST or None, prefix="problems")
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and rows.is_valid():
            try:
                inspection = services.record_inspection(
                    request.user, {**form.payload(), "problems": rows.payload()},
                    key=form.cleaned_data["key"])
            except CaseError as exc:
                status = _refused(form, exc, {"problems": _Rows(rows)})
            else:
                messages.success(request, _("The inspection is recorded; each problem is "
                                            "now a case."))
                return redirect("oversight:inspection", pk=inspection.pk)
    return render(request, "oversight/inspection_new.html", {"form": form, "rows": rows},
                  status=status)


def _render_inspection(request, inspection, problem_form=None, status=200):
    problems = [{"problem": p, "rectified": queries.is_rectified(p)}
                for p in inspection.problems.all()]
    return render(request, "oversight/inspection.html", {
        "inspection": inspection, "problems": problems,
        "rectified": sum(1 for p in problems if p["rectified"]),
        "can_add": _may(request, services.INSPECTION_ROLES),
        "problem_form": problem_form or forms.ProblemForm(prefix="add")}, status=status)


def _inspection_or_404(request, pk):
    inspection = queries.inspection_detail(request.user, pk)
    if inspection is None:
        raise Http404(_("No such inspection."))
    return inspection


@login_required
def inspection_detail(request, pk):
    _readable(request)
    return _render_inspection(request, _inspection_or_404(request, pk))


@login_required
@require_POST
def problem_add(request, pk):
    _readable(request)
    inspection = _inspection_or_404(request, pk)
    form = forms.ProblemForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            services.add_problem(inspection.pk, request.user, form.payload())
        except CaseError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, _("The problem is recorded as a case."))
            return redirect("oversight:inspection", pk=pk)
    else:
        status = 422
    return _render_inspection(request, _inspection_or_404(request, pk), form, status=status)
