"""Staff pages: a bulletin for any period and region (web, Excel, PDF, JSON), publishing it,
and choosing typical cases. Thin: forms check the input, services and queries do the work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qinqing.cases import access
from qinqing.cases.errors import CaseError
from qinqing.cases.models import Channel
from qinqing.cases.queries import visible_cases
from qinqing.insights import bulletins, channel_figures, exports, queries, services
from qinqing.insights.forms import (
    ChannelPeriodForm, PeriodForm, TypicalForm, default_months, default_period,
)
from qinqing.insights.metrics import Scope
from qinqing.insights.models import TypicalCase
from qinqing.org.models import Role

BULLETIN_ROLES = queries.EDITOR_ROLES | {Role.DISPATCHER, Role.DISCIPLINE_INSPECTOR}


def _reader(request) -> None:
    if not (request.user.is_superuser or request.user.role in BULLETIN_ROLES):
        raise PermissionDenied


def _editor(request) -> bool:
    return request.user.is_superuser or request.user.role in queries.EDITOR_ROLES


def _scope(request, form: PeriodForm) -> tuple[Scope, str]:
    data = form.cleaned_data
    scope = queries.scope_for(request.user, Scope(data["start"], data["end"],
                                                  region=data.get("region") or ""))
    if not scope.region and not scope.unit:
        top = queries.top_region()
        scope = Scope(scope.start, scope.end, region=top.code if top else "")
    name = queries.region_name(scope.region or scope.unit)
    return scope, name


def _period_form(request) -> PeriodForm:
    if {"start", "end"} & set(request.GET):
        return PeriodForm(request.GET)
    start, end = default_period()
    return PeriodForm({"start": start.isoformat(), "end": end.isoformat(),
                       "region": request.GET.get("region", "")})


@login_required
def bulletin(request):
    _reader(request)
    form = _period_form(request)
    context = {"form": form, "can_publish": _editor(request), "nav_current": "insights:bulletin",
               "published": queries.published_list(20)}
    status = 200
    if form.is_valid():
        try:
            scope, name = _scope(request, form)
        except CaseError as exc:
            form.add_error(None, exc.message)
            status = exc.status
        else:
            context["doc"] = bulletins.document(scope, region_name=name, language=get_language())
            context["query"] = request.GET.urlencode() or (
                f"start={scope.start}&end={scope.end}&region={scope.region}")
    else:
        status = 422
    return render(request, "insights/bulletin.html", context, status=status)


@login_required
def download(request, fmt: str):
    _reader(request)
    if fmt not in exports.FORMATS:
        raise Http404
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return render(request, "insights/bulletin.html", {"form": form}, status=422)
    try:
        scope, name = _scope(request, form)
    except CaseError as exc:
        raise PermissionDenied(exc.message) from None
    if request.GET.get("preview") == "1" and _editor(request):
        # The file as publishing would make it: with its red header, 第N期 and date line.
        try:
            doc = services.preview_bulletin(request.user, scope.start, scope.end,
                                            scope.region).document
        except CaseError as exc:
            raise PermissionDenied(exc.message) from None
    else:
        doc = bulletins.document(scope, region_name=name, language=get_language())
    return _file(doc, fmt)


def _file(doc: dict, fmt: str) -> HttpResponse:
    response = HttpResponse(exports.render(doc, fmt, get_language()),
                            content_type=exports.CONTENT_TYPES[fmt])
    if fmt != "json":
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(doc, fmt)}"'
    return response


@login_required
def publish(request):
    """Publishing in two steps: GET (or a POST without `confirm`) shows what would go on
    the public page, with the issue number, the issuing body and the bulletin it would
    replace; only the confirming POST publishes."""
    if not _editor(request):
        raise PermissionDenied
    form = PeriodForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(reverse("insights:bulletin"))
    data = form.cleaned_data
    back = (f"{reverse('insights:bulletin')}?start={data['start']}&end={data['end']}"
            f"&region={data.get('region') or ''}")
    try:
        if request.method == "POST" and request.POST.get("confirm") == "1":
            published = services.publish_bulletin(request.user, data["start"], data["end"],
                                                  data.get("region") or "")
        else:
            preview = services.preview_bulletin(request.user, data["start"], data["end"],
                                                data.get("region") or "")
            return render(request, "insights/publish_confirm.html", {
                "preview": preview, "doc": preview.document, "back": back,
                "query": f"start={data['start']}&end={data['end']}"
                         f"&region={preview.scope.region}",
                "nav_current": "insights:bulletin"})
    except CaseError as exc:
        messages.error(request, " ".join(exc.fields.values()) or exc.message)
        return redirect(back)
    messages.success(request, _("Published: %(title)s") % {"title": published.title})
    return redirect(reverse("public:bulletin", args=[published.pk]))


@login_required
@require_POST
def withdraw(request, pk: int):
    if not _editor(request):
        raise PermissionDenied
    try:
        services.withdraw_bulletin(request.user, pk)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The bulletin was withdrawn from the public page."))
    return redirect(reverse("insights:bulletin"))


# ------------------------------------------------------------------ channels

@login_required
def channels(request):
    """Received and answered per channel, and one channel's months by unit (the mayor's
    mailbox's monthly figures): channel_figures, for those who read bulletins."""
    _reader(request)
    params = request.GET.dict()
    if not {"start", "end"} & set(params):
        start, end = default_months()
        params.update(start=start.isoformat(), end=end.isoformat())
    params["channel"] = params.get("channel") or Channel.MAYOR_MAILBOX
    form = ChannelPeriodForm(params)
    context = {"form": form, "nav_current": "insights:bulletin"}
    if not form.is_valid():
        return render(request, "insights/channels.html", context, status=422)
    try:
        scope, name = _scope(request, form)
    except CaseError as exc:
        form.add_error(None, exc.message)
        return render(request, "insights/channels.html", context, status=exc.status)
    channel = form.cleaned_data["channel"]
    context.update(channel_figures.channel_tables(scope, channel), scope=scope,
                   region_name=name, channel_name=dict(form.fields["channel"].choices)[channel])
    return render(request, "insights/channels.html", context)


