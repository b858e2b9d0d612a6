"""Starting and returning from Stripe Checkout, and the webhook."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from dues.models import DuesPeriod
from members.models import Member

from .autopay import SYSTEM_ACTOR, autopay_cancel, autopay_setup_complete, autopay_setup_start
from .models import Autopay, AutopayStatus, CheckoutSession, CheckoutStatus, EventState
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
                checkout_fulfil(session, actor=request.user)
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


# --- Autopay ----------------------------------------------------------------------------


def _own_member(request: HttpRequest) -> Member:
    member = (
        Member.objects.filter(user=request.user).first() if request.user.is_authenticated else None
    )
    if member is None:
        raise Http404("Autopay is set up by the member themself, from their dues page.")
    return member


@login_required
@require_POST
def autopay_start(request: HttpRequest) -> HttpResponse:
    """Off to Stripe, to save a card or a bank account for autopay."""
    member = _own_member(request)
    try:
        url = autopay_setup_start(
            member=member,
            actor=request.user,
            success_url=request.build_absolute_uri(reverse("dues:checkout:autopay_done")),
            cancel_url=request.build_absolute_uri(reverse("dues:my")),
        )
    except CheckoutRefused as exc:
        messages.info(request, str(exc))
        return redirect("dues:my")
    except StripeUnavailable as exc:
        log.warning("Stripe refused or did not answer: %s", exc)
        return render(
            request, "payments/unavailable.html", {"back": reverse("dues:my")}, status=503
        )
    return HttpResponseRedirect(url, status=303)


@login_required
@require_GET
def autopay_done(request: HttpRequest) -> HttpResponse:
    """Back from Stripe: apply the setup now (the webhook may not have come yet)."""
    member = _own_member(request)
    session_id = request.GET.get("session_id", "").strip()
    autopay = Autopay.objects.filter(member=member, setup_session_id=session_id).first()
    if not session_id or autopay is None:
        raise Http404("No such autopay setup.")
    try:
        review = autopay_setup_complete(checkout_session_retrieve(session_id), actor=SYSTEM_ACTOR)
        if review:
            messages.info(request, review)
    except (StripeError, StripeNotConfigured) as exc:
        log.warning("Could not confirm autopay setup %s now: %s", session_id, exc)
    autopay.refresh_from_db()
    if autopay.status == AutopayStatus.ACTIVE:
        messages.success(request, f"Autopay is on, with {autopay.on_file}.")
    return redirect("dues:my")


@login_required
@require_POST
def autopay_stop(request: HttpRequest) -> HttpResponse:
    member = _own_member(request)
    try:
        autopay_cancel(member=member, actor=request.user, reason="Cancelled by the member")
        messages.success(request, "Autopay is cancelled: nothing more will be collected.")
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    return redirect("dues:my")
