from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def new_case(request):
    return render(request, "intake/new.html", {})
