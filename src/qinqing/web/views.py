"""Sign-in and the home page: each role opens on its own work."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from qinqing.cases import queues


@login_required
def home(request):
    now = timezone.now()
    work = queues.workload(request.user, now)
    return render(request, "web/home.html", {"work": work, "now": now})


def locked_out(request, original_response=None, credentials=None):
    """The page django-axes answers with (AXES_LOCKOUT_CALLABLE) once a sign-in is locked:
    the workbench's and the admin's alike, in the product's look, status 429."""
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(request, "web/locked_out.html", {
        "minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def csrf_failure(request, reason=""):
    """A form refused by the CSRF check (mostly a page opened long ago, or a sign-in
    elsewhere since): in the product's look, saying that nothing was saved and what to do
    (settings.CSRF_FAILURE_VIEW). The reason is for the log, not for the person."""
    return render(request, "403_csrf.html", status=403)
