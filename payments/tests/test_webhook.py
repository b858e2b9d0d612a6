"""The Stripe webhook: no payment lost, none counted twice, none counted before it clears."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail

from accounts import roles
from dues.models import Payment, PaymentMethod, PaymentStatus, Refund
from dues.selectors import member_dues_summary
from members.tests.factories import UserFactory
from payments.models import CheckoutSession, CheckoutStatus, EventState, StripeEvent
from payments.tests.conftest import OLD_WEBHOOK_SECRET, WEBHOOK_SECRET, post_webhook
from payments.tests.fake_stripe import charge, dispute, sign, stripe_event

pytestmark = pytest.mark.django_db

COMPLETED = "checkout.session.completed"
ASYNC_OK = "checkout.session.async_payment_succeeded"
ASYNC_FAILED = "checkout.session.async_payment_failed"


def owed_for(member, month: int) -> Decimal:
    summary = member_dues_summary(member)
    return next(line.outstanding for line in summary.charges if line.period.month == month)


# --- Only genuine deliveries get in --------------------------------------------------------


def test_a_bad_signature_is_400_and_nothing_is_stored(deliver):
    event = stripe_event("checkout.session.completed", {"id": "cs_x", "object": "checkout.session"})
    assert deliver(event, secret="whsec_somebody_else").status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_missing_signature_is_400(db):
    assert post_webhook("{}", None).status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_body_changed_after_signing_is_400(db):
    body = json.dumps(stripe_event("charge.refunded", charge("pi_1", amount=4500, refunded=4500)))
    header = sign(body, WEBHOOK_SECRET)
    tampered = body.replace('"amount_refunded": 4500', '"amount_refunded": 450')
    assert post_webhook(tampered, header).status_code == 400
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("seconds", [-301, +120])
def test_a_signature_too_old_or_from_the_future_is_400(deliver, seconds):
    event = stripe_event("charge.refunded", charge("pi_1", amount=4500))
    assert deliver(event, timestamp=int(time.time()) + seconds).status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_signed_body_that_is_not_an_event_is_400(deliver):
    assert deliver({}, body="not json at all").status_code == 400
    assert deliver({}, body=json.dumps({"object": "list"})).status_code == 400
    assert not StripeEvent.objects.exists()


def test_the_previous_signing_secret_still_works_while_it_is_rotated_out(deliver):
    event = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    assert deliver(event, secret=OLD_WEBHOOK_SECRET).status_code == 200


def test_an_unknown_event_type_is_stored_and_answered_200(deliver):
    event = stripe_event("customer.created", {"id": "cus_1", "object": "customer"})
    response = deliver(event)
    assert response.status_code == 200
    stored = StripeEvent.objects.get(event_id=event["id"])
    assert stored.state == EventState.IGNORED
    assert stored.payload == event


# --- Card payments ---------------------------------------------------------------------


def test_a_paid_checkout_becomes_one_succeeded_payment_with_a_receipt(
    start_checkout, fake_stripe, deliver, member_login, django_capture_on_commit_callbacks
):
    checkout = start_checkout(month=9)
    event = stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id))
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(event)

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.amount == Decimal("45.00")
    assert payment.method == PaymentMethod.STRIPE_CARD
    assert payment.receipt_number is not None
    assert payment.stripe_checkout_session_id == checkout.stripe_session_id
    assert owed_for(member_login, 9) == Decimal("0.00")
    checkout.refresh_from_db()
    assert (checkout.status, checkout.payment) == (CheckoutStatus.PAID, payment)
    [receipt] = mail.outbox
    assert receipt.to == ["lucy@example.org"]
    assert payment.receipt in receipt.subject and "45.00" in receipt.body


def test_the_same_event_delivered_twice_counts_once(
    start_checkout, fake_stripe, deliver, member_login
):
    checkout = start_checkout()
    event = stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id))
    assert deliver(event).status_code == 200
    assert deliver(event).status_code == 200
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1
    assert member_dues_summary(member_login).balance == Decimal("90.00")


def test_a_second_event_for_the_same_session_adds_no_payment(start_checkout, fake_stripe, deliver):
    checkout = start_checkout()
    session = fake_stripe.complete(checkout.stripe_session_id)
    deliver(stripe_event(COMPLETED, session))
    deliver(stripe_event(COMPLETED, session))  # another event id, same session
    assert Payment.objects.count() == 1


def test_a_tampered_amount_is_not_applied_and_is_held_for_review(
    start_checkout, fake_stripe, deliver, member_login
):
    checkout = start_checkout()
    session = fake_stripe.complete(checkout.stripe_session_id)
    session["amount_total"] = 100  # a dollar for 45.00 of dues
    response = deliver(stripe_event(COMPLETED, session))
    assert response.status_code == 200  # not Stripe's problem to retry
    assert not Payment.objects.exists()
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.NEEDS_REVIEW
    assert "amount_total" in checkout.review_note
    assert StripeEvent.objects.get().state == EventState.NEEDS_REVIEW
    assert owed_for(member_login, 9) == Decimal("45.00")


@pytest.mark.parametrize(
    ("field", "value"),
    [("currency", "eur"), ("metadata", {"unionhall_member_id": "999", "unionhall_period_id": "1"})],
)
def test_a_mismatched_currency_or_metadata_is_not_applied(
    start_checkout, fake_stripe, deliver, field, value
):
    checkout = start_checkout()
    session = fake_stripe.complete(checkout.stripe_session_id)
    session[field] = value
    deliver(stripe_event(COMPLETED, session))
    assert not Payment.objects.exists()
    assert CheckoutSession.objects.get().status == CheckoutStatus.NEEDS_REVIEW


def test_an_event_from_the_other_mode_is_not_applied(start_checkout, fake_stripe, deliver):
    checkout = start_checkout()
    event = stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id), livemode=True)
    assert deliver(event).status_code == 200
    assert not Payment.objects.exists()
    assert StripeEvent.objects.get().state == EventState.NEEDS_REVIEW


def test_a_session_that_is_not_ours_is_ignored(deliver, db):
    session = {
        "id": "cs_test_elsewhere",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 100,
        "currency": "usd",
        "livemode": False,
        "metadata": {},
    }
    assert deliver(stripe_event(COMPLETED, session)).status_code == 200
    assert StripeEvent.objects.get().state == EventState.IGNORED
    assert not Payment.objects.exists()


# --- Bank (ACH) payments -------------------------------------------------------------------


def test_ach_completed_but_unpaid_leaves_the_balance_open_until_it_clears(
    start_checkout, fake_stripe, deliver, member_login, django_capture_on_commit_callbacks
):
    checkout = start_checkout()
    deliver(stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id, paid=False)))
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.PENDING
    assert payment.receipt_number is None
    assert owed_for(member_login, 9) == Decimal("45.00")
    assert CheckoutSession.objects.get().status == CheckoutStatus.PROCESSING

    with django_capture_on_commit_callbacks(execute=True):
        deliver(stripe_event(ASYNC_OK, fake_stripe.settle(checkout.stripe_session_id)))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.method == PaymentMethod.STRIPE_ACH
    assert owed_for(member_login, 9) == Decimal("0.00")
    assert len(mail.outbox) == 1  # the receipt, once it cleared


def test_ach_failure_leaves_the_period_open_and_payable_again(
    start_checkout, fake_stripe, deliver, member_login
):
    checkout = start_checkout()
    deliver(stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id, paid=False)))
    deliver(stripe_event(ASYNC_FAILED, fake_stripe.sessions[checkout.stripe_session_id]))
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert owed_for(member_login, 9) == Decimal("45.00")
    assert CheckoutSession.objects.get().status == CheckoutStatus.FAILED

    again = start_checkout()
    assert again.pk != checkout.pk
    assert again.amount == Decimal("45.00")


def test_out_of_order_delivery_still_ends_paid(start_checkout, fake_stripe, deliver, member_login):
    checkout = start_checkout()
    completed_unpaid = fake_stripe.complete(checkout.stripe_session_id, paid=False)
    settled = fake_stripe.settle(checkout.stripe_session_id)
    deliver(stripe_event(ASYNC_OK, settled))
    deliver(stripe_event(COMPLETED, completed_unpaid))  # older news, delivered late
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert owed_for(member_login, 9) == Decimal("0.00")


def test_an_expired_checkout_is_marked_expired(start_checkout, fake_stripe, deliver):
    checkout = start_checkout()
    deliver(
        stripe_event("checkout.session.expired", fake_stripe.expire(checkout.stripe_session_id))
    )
    assert CheckoutSession.objects.get().status == CheckoutStatus.EXPIRED
    assert not Payment.objects.exists()


# --- Refunds, disputes, failures ---------------------------------------------------------------


def _paid(start_checkout, fake_stripe, deliver) -> tuple[CheckoutSession, str]:
    checkout = start_checkout()
    session = fake_stripe.complete(checkout.stripe_session_id)
    deliver(stripe_event(COMPLETED, session))
    return checkout, session["payment_intent"]


def test_a_full_refund_in_stripe_reopens_the_balance(
    start_checkout, fake_stripe, deliver, member_login
):
    _, intent = _paid(start_checkout, fake_stripe, deliver)
    event = stripe_event("charge.refunded", charge(intent, amount=4500, refunded=4500))
    assert deliver(event).status_code == 200
    assert deliver(event).status_code == 200  # again: no second refund
    refund = Refund.objects.get()
    assert refund.amount == Decimal("45.00")
    assert Payment.objects.get().status == PaymentStatus.REFUNDED
    assert owed_for(member_login, 9) == Decimal("45.00")


def test_partial_refunds_add_up_whatever_the_order(
    start_checkout, fake_stripe, deliver, member_login
):
    _, intent = _paid(start_checkout, fake_stripe, deliver)
    deliver(stripe_event("charge.refunded", charge(intent, amount=4500, refunded=2000)))
    deliver(stripe_event("charge.refunded", charge(intent, amount=4500, refunded=3000)))
    deliver(stripe_event("charge.refunded", charge(intent, amount=4500, refunded=2000)))  # late
    assert Payment.objects.get().refunded_amount == Decimal("30.00")
    assert Payment.objects.get().status == PaymentStatus.PARTIALLY_REFUNDED
    assert owed_for(member_login, 9) == Decimal("30.00")


def test_a_handler_failure_answers_500_keeps_the_error_and_a_retry_succeeds(
    start_checkout, fake_stripe, deliver
):
    checkout = start_checkout()
    session = fake_stripe.complete(checkout.stripe_session_id)
    ours = {"unionhall_member_id": str(checkout.member_id)}
    refund_first = stripe_event(
        "charge.refunded",
        charge(session["payment_intent"], amount=4500, refunded=4500, metadata=ours),
    )

    failed = deliver(refund_first)  # before the payment it refunds is recorded
    assert failed.status_code == 500
    stored = StripeEvent.objects.get(event_id=refund_first["id"])
    assert stored.state == EventState.FAILED
    assert "not recorded yet" in stored.error
    assert not Refund.objects.exists()

    deliver(stripe_event(COMPLETED, session))
    retried = deliver(refund_first)  # Stripe's retry
    assert retried.status_code == 200
    stored.refresh_from_db()
    assert (stored.state, stored.attempts) == (EventState.PROCESSED, 2)
    assert Refund.objects.get().amount == Decimal("45.00")


def test_a_dispute_flags_the_payment_and_tells_the_officers(
    start_checkout, fake_stripe, deliver, django_capture_on_commit_callbacks
):
    UserFactory(role=roles.OFFICER, email="treasurer@local1234.org")
    _, intent = _paid(start_checkout, fake_stripe, deliver)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            deliver(
                stripe_event("charge.dispute.created", dispute(intent, amount=4500))
            ).status_code
            == 200
        )
    payment = Payment.objects.get()
    assert payment.flagged_at is not None
    assert "fraudulent" in payment.flag_reason
    [alert] = mail.outbox
    assert alert.to == ["treasurer@local1234.org"]
    assert payment.receipt in alert.subject


def test_refunds_of_charges_that_are_not_ours_are_ignored(deliver, db):
    assert (
        deliver(
            stripe_event("charge.refunded", charge("pi_other", amount=100, refunded=100))
        ).status_code
        == 200
    )
    assert StripeEvent.objects.get().state == EventState.IGNORED


def test_webhook_changes_are_audited_as_the_stripe_webhook(start_checkout, fake_stripe, deliver):
    from audit.models import AuditEvent

    _paid(start_checkout, fake_stripe, deliver)
    event = AuditEvent.objects.get(model_label="dues.payment", action="create")
    assert event.actor_label == "stripe-webhook"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_twice_at_once_makes_one_payment(
    start_checkout, fake_stripe, race
):
    from django.test import Client

    from payments.tests.conftest import WEBHOOK_SECRET
    from payments.tests.fake_stripe import sign

    checkout = start_checkout()
    body = json.dumps(stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id)))

    def deliver_once():
        return (
            Client()
            .post(
                "/webhooks/stripe/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body, WEBHOOK_SECRET),
            )
            .status_code
        )

    statuses, errors = race(deliver_once)
    assert errors == []
    assert statuses == [200, 200]
    assert Payment.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1


def test_a_failing_mail_server_does_not_fail_a_recorded_payment(
    start_checkout, fake_stripe, deliver, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "payments.tests.test_webhook.BrokenMailServer"
    checkout = start_checkout()
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(
            stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id))
        )
    assert response.status_code == 200
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert StripeEvent.objects.get().state == EventState.PROCESSED


class BrokenMailServer:
    """Django's email backend interface, failing as an unreachable SMTP server does."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def test_a_second_payment_is_refused_while_a_bank_payment_clears(
    client, start_checkout, fake_stripe, deliver, member_login
):
    checkout = start_checkout()
    deliver(stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id, paid=False)))
    period = checkout.period
    from django.urls import reverse

    response = client.post(
        reverse("dues:checkout:initiate", args=[member_login.pk, period.pk]), follow=True
    )
    assert "still clearing" in response.content.decode()
    assert CheckoutSession.objects.count() == 1


