from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts import roles
from dues.models import DuesPeriod
from dues.services import dues_charges_generate
from dues.tests.factories import DuesRateFactory, periods
from members.tests.factories import ClassificationFactory, MemberFactory, UserFactory
from payments.models import Autopay, CheckoutSession
from payments.stripe_client import stripe_http_client
from payments.tests.fake_stripe import FakeStripe, sign, stripe_event

WEBHOOK_SECRET = "whsec_test_current"
OLD_WEBHOOK_SECRET = "whsec_test_rotated_out"


@pytest.fixture(autouse=True)
def stripe_settings(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_unionhall"
    settings.STRIPE_WEBHOOK_SECRETS = [WEBHOOK_SECRET, OLD_WEBHOOK_SECRET]
    settings.STRIPE_CURRENCY = "usd"
    settings.STRIPE_PAYMENT_METHOD_TYPES = ["card", "us_bank_account"]
    return settings


@pytest.fixture
def fake_stripe():
    fake = FakeStripe()
    with stripe_http_client(fake):
        yield fake


@pytest.fixture
def member_login(db):
    """A journeyman with a login, owing 45.00 for each of September, October, November 2026."""
    journeyman = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    user = UserFactory(username="lparsons", role=roles.MEMBER)
    member = MemberFactory(
        user=user,
        classification=journeyman,
        first_name="Lucy",
        last_name="Parsons",
        email="lucy@example.org",
        join_date=datetime.date(2015, 1, 1),
    )
    for period in periods(2026, [9, 10, 11]):
        dues_charges_generate(period=period, actor="tests")
    return member


@pytest.fixture
def start_checkout(client, member_login, fake_stripe):
    """The member clicks "Pay Now Online" for a period; returns our checkout record."""

    def start(month: int = 9) -> CheckoutSession:
        client.force_login(member_login.user)
        period = member_login.dues_charges.get(period__month=month).period
        response = client.post(reverse("dues:checkout:initiate", args=[member_login.pk, period.pk]))
        assert response.status_code == 303, response.content
        return CheckoutSession.objects.get(url=response["Location"])

    return start


def post_webhook(body: str, signature: str | None):
    """A delivery from Stripe: its own client, with none of our users' cookies."""
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature is not None else {}
    return Client().post(
        reverse("payments:stripe_webhook"), data=body, content_type="application/json", **headers
    )


@pytest.fixture
def deliver(db):
    """Stripe delivers an event to the webhook, signed as Stripe signs it."""

    def post(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, body=None):
        body = json.dumps(event) if body is None else body
        return post_webhook(body, sign(body, secret, timestamp))

    return post


@pytest.fixture
def enrol(client, fake_stripe, deliver, django_capture_on_commit_callbacks):
    """The member sets up autopay at Checkout (setup mode) and Stripe says so."""

    def run(member, *, kind: str = "card", last4: str = "4242", brand: str = "visa"):
        client.force_login(member.user)
        response = client.post(reverse("dues:checkout:autopay_start"))
        assert response.status_code == 303, response.content
        session_id = response["Location"].rsplit("/", 1)[1]
        session = fake_stripe.complete_setup(session_id, kind=kind, last4=last4, brand=brand)
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(stripe_event("checkout.session.completed", session)).status_code == 200
        return Autopay.objects.get(member=member)

    return run


@pytest.fixture
def november(member_login) -> DuesPeriod:
    return DuesPeriod.objects.get(year=2026, month=11)


@pytest.fixture(autouse=True)
def _ledgers_agree_after_each_test(ledgers_agree):
    pass
