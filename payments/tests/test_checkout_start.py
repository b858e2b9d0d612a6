"""Starting an online payment: the amount is ours, the request to Stripe is exact, and
nothing is half-written when Stripe is away."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import UserFactory
from payments.models import CheckoutSession, CheckoutStatus

pytestmark = pytest.mark.django_db


def _initiate(client, member, month=9, follow=False, **data):
    period = member.dues_charges.get(period__month=month).period
    url = reverse("dues:checkout:initiate", args=[member.pk, period.pk])
    return client.post(url, data, follow=follow)


def test_the_member_is_sent_to_checkout_for_what_they_owe(client, member_login, fake_stripe):
    client.force_login(member_login.user)
    response = _initiate(client, member_login, amount="0.01")  # the browser's amount is ignored

    assert response.status_code == 303
    checkout = CheckoutSession.objects.get()
    assert response["Location"] == checkout.url
    assert checkout.status == CheckoutStatus.OPEN
    assert (checkout.amount, checkout.currency, checkout.livemode) == (
        Decimal("45.00"),
        "usd",
        False,
    )
    assert checkout.stripe_session_id.startswith("cs_test_")

    [sent] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert sent.params["line_items[0][price_data][unit_amount]"] == "4500"
    assert sent.params["line_items[0][price_data][currency]"] == "usd"
    assert sent.params["metadata[unionhall_member_id]"] == str(member_login.pk)
    assert sent.params["metadata[unionhall_period_id]"] == str(checkout.period_id)
    assert sent.params["payment_intent_data[metadata][unionhall_member_id]"] == str(member_login.pk)
    assert [sent.params["payment_method_types[0]"], sent.params["payment_method_types[1]"]] == [
        "card",
        "us_bank_account",
    ]
    assert (
        sent.idempotency_key == f"unionhall-checkout-{member_login.pk}-{checkout.period_id}-4500-1"
    )
    assert sent.headers["Authorization"] == "Bearer sk_test_unionhall"


def test_a_new_customer_is_created_once_and_saved(client, member_login, fake_stripe):
    client.force_login(member_login.user)
    _initiate(client, member_login)
    [created] = fake_stripe.requests_to("POST", "/v1/customers")
    assert created.params["email"] == "lucy@example.org"
    member_login.refresh_from_db()
    assert member_login.stripe_customer_id in fake_stripe.customers
    [sent] = fake_stripe.requests_to("POST", "/v1/checkout/sessions")
    assert sent.params["customer"] == member_login.stripe_customer_id


def test_the_members_customer_is_reused(client, member_login, fake_stripe):
    fake_stripe.customers["cus_known"] = {"id": "cus_known"}
    member_login.stripe_customer_id = "cus_known"
    member_login.save()
    client.force_login(member_login.user)
    _initiate(client, member_login)
    assert fake_stripe.requests_to("POST", "/v1/customers") == []
    assert (
        fake_stripe.requests_to("POST", "/v1/checkout/sessions")[0].params["customer"]
        == "cus_known"
    )


def test_a_customer_stripe_no_longer_knows_is_replaced_not_a_500(client, member_login, fake_stripe):
    member_login.stripe_customer_id = "cus_from_live_mode"
    member_login.save()
    client.force_login(member_login.user)
    response = _initiate(client, member_login)
    assert response.status_code == 303
    member_login.refresh_from_db()
    assert member_login.stripe_customer_id != "cus_from_live_mode"
    assert member_login.stripe_customer_id in fake_stripe.customers
    assert member_login.history.latest().history_user == member_login.user


def test_the_same_click_twice_makes_one_checkout(client, member_login, fake_stripe):
    client.force_login(member_login.user)
    first = _initiate(client, member_login)
    second = _initiate(client, member_login)
    assert first["Location"] == second["Location"]
    assert CheckoutSession.objects.count() == 1


def test_nothing_owed_is_a_message_and_no_session(client, member_login, fake_stripe):
    from dues.services import payment_record

    payment_record(
        member=member_login,
        amount="45.00",
        method="cash",
        received_date=member_login.join_date,
        actor="tests",
    )
    client.force_login(member_login.user)
    response = _initiate(client, member_login, month=9, follow=True)
    assert "Nothing is owed for 2026-09" in response.content.decode()
    assert fake_stripe.sent == []
    assert not CheckoutSession.objects.exists()


def test_without_a_stripe_key_the_member_is_told_online_payment_is_not_set_up(
    client, member_login, fake_stripe, settings
):
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(member_login.user)
    page = client.get(reverse("dues:my")).content.decode()
    assert "Online payment is not set up" in page
    assert "Pay Now Online" not in page
    response = client.post(
        reverse(
            "dues:checkout:initiate",
            args=[member_login.pk, member_login.dues_charges.first().period_id],
        ),
        follow=True,
    )
    assert "Online payment is not set up yet" in response.content.decode()
    assert fake_stripe.sent == []


@pytest.mark.parametrize("trouble", ["down", "refuse"])
def test_when_stripe_is_away_or_refuses_a_friendly_page_and_nothing_written(
    client, member_login, fake_stripe, trouble
):
    if trouble == "down":
        fake_stripe.down = True
    else:
        fake_stripe.refuse = {
            "type": "invalid_request_error",
            "message": "Your account cannot currently make live charges.",
        }
    client.force_login(member_login.user)
    response = _initiate(client, member_login)
    assert response.status_code == 503
    assert "Nothing was charged" in response.content.decode()
    assert not CheckoutSession.objects.exists()
    member_login.refresh_from_db()
    assert member_login.stripe_customer_id is None


def test_a_member_cannot_start_a_payment_for_someone_else(client, member_login, fake_stripe):
    client.force_login(UserFactory(role=roles.MEMBER))
    # "Not yours" reads like "not there": the same 404 as a member who does not exist.
    assert _initiate(client, member_login).status_code == 404
    period = member_login.dues_charges.first().period
    missing = reverse("dues:checkout:initiate", args=[member_login.pk + 1000, period.pk])
    assert client.post(missing).status_code == 404
    assert fake_stripe.sent == []


def test_an_organizer_cannot_start_a_payment(client, member_login, fake_stripe):
    client.force_login(UserFactory(role=roles.ORGANIZER))
    assert _initiate(client, member_login).status_code == 404


def test_staff_start_a_payment_at_the_counter(client, member_login, fake_stripe):
    client.force_login(UserFactory(role=roles.STAFF))
    page = client.get(reverse("dues:member", args=[member_login.pk])).content.decode()
    assert "Pay Now Online" in page
    assert _initiate(client, member_login).status_code == 303
    assert CheckoutSession.objects.get().started_by.username != member_login.user.username


def test_the_initiate_endpoint_takes_only_post(client, member_login, fake_stripe):
    client.force_login(member_login.user)
    period = member_login.dues_charges.first().period
    assert (
        client.get(reverse("dues:checkout:initiate", args=[member_login.pk, period.pk])).status_code
        == 405
    )


@pytest.fixture
def hanging_stripe():
    """A server that takes the connection and never answers, as a Stripe in trouble may."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held, stop = [], threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hanging_stripe_gives_the_try_again_page_in_seconds_and_nothing_half_made(
    client, member_login, settings, hanging_stripe
):
    import time

    settings.STRIPE_API_BASE = hanging_stripe
    settings.STRIPE_TIMEOUT_SECONDS = 1
    settings.STRIPE_NETWORK_RETRIES = 1
    client.force_login(member_login.user)
    started = time.monotonic()
    response = _initiate(client, member_login)
    waited = time.monotonic() - started
    assert response.status_code == 503
    assert "try again" in response.content.decode()
    assert waited < 20  # two tries of one second each and a short back-off, not 80 s x 3
    assert not CheckoutSession.objects.exists()
    member_login.refresh_from_db()
    assert member_login.stripe_customer_id is None
