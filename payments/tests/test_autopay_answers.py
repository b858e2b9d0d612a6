"""Autopay when Stripe's answer is lost, refused, repeated or not what was asked: every
attempt is written before Stripe is asked, applied once, checked against what was asked,
and found again by reconciliation. Stripe is the SDK's own HTTP client hook (FakeStripe),
answering with Stripe's canonical objects; events are signed as Stripe signs them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from dues.models import MemberLedger, Payment, PaymentStatus
from dues.services import dues_charges_generate
from dues.tests.factories import periods
from members.tests.factories import UserFactory
from payments.collecting import (
    ANSWER_LOST,
    UNKNOWN_SETTLED_AFTER,
    autopay_collect,
    autopay_retry_due,
)
from payments.models import AutopayCollection, CollectionStatus, EventState, StripeEvent
from payments.reconcile import stripe_reconcile
from payments.tests.fake_stripe import canonical, stripe_event

pytestmark = pytest.mark.django_db
INTENTS = "/v1/payment_intents"


def owed(member) -> Decimal:
    return MemberLedger.objects.get(member=member).balance


def charged_by_stripe(fake_stripe) -> int:
    """Cents Stripe took, whatever we know of it."""
    return sum(
        intent["amount"]
        for intent in fake_stripe.payment_intents.values()
        if intent["status"] == "succeeded"
    )


def recorded() -> Decimal:
    return sum(
        (p.amount for p in Payment.objects.filter(status=PaymentStatus.SUCCEEDED)),
        Decimal("0.00"),
    )


def later(minutes: int = 11) -> None:
    """Time passes: attempts whose answer was lost may now be asked about."""
    AutopayCollection.objects.filter(status=CollectionStatus.PENDING).update(
        asked_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def test_an_answer_lost_after_stripe_charged_is_kept_and_never_charged_again(
    member_login, enrol, fake_stripe, november
):
    enrol(member_login)
    fake_stripe.answers_lost = True
    run = autopay_collect(period=november)
    assert run.outcomes == {ANSWER_LOST: 1}
    assert "answer lost" in str(run)
    collection = AutopayCollection.objects.get()
    assert collection.status == CollectionStatus.PENDING
    assert "may have charged" in collection.last_error
    assert charged_by_stripe(fake_stripe) == 13500  # Stripe took it; we do not know yet
    fake_stripe.answers_lost = False

    # December is charged: the member is not asked for everything again meanwhile.
    (december,) = periods(2026, [12])
    dues_charges_generate(period=december, actor="tests")
    sent_before = len(fake_stripe.requests_to("POST", INTENTS))
    assert autopay_collect(period=december).outcomes == {"awaiting Stripe's answer": 1}
    assert len(fake_stripe.requests_to("POST", INTENTS)) == sent_before

    # The retry job finds the PaymentIntent Stripe made for that attempt, and asks nothing.
    later()
    assert autopay_retry_due().outcomes == {"succeeded": 1}
    assert len(fake_stripe.requests_to("POST", INTENTS)) == sent_before
    assert recorded() == Decimal("135.00")
    assert AutopayCollection.objects.get(period=november).status == CollectionStatus.SUCCEEDED
    assert owed(member_login) == Decimal("45.00")  # December's dues, for its own run


def test_stripes_event_settles_an_attempt_whose_answer_was_lost(
    member_login, enrol, fake_stripe, november, deliver
):
    enrol(member_login)
    fake_stripe.answers_lost = True
    autopay_collect(period=november)
    fake_stripe.answers_lost = False
    (intent,) = fake_stripe.payment_intents.values()
    assert deliver(stripe_event("payment_intent.succeeded", intent)).status_code == 200
    assert recorded() == Decimal("135.00")
    assert AutopayCollection.objects.get().status == CollectionStatus.SUCCEEDED
    assert charged_by_stripe(fake_stripe) / 100 == recorded()


def test_an_attempt_stripe_never_received_is_asked_again_with_its_own_key(
    member_login, enrol, fake_stripe, november
):
    enrol(member_login)
    fake_stripe.down = True
    assert autopay_collect(period=november).outcomes == {ANSWER_LOST: 1}
    fake_stripe.down = False
    assert autopay_retry_due().asked == 0  # not yet: a request may still be under way
    later()
    assert autopay_retry_due().outcomes == {"succeeded": 1}
    keys = [r.idempotency_key for r in fake_stripe.requests_to("POST", INTENTS)]
    assert set(keys) == {f"autopay-{member_login.pk}-{november.pk}-1"}
    assert recorded() == Decimal("135.00") == Decimal(charged_by_stripe(fake_stripe)) / 100


def test_reconciliation_settles_an_attempt_whose_answer_was_lost(
    member_login, enrol, fake_stripe, november
):
    enrol(member_login)
    fake_stripe.answers_lost = True
    autopay_collect(period=november)
    fake_stripe.answers_lost = False
    later()
    lines = stripe_reconcile()
    assert any("pending -> succeeded" in line for line in lines), lines
    assert recorded() == Decimal("135.00")


def test_an_attempt_lost_after_autopay_ended_is_not_asked_again(
    member_login, enrol, fake_stripe, november
):
    from payments.autopay import autopay_cancel

    enrol(member_login)
    fake_stripe.down = True
    autopay_collect(period=november)
    fake_stripe.down = False
    sent = len(fake_stripe.requests_to("POST", INTENTS))
    autopay_cancel(member=member_login, actor=member_login.user, reason="Paying at the office")
    assert AutopayCollection.objects.get().status == CollectionStatus.PENDING  # not dropped
    later()
    assert autopay_retry_due().outcomes == {CollectionStatus.CANCELLED: 1}
    assert not fake_stripe.payment_intents
    assert len(fake_stripe.requests_to("POST", INTENTS)) == sent


def test_a_refused_first_attempt_is_a_failed_attempt_with_a_retry_and_a_notice(
    member_login, enrol, fake_stripe, november, django_capture_on_commit_callbacks
):
    enrol(member_login)
    fake_stripe.refuse = {
        "type": "invalid_request_error",
        "message": "This PaymentMethod was previously used without being attached.",
    }
    with django_capture_on_commit_callbacks(execute=True):
        run = autopay_collect(period=november)
    assert run.outcomes == {CollectionStatus.FAILED: 1}
    collection = AutopayCollection.objects.get()
    assert collection.status == CollectionStatus.FAILED
    assert collection.next_attempt_on is not None
    assert "previously used without being attached" in collection.last_error
    assert mail.outbox[-1].subject == "Your dues payment did not go through"


def test_a_decline_is_applied_once_though_stripe_also_reports_it(
    member_login, enrol, fake_stripe, november, deliver, django_capture_on_commit_callbacks
):
    autopay = enrol(member_login)
    fake_stripe.outcomes[autopay.payment_method_id] = ["declined"]
    with django_capture_on_commit_callbacks(execute=True):
        autopay_collect(period=november)
    collection = AutopayCollection.objects.get()
    history_before = collection.history.count()
    failed = stripe_event(
        "payment_intent.payment_failed", fake_stripe.payment_intents[collection.payment_intent_id]
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(failed).status_code == 200
        assert deliver(failed).status_code == 200
    notices = [m for m in mail.outbox if m.subject == "Your dues payment did not go through"]
    assert len(notices) == 1
    assert collection.history.count() == history_before
    collection.refresh_from_db()
    assert (collection.status, collection.attempts) == (CollectionStatus.FAILED, 1)


@pytest.mark.parametrize(
    "reported",
    [
        {"amount": 1, "amount_received": 1, "currency": "jpy"},
        {"amount": 100, "amount_received": 100},
    ],
    ids=["one-yen", "a-dollar-for-135"],
)
def test_a_success_for_another_amount_or_currency_is_held_and_told_to_the_office(
    member_login,
    enrol,
    fake_stripe,
    november,
    deliver,
    django_capture_on_commit_callbacks,
    reported,
):
    UserFactory(username="treasurer", role="Officer", email="treasurer@example.org")
    enrol(member_login, kind="us_bank_account", last4="6789", brand="STRIPE TEST BANK")
    autopay_collect(period=november)
    collection = AutopayCollection.objects.get()
    intent = {**fake_stripe.intent_settles(collection.payment_intent_id), **reported}
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(stripe_event("payment_intent.succeeded", intent)).status_code == 200
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.state == EventState.NEEDS_REVIEW
    collection.refresh_from_db()
    assert collection.status == CollectionStatus.NEEDS_REVIEW
    assert "amount" in collection.last_error
    assert not Payment.objects.filter(status=PaymentStatus.SUCCEEDED).exists()
    assert owed(member_login) == Decimal("135.00")
    to_office = [m for m in mail.outbox if m.to == ["treasurer@example.org"]]
    assert [m.subject for m in to_office] == [f"Autopay held for review: {member_login}, 2026-11"]
    # Nothing more is asked of the member while the office looks into it.
    (december,) = periods(2026, [12])
    dues_charges_generate(period=december, actor="tests")
    assert autopay_collect(period=december).outcomes == {"awaiting Stripe's answer": 1}


def test_reconciliation_finds_a_card_payment_the_member_authenticated_later(
    member_login, enrol, fake_stripe, november
):
    autopay = enrol(member_login)
    fake_stripe.outcomes[autopay.payment_method_id] = ["authentication_required"]
    autopay_collect(period=november)
    collection = AutopayCollection.objects.get()
    assert collection.status == CollectionStatus.REQUIRES_ACTION
    # The member confirmed it with their bank; the webhook never came.
    fake_stripe.payment_intents[collection.payment_intent_id].update(
        status="succeeded", amount_received=13500, last_payment_error=None
    )
    lines = stripe_reconcile()
    assert any("requires_action -> succeeded" in line for line in lines), lines
    assert recorded() == Decimal("135.00")
    assert stripe_reconcile() == []  # once


def test_an_autopay_event_no_collection_of_ours_asked_for_is_answered_200(
    member_login, enrol, fake_stripe, deliver, november
):
    enrol(member_login)
    intent = canonical("payment_intent")
    intent.update(
        status="succeeded",
        customer=member_login.stripe_customer_id,
        metadata={
            "unionhall_purpose": "autopay",
            "unionhall_member_id": str(member_login.pk),
            "unionhall_period_id": str(november.pk),
        },
    )
    response = deliver(stripe_event("payment_intent.succeeded", intent))
    assert response.status_code == 200
    assert StripeEvent.objects.get(type="payment_intent.succeeded").state == EventState.IGNORED
    assert not Payment.objects.exists()


@pytest.mark.parametrize("member_id", ["²", "٣", "-1", "1e3", "99999999999999999999999"])
def test_an_autopay_event_whose_ids_cannot_be_ours_is_refused_and_answered_200(
    member_login, deliver, november, member_id
):
    intent = canonical("payment_intent")
    intent.update(
        status="succeeded",
        metadata={
            "unionhall_purpose": "autopay",
            "unionhall_member_id": member_id,
            "unionhall_period_id": str(november.pk),
        },
    )
    assert deliver(stripe_event("payment_intent.succeeded", intent)).status_code == 200
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.state == EventState.NEEDS_REVIEW
    assert event.error.startswith("Refused")


def test_a_setup_event_whose_member_id_cannot_be_ours_is_answered_200(deliver):
    session = canonical("checkout.session")
    session.update(
        mode="setup", metadata={"unionhall_purpose": "autopay", "unionhall_member_id": "²"}
    )
    assert deliver(stripe_event("checkout.session.completed", session)).status_code == 200
    assert StripeEvent.objects.get().state in (EventState.IGNORED, EventState.NEEDS_REVIEW)


def test_a_refund_event_with_a_malformed_amount_is_refused_and_answered_200(
    member_login, enrol, fake_stripe, november, deliver
):
    from payments.tests.fake_stripe import charge

    enrol(member_login)
    autopay_collect(period=november)
    intent_id = AutopayCollection.objects.get().payment_intent_id
    refunded = charge(intent_id, amount=13500, refunded=100)
    refunded["amount_refunded"] = "lots"
    assert deliver(stripe_event("charge.refunded", refunded)).status_code == 200
    event = StripeEvent.objects.get(type="charge.refunded")
    assert (event.state, event.error[:7]) == (EventState.NEEDS_REVIEW, "Refused")
    assert recorded() == Decimal("135.00")


def test_the_unknown_window_is_longer_than_a_request_to_stripe(settings):
    tries = settings.STRIPE_NETWORK_RETRIES + 1
    assert UNKNOWN_SETTLED_AFTER.total_seconds() > 4 * tries * settings.STRIPE_TIMEOUT_SECONDS
