"""A member's own pages of the hall (/referral/my/): where they stand on each book, re-sign,
and bid on tonight's calls. Each asks who is signed in and acts for that member only; a
bid or a re-sign is a POST that comes back to the page with what happened."""

from __future__ import annotations

import functools
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from members.models import Member
from members.selectors import member_for_user

from .models import LaborRequest, Registration
from .my_hall import my_hall
from .services import bid_place, registration_resign


def _members_only(view):
    """The view, for the member the signed-in login is linked to (passed on); a login
    linked to no member is told so."""

    @login_required
    @functools.wraps(view)
    def for_member(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        member = member_for_user(request.user)
        if member is None:
            return render(request, "members/no_member.html", {"what": "books"}, status=404)
        return view(request, member, *args, **kwargs)

    return for_member


@_members_only
def my_page(request: HttpRequest, member: Member) -> HttpResponse:
    # One key per page shown: a bid sent twice from it (a double tap, a retry) is one bid.
    return render(request, "referral/my.html", {"hall": my_hall(member), "key": uuid.uuid4().hex})


@require_POST
@_members_only
def my_bid(request: HttpRequest, member: Member, request_id: int) -> HttpResponse:
    labor_request = get_object_or_404(LaborRequest.objects.select_related("book"), pk=request_id)
    key = request.POST.get("key", "")
    try:
        bid = bid_place(
            member=member,
            labor_request=labor_request,
            actor=request.user,
            idempotency_key=f"my-{key}-{labor_request.pk}" if key else None,
        )
    except ValidationError as refused:
        messages.error(request, f"Your bid was not taken: {' '.join(refused.messages)}")
    else:
        messages.success(
            request,
            f"Your bid on request #{labor_request.pk} ({labor_request.book.code}) is in, "
            f"placed {timezone.localtime(bid.placed_at):%H:%M:%S} at position {bid.position}.",
        )
    return redirect("referral:my")


@require_POST
@_members_only
def my_resign(request: HttpRequest, member: Member, registration_id: int) -> HttpResponse:
    # Another member's registration is "not there", as one that does not exist.
    registration = get_object_or_404(
        Registration.objects.select_related("book", "member"), pk=registration_id, member=member
    )
    try:
        registration = registration_resign(registration=registration, actor=request.user)
    except ValidationError as refused:
        messages.error(request, f"Not re-signed: {' '.join(refused.messages)}")
    else:
        messages.success(
            request,
            f"Re-signed on {registration.book.code}: the next re-sign is due "
            f"{registration.resign_due:%a %b %d, %Y}.",
        )
    return redirect("referral:my")
