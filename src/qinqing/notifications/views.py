"""The staff's notifications page: newest first, mark one or all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from qinqing.notifications import queries, services


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


@login_required
def inbox(request):
    unread_only = request.GET.get("show") == "unread"
    rows, next_before = queries.page(request.user, unread_only=unread_only,
                                     before=_int(request.GET.get("before")))
    return render(request, "notifications/inbox.html", {
        "notices": rows, "next_before": next_before, "unread_only": unread_only})


@login_required
@require_POST
def mark_read(request):
    if request.POST.get("all"):
        changed = services.mark_read(request.user)
    else:
        ids = [i for i in (_int(v) for v in request.POST.getlist("ids")) if i]
        changed = services.mark_read(request.user, ids) if ids else 0
    messages.success(request, ngettext("%(n)s notification marked as read.",
                                       "%(n)s notifications marked as read.", changed)
                     % {"n": changed})
    back = reverse("notifications:inbox")
    if request.POST.get("show") == "unread":
        back += "?show=unread"
    return redirect(back)