def test_the_money_is_dated_when_stripe_received_it_not_when_we_heard(
    start_checkout, fake_stripe, deliver
):
    import datetime

    from django.utils import timezone

    checkout = start_checkout()
    event = stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id))
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    event["created"] = int(three_days_ago.timestamp())  # delivered late, after retries
    deliver(event)
    assert Payment.objects.get().received_date == timezone.localdate(three_days_ago)


# --- Only money Union Hall started in Stripe is ever touched --------------------------------


@pytest.fixture
def office_payment(member_login):
    """A bank transfer recorded at the office: no Stripe ids at all."""
    from dues.services import payment_record

    return payment_record(
        member=member_login,
        amount="45.00",
        method=PaymentMethod.ACH,
        received_date=member_login.join_date.replace(year=2026),
        actor="tests",
    )


@pytest.mark.parametrize("payment_intent", [None, "", {"id": None}])
def test_a_refund_of_a_charge_without_payment_intent_touches_no_office_payment(
    deliver, office_payment, payment_intent
):
    # Stripe's own canonical charge has "payment_intent": null.
    event = stripe_event("charge.refunded", charge(None, amount=2500, refunded=2500))
    event["data"]["object"]["payment_intent"] = payment_intent
    assert deliver(event).status_code == 200
    assert StripeEvent.objects.get().state == EventState.IGNORED
    assert not Refund.objects.exists()
    office_payment.refresh_from_db()
    assert (office_payment.status, office_payment.refunded_amount) == (
        PaymentStatus.SUCCEEDED,
        Decimal("0.00"),
    )


