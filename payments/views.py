"""Starting and returning from Stripe Checkout, and the webhook."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dues.models import DuesPeriod
from members.models import Member

from .models import CheckoutSession, CheckoutStatus, EventState
from .services import CheckoutRefused, StripeUnavailable, checkout_fulfil, checkout_start
from .stripe_client import StripeError, StripeNotConfigured, checkout_session_retrieve
from .webhooks import (
    InvalidWebhook,
    stripe_event_process,
    stripe_event_receive,
    webhook_event_verify,
)

log = logging.getLogger(__name__)


def _may_pay_for(user, member: Member) -> bool:
    """The member themself, or office staff who take payments at the counter."""
    return (member.user_id is not None and member.user_id == user.pk) or user.has_perm(
        "dues.add_payment"
    )


@login_required
@require_POST
def checkout_initiate(
    request: HttpRequest, member_id: int, period_id: int | None = None
) -> HttpResponse:
    """Checkout for one period, or (no period) for everything the member owes."""
    member = get_object_or_404(Member, pk=member_id)
    if not _may_pay_for(request.user, member):
        raise Http404("No such member.")  # "not yours" reads like "not there"
    period = get_object_or_404(DuesPeriod, pk=period_id) if period_id is not None else None
    back = (
        reverse("dues:my")
        if member.user_id == request.user.pk
        else reverse("dues:member", args=[member.pk])
    )
    try:
        checkout = checkout_start(
            member=member,
            period=period,
            actor=request.user,
            success_url=request.build_absolute_uri(reverse("dues:checkout:success")),
            cancel_url=request.build_absolute_uri(reverse("dues:checkout:cancel")),
        )
    except CheckoutRefused as exc:
        messages.info(request, str(exc))
        return redirect(back)
    except StripeUnavailable as exc:
        log.warning("Stripe refused or did not answer: %s", exc)
        return render(request, "payments/unavailable.html", {"back": back}, status=503)
    return HttpResponseRedirect(checkout.url, status=303)


@login_required
@require_GET
def checkout_success(request: HttpRequest) -> HttpResponse:
    session_id = request.GET.get("session_id", "").strip()
    checkout = (
        CheckoutSession.objects.select_related("member", "period", "payment")
        .filter(stripe_session_id=session_id)
        .first()
        if session_id
        else None
    )
    if checkout is None or not _may_pay_for(request.user, checkout.member):
        raise Http404("No such payment.")
    if checkout.status in (CheckoutStatus.OPEN, CheckoutStatus.PROCESSING):
        # The webhook may not have come yet: ask Stripe, and apply what it says (once).
        try:
            session = checkout_session_retrieve(checkout.stripe_session_id)
            with transaction.atomic():
                checkout_fulfil(session)
            checkout.refresh_from_db()
        except (StripeError, StripeNotConfigured) as exc:
            log.warning("Could not confirm checkout %s now: %s", checkout.stripe_session_id, exc)
    return render(request, "payments/success.html", {"checkout": checkout})


@login_required
@require_GET
def checkout_cancel(request: HttpRequest) -> HttpResponse:
    return render(request, "payments/cancel.html")


@csrf_exempt
@require_POST
@transaction.non_atomic_requests  # the event's own transactions decide what is kept
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    try:
        event = webhook_event_verify(request.body, request.headers.get("Stripe-Signature"))
    except InvalidWebhook as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    row = stripe_event_process(stripe_event_receive(event))
    if row.state == EventState.FAILED:
        return JsonResponse({"event": row.event_id, "state": row.state}, status=500)
    return JsonResponse({"event": row.event_id, "state": row.state})
