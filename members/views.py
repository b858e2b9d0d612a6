from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .selectors import member_for_user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A member sees their own record; office users see where their work is."""
    member = member_for_user(request.user)
    return render(request, "members/home.html", {"member": member})
