"""Pages and JSON of the dashboard, the lobby display and the unit ranking (thin: parse
the filter, check the role, call dashboard/ranking, render)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qinqing.insights import dashboard, display_tokens, ranking
from qinqing.insights.dashboard_models import RankingPolicy
from qinqing.insights.filters import DEFAULT_DAYS, LobbyOptions, PeriodFilter
from qinqing.insights.metrics import InvalidScope, Scope, validate
from qinqing.org.models import Role, Unit

DASHBOARD_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR})
# Unit leaders see the ranking too, their own unit marked: a unit must be able to see why
# it ranked where it did.
RANKING_ROLES = DASHBOARD_ROLES | {Role.UNIT_LEADER}
RANKING_DAYS = 90  # a rate over a month of one unit's cases is mostly noise


def _may(user, roles) -> bool:
    return user.is_superuser or user.has_role(*roles)


def _staff(user) -> bool:
    """Any signed-in, active member of staff with a role (the lobby shows no case)."""
    return user.is_authenticated and (user.is_superuser or user.has_role(*Role.values))


class _Filter:
    """The period/region filter of a request: a valid scope, or messages saying why not."""

    def __init__(self, params, *, default_days: int = DEFAULT_DAYS):
        form = PeriodFilter(params, default_days=default_days)
        self.form = form
        self.scope: Scope | None = None
        self.errors: dict[str, str] = {}
        if form.is_valid():
            data = form.cleaned_data
            self.scope = Scope(data["start"], data["end"], region=data["region"] or "")
            try:
                validate(self.scope)
            except InvalidScope as exc:
                self.errors, self.scope = dict(exc.fields), None
        else:
            self.errors = {field: " ".join(messages) for field, messages in form.errors.items()}
        if self.scope:
            self.values = {"start": self.scope.start.isoformat(),
                           "end": self.scope.end.isoformat(), "region": self.scope.region}
        else:  # what was typed, so it can be corrected
            self.values = {k: str(params.get(k, ""))[:40] for k in ("start", "end", "region")}

    @property
    def region_name(self) -> str:
        choices = dict(self.form.fields["region"].choices)
        return str(choices.get(self.scope.region, "")) if self.scope and self.scope.region else ""

    def label(self) -> str:
        return dashboard.scope_label(self.scope.start, self.scope.end, self.region_name)

    def context(self) -> dict:
        labels = {name: str(f.label) for name, f in self.form.fields.items()}
        return {"values": self.values, "errors": self.errors,
                "error_list": [(k, labels.get(k, ""), v) for k, v in self.errors.items()],
                "region_choices": self.form.fields["region"].choices}

    def error_json(self) -> JsonResponse:
        return JsonResponse({"code": "invalid_filter", "message": _(
            "The filter cannot be used."), "fields": self.errors}, status=400)


@login_required
@require_GET
def dashboard_page(request):
    if not _may(request.user, DASHBOARD_ROLES):
        raise PermissionDenied
    filt = _Filter(request.GET)
    context = filt.context()
    context["lobby_url"] = reverse("insights:lobby") + (
        f"?{urlencode({'region': filt.scope.region})}" if filt.scope and filt.scope.region
        else "")
    if filt.scope is None:
        return render(request, "insights/dashboard.html", context, status=400)
    context["data"] = dashboard.dashboard_data(filt.scope, label=filt.label())
    return render(request, "insights/dashboard.html", context)


@login_required
@require_GET
def dashboard_json(request):
    if not _may(request.user, DASHBOARD_ROLES):
        raise PermissionDenied
    filt = _Filter(request.GET)
    if filt.scope is None:
        return filt.error_json()
    return JsonResponse(dashboard.dashboard_data(filt.scope, label=filt.label()))


def _lobby_page(request, source: str):
    options = LobbyOptions(request.GET)
    if not options.is_valid():
        return render(request, "insights/invalid.html", {"errors": [
            f"{options.fields[k].label}: {' '.join(v)}" for k, v in options.errors.items()]},
            status=400)
    query = {"region": options.cleaned_data["region"]} if options.cleaned_data["region"] else {}
    return render(request, "insights/lobby.html", {
        "source": source + (f"?{urlencode(query)}" if query else ""),
        "cycle": options.cleaned_data["cycle"], "refresh": options.cleaned_data["refresh"],
        "text": {
            "headline": _("Key figures"),
            "empty": _("Nothing in this period."),
            "updated": _("Updated at %(time)s"),
            "stale": _("Update failed at %(failed)s: showing the figures of %(time)s"),
            "failed": _("Update failed at %(failed)s: no figures yet"),
        }})


@never_cache
@require_GET
def lobby_page(request):
    """The lobby display for signed-in staff."""
    if not _staff(request.user):
        return redirect_to_login(request.get_full_path())
    return _lobby_page(request, reverse("insights:lobby_json"))


@never_cache
@require_GET
def lobby_screen(request):
    """The lobby display for a wall screen without a login. The page itself holds no
    figures; its script sends the token from the URL's fragment with each data request."""
    return _lobby_page(request, reverse("insights:lobby_json"))


@never_cache
@require_GET
def lobby_json(request):
    """The lobby's figures: the last DEFAULT_DAYS days of a region (or the city), for
    signed-in staff or a screen with a valid display token."""
    token = None
    if not _staff(request.user):
        token = display_tokens.token_of(request)
        if token is None:
            return JsonResponse({"code": "unauthenticated", "message": _(
                "Sign in, or use a valid display token.")}, status=401)
    today = timezone.localdate()
    params = {"start": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
              "end": today.isoformat(), "region": request.GET.get("region", "")}
    if token is not None:
        params["region"] = token.region.code if token.region_id else ""
    filt = _Filter(params)
    if filt.scope is None:
        return filt.error_json()
    return JsonResponse(dashboard.dashboard_data(
        filt.scope, names=dashboard.LOBBY_HEADLINE, label=filt.label()))


@login_required
@require_GET
def ranking_page(request):
    user = request.user
    if not _may(user, RANKING_ROLES):
        raise PermissionDenied
    filt = _Filter(request.GET, default_days=RANKING_DAYS)
    context = filt.context()
    if filt.scope is None:
        return render(request, "insights/ranking.html", context, status=400)
    policy = RankingPolicy.current()
    own = set()
    if user.has_role(Role.UNIT_LEADER) and user.unit_id:
        own = set(Unit.objects.subtree(user.unit).values_list("code", flat=True))
    context.update(ranking=ranking.unit_ranking(filt.scope, policy),
                   formulas=ranking.formulas(), scope_label=filt.label(), own_units=own,
                   can_edit=user.is_staff and (user.is_superuser or
                                               user.has_role(Role.ADMINISTRATOR)))
    return render(request, "insights/ranking.html", context)
