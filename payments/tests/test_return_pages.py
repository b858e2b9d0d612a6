"""Coming back from Stripe, the member's own dues page, reconciliation, and the admin."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts import roles
from dues.models import Payment, PaymentStatus
from members.tests.factories import UserFactory
from payments.models import CheckoutStatus, EventState, StripeEvent
from payments.tests.fake_stripe import stripe_event

pytestmark = pytest.mark.django_db


def _success(client, checkout):
    return client.get(reverse("dues:checkout:success"), {"session_id": checkout.stripe_session_id})


def test_the_success_page_applies_a_paid_session_if_the_webhook_has_not(
    client, start_checkout, fake_stripe
):
    checkout = start_checkout()
    fake_stripe.complete(checkout.stripe_session_id)
    page = _success(client, checkout)
    html = page.content.decode()
    assert "your payment was received" in html
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.receipt in html
    _success(client, checkout)  # reloading changes nothing
    assert Payment.objects.count() == 1


def test_the_success_page_says_a_bank_payment_is_processing(client, start_checkout, fake_stripe):
    checkout = start_checkout()
    fake_stripe.complete(checkout.stripe_session_id, paid=False)
    assert "processing" in _success(client, checkout).content.decode()
    assert Payment.objects.get().status == PaymentStatus.PENDING


def test_the_success_page_survives_stripe_being_away(client, start_checkout, fake_stripe):
    checkout = start_checkout()
    fake_stripe.down = True
    page = _success(client, checkout)
    assert page.status_code == 200
    assert "confirming your payment" in page.content.decode()


def test_nobody_sees_another_members_payment(client, start_checkout, fake_stripe):
    checkout = start_checkout()
    client.force_login(UserFactory(role=roles.MEMBER))
    assert _success(client, checkout).status_code == 404
    assert (
        client.get(reverse("dues:checkout:success"), {"session_id": "cs_nope"}).status_code == 404
    )


def test_the_cancel_page_says_nothing_was_charged_and_offers_a_retry(client, member_login):
    client.force_login(member_login.user)
    html = client.get(reverse("dues:checkout:cancel")).content.decode()
    assert "Nothing was charged" in html
    assert reverse("dues:my") in html


def test_the_members_own_page_shows_what_they_owe_and_pay_buttons(
    client, member_login, fake_stripe
):
    client.force_login(member_login.user)
    html = client.get(reverse("dues:my")).content.decode()
    assert "Lucy Parsons" in html
    assert "135.00" in html
    assert html.count("Pay Now Online") == 3
    for period in member_login.dues_charges.values_list("period_id", flat=True):
        assert reverse("dues:checkout:initiate", args=[member_login.pk, period]) in html


def test_a_login_without_a_member_gets_no_dues_page(client, db):
    client.force_login(UserFactory(role=roles.MEMBER))
    assert client.get(reverse("dues:my")).status_code == 404


def test_reconcile_applies_what_stripe_says_of_unsettled_checkouts(
    start_checkout, fake_stripe, capsys
):
    paid, processing, open_one = start_checkout(9), start_checkout(10), start_checkout(11)
    fake_stripe.complete(paid.stripe_session_id)
    fake_stripe.complete(processing.stripe_session_id, paid=False)
    call_command("stripe_reconcile")
    out = capsys.readouterr().out
    assert f"checkout {paid.stripe_session_id}: open -> paid" in out
    assert f"checkout {processing.stripe_session_id}: open -> processing" in out
    assert open_one.stripe_session_id not in out
    assert "Reconciled: 2 change(s)." in out

    fake_stripe.settle(processing.stripe_session_id)
    call_command("stripe_reconcile")
    assert "processing -> paid" in capsys.readouterr().out
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 2
    call_command("stripe_reconcile")
    assert "Reconciled: 0 change(s)." in capsys.readouterr().out


def test_reconcile_handles_events_stripe_could_not_deliver(start_checkout, fake_stripe, capsys):
    checkout = start_checkout()
    missed = stripe_event(
        "checkout.session.completed", fake_stripe.complete(checkout.stripe_session_id)
    )
    fake_stripe.undelivered_events.append(missed)
    fake_stripe.sessions.clear()  # so only the event, not the checkout check, can apply it
    call_command("stripe_reconcile")
    assert f"event {missed['id']}" in capsys.readouterr().out
    assert StripeEvent.objects.get().state == EventState.PROCESSED
    assert Payment.objects.get().amount == Decimal("45.00")


def test_officers_see_checkouts_and_events_and_rerun_failed_ones(
    client, start_checkout, fake_stripe, deliver
):
    from payments.tests.fake_stripe import charge

    checkout = start_checkout()
    session = fake_stripe.complete(checkout.stripe_session_id)
    ours = {"unionhall_member_id": str(checkout.member_id)}
    early = stripe_event(
        "charge.refunded",
        charge(session["payment_intent"], amount=4500, refunded=4500, metadata=ours),
    )
    assert deliver(early).status_code == 500
    deliver(stripe_event("checkout.session.completed", session))

    client.force_login(UserFactory(role=roles.OFFICER))
    events = client.get(reverse("admin:payments_stripeevent_changelist")).content.decode()
    assert "not recorded yet" in events
    assert client.get(reverse("admin:payments_checkoutsession_changelist")).status_code == 200
    failed = StripeEvent.objects.get(event_id=early["id"])
    response = client.post(
        reverse("admin:payments_stripeevent_changelist"),
        {"action": "rerun", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "1 handled, 0 failed again" in response.content.decode()
    failed.refresh_from_db()
    assert failed.state == EventState.PROCESSED
    assert type(checkout).objects.get().status == CheckoutStatus.PAID


def test_staff_may_not_rerun_events(client, db):
    client.force_login(UserFactory(role=roles.STAFF))
    assert client.get(reverse("admin:payments_stripeevent_changelist")).status_code == 403