# ------------------------------------------------------------------ typical cases

@login_required
def typical_list(request):
    if not _editor(request):
        raise PermissionDenied
    number = request.GET.get("number", "").strip().upper()[:20]
    if number:
        return redirect(reverse("insights:typical_edit", args=[number]))
    return render(request, "insights/typical_list.html", {
        "rows": queries.typical_cases_for(request.user)[:200],
        "nav_current": "insights:typical"})


@login_required
def typical_edit(request, number: str):
    if not _editor(request):
        raise PermissionDenied
    case = (visible_cases(request.user).filter(number=number.upper())
            .select_related("category", "region").prefetch_related("reporters").first())
    if case is None:
        raise Http404
    current = TypicalCase.objects.filter(case=case, withdrawn_at=None).first()
    status = 200
    if request.method == "POST":
        form = TypicalForm(request.POST)
        if form.is_valid():
            try:
                services.mark_typical(request.user, case.number, **form.cleaned_data)
            except CaseError as exc:
                for field, message in exc.fields.items():
                    form.add_error(field if field in form.fields else None, message)
                if not exc.fields:
                    form.add_error(None, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Case %(number)s is a typical case.") % {
                    "number": case.number})
                return redirect(reverse("insights:typical"))
        else:
            status = 422
    elif current:
        form = TypicalForm(initial={"title": current.title, "summary": current.summary,
                                    "names_publishable": current.names_publishable})
    else:
        form = TypicalForm(initial={"title": case.title[:80],
                                    "summary": _draft(case, request.user)})
    return render(request, "insights/typical_edit.html",
                  {"case": case, "form": form, "current": current,
                   "nav_current": "insights:typical"}, status=status)


def _draft(case, user) -> str:
    consult = access.may_check_against_reporters(user, case)
    return queries.draft_summary(case, consult_reporters=consult)


@login_required
@require_POST
def typical_withdraw(request, number: str):
    if not _editor(request):
        raise PermissionDenied
    try:
        services.withdraw_typical(request.user, number)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Case %(number)s is no longer a typical case.") % {
            "number": number})
    return redirect(reverse("insights:typical"))
