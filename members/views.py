from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from .extensions import MEMBER_HOME_PANELS
from .forms import MemberContactForm
from .selectors import member_for_user
from .services import member_contact_update


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """A member sees their own record and what the other apps add (what they owe, how to
    pay); office users see where their work is."""
    member = member_for_user(request.user)
    panels = []
    if member is not None:
        panels = [
            {"template": panel.template, "panel": panel.data(member)}
            for panel in MEMBER_HOME_PANELS.declarations()
        ]
    return render(request, "members/home.html", {"member": member, "panels": panels})


@login_required
def contact_update(request: HttpRequest) -> HttpResponse:
    """A member changes their own address, phone and email: on record, and the office is
    told (it mails and calls them there)."""
    member = member_for_user(request.user)
    if member is None:
        raise Http404("Your login is not linked to a member record.")
    form = MemberContactForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        if changed:
            member_contact_update(member=member, actor=request.user, changes=changed)
            messages.success(request, "Your contact details are saved; the office is told.")
        return redirect("home")
    return render(request, "members/contact.html", {"form": form, "member": member})
