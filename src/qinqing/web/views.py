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