def test_a_dispute_without_payment_intent_flags_nothing_and_mails_nobody(
    deliver, office_payment, django_capture_on_commit_callbacks
):
    UserFactory(role=roles.OFFICER, email="treasurer@local1234.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(stripe_event("charge.dispute.created", dispute(None, amount=1000)))
    assert response.status_code == 200
    assert StripeEvent.objects.get().state == EventState.IGNORED
    office_payment.refresh_from_db()
    assert office_payment.flagged_at is None
    assert mail.outbox == []


def test_a_session_event_without_an_id_matches_no_checkout(deliver, start_checkout):
    start_checkout()
    session = json.loads((Path(__file__).parent / "data" / "stripe_canonical.json").read_text())[
        "resources"
    ]["checkout.session"]
    session["id"] = None
    assert deliver(stripe_event(COMPLETED, session)).status_code == 200
    assert StripeEvent.objects.get().state == EventState.IGNORED
    assert not Payment.objects.exists()


# --- Everything owed, in one checkout ------------------------------------------------------


def test_a_member_pays_everything_owed_in_one_checkout(client, member_login, fake_stripe, deliver):
    """Three open months (135.00): one button, one Checkout, one payment that covers all."""
    client.force_login(member_login.user)
    page = client.get("/dues/my/").content.decode()
    assert "Pay everything owed ($135.00) online" in page
    response = client.post(f"/dues/payments/initiate/{member_login.pk}/all/")
    assert response.status_code == 303
    checkout = CheckoutSession.objects.get()
    assert (checkout.period, checkout.amount) == (None, Decimal("135.00"))
    [sent] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert sent.params["line_items[0][price_data][unit_amount]"] == "13500"
    assert sent.params["metadata[unionhall_period_id]"] == ""
    assert sent.idempotency_key == f"unionhall-checkout-{member_login.pk}-all-13500-1"

    event = stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id))
    assert deliver(event).status_code == 200
    assert deliver(event).status_code == 200  # delivered twice: counted once
    payment = Payment.objects.get()
    assert (payment.amount, payment.status) == (Decimal("135.00"), PaymentStatus.SUCCEEDED)
    assert [owed_for(member_login, month) for month in (9, 10, 11)] == [Decimal("0.00")] * 3
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID


def test_paying_everything_is_refused_while_a_bank_payment_clears(
    client, member_login, fake_stripe, deliver, start_checkout
):
    checkout = start_checkout(month=9)
    deliver(stripe_event(COMPLETED, fake_stripe.complete(checkout.stripe_session_id, paid=False)))
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PROCESSING
    response = client.post(f"/dues/payments/initiate/{member_login.pk}/all/", follow=True)
    assert "is still clearing" in response.content.decode()
    assert CheckoutSession.objects.count() == 1


def test_a_tampered_period_on_an_everything_checkout_is_held_for_review(
    client, member_login, fake_stripe, deliver
):
    client.force_login(member_login.user)
    client.post(f"/dues/payments/initiate/{member_login.pk}/all/")
    checkout = CheckoutSession.objects.get()
    session = fake_stripe.complete(checkout.stripe_session_id)
    session["metadata"]["unionhall_period_id"] = "1"
    deliver(stripe_event(COMPLETED, session))
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.NEEDS_REVIEW and not Payment.objects.exists()
