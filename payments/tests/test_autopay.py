"""Autopay: enrolment through Checkout in setup mode, collection once per member and
period however often it runs, outcomes by webhook, retries on the local's schedule, and the
members it must never charge. Stripe is the SDK's own HTTP client hook (FakeStripe)
answering with Stripe's canonical objects; events are signed as Stripe signs them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from checkoff.tests.factories import AuthorizationFactory, EmployerFactory
from dues.models import DuesPeriod, MemberLedger, Payment, PaymentMethod, PaymentStatus
from dues.services import dues_charges_generate
from dues.tests.factories import DuesPeriodFactory
from members.tests.factories import MemberFactory, UserFactory
from payments.autopay import autopay_cancel
from payments.collecting import autopay_collect, autopay_retry_due
from payments.models import (
    Autopay,
    AutopayCollection,
    AutopayStatus,
    CollectionStatus,
    EventState,
    StripeEvent,
)
from payments.reconcile import stripe_reconcile
from payments.tests.fake_stripe import stripe_event

pytestmark = pytest.mark.django_db
INTENTS = "/v1/payment_intents"


def collect(period, **kwargs):
    return autopay_collect(period=period, **kwargs)


def paid(member) -> Decimal:
    return MemberLedger.objects.get(member=member).balance


def test_enrolment_saves_the_method_as_the_customers_default_and_says_so(
    client, member_login, enrol, fake_stripe
):
    client.force_login(member_login.user)
    page = client.get(reverse("dues:my")).content.decode()
    assert "Set up autopay" in page

    autopay = enrol(member_login)
    assert (autopay.status, autopay.on_file) == (AutopayStatus.ACTIVE, "Visa •••• 4242")
    setup = fake_stripe.requests_to("POST", "/v1/checkout/sessions")[-1].params
    assert setup["mode"] == "setup"
    assert {setup["payment_method_types[0]"], setup["payment_method_types[1]"]} == {
        "card",
        "us_bank_account",
    }
    member_login.refresh_from_db()
    customer = fake_stripe.customers[member_login.stripe_customer_id]
    assert customer["invoice_settings"]["default_payment_method"] == autopay.payment_method_id
    assert mail.outbox[-1].subject == "Autopay is on"
    assert "Visa •••• 4242" in mail.outbox[-1].body

    page = client.get(reverse("dues:my")).content.decode()
    assert "Visa •••• 4242" in page
    assert "Cancel autopay" in page
    assert "Next collection" in page
    # The change is in the trail.
    assert autopay.history.filter(status=AutopayStatus.ACTIVE).exists()


def test_a_bank_account_shows_the_bank(member_login, enrol):
    autopay = enrol(member_login, kind="us_bank_account", last4="6789", brand="STRIPE TEST BANK")
    assert autopay.on_file == "STRIPE TEST BANK •••• 6789"


def test_back_from_stripe_before_the_webhook_turns_it_on(client, member_login, fake_stripe):
    client.force_login(member_login.user)
    response = client.post(reverse("dues:checkout:autopay_start"))
    session_id = response["Location"].rsplit("/", 1)[1]
    fake_stripe.complete_setup(session_id)
    response = client.get(reverse("dues:checkout:autopay_done"), {"session_id": session_id})
    assert response["Location"] == reverse("dues:my")
    assert Autopay.objects.get(member=member_login).status == AutopayStatus.ACTIVE


def test_someone_elses_setup_return_is_404(client, member_login, fake_stripe):
    client.force_login(member_login.user)
    client.post(reverse("dues:checkout:autopay_start"))
    other = MemberFactory(user=UserFactory(role="Member"))
    client.force_login(other.user)
    session_id = Autopay.objects.get(member=member_login).setup_session_id
    response = client.get(reverse("dues:checkout:autopay_done"), {"session_id": session_id})
    assert response.status_code == 404


def test_a_collection_charges_what_is_owed_once_however_often_it_runs(
    member_login, enrol, fake_stripe, november
):
    enrol(member_login)
    first = collect(november)
    again = collect(november)
    assert first.outcomes == {"succeeded": 1}
    assert again.asked == 0  # paid up now: nothing more is asked
    charges = fake_stripe.requests_to("POST", INTENTS)
    assert len(charges) == 1
    sent = charges[0]
    assert sent.params["amount"] == "13500"  # September to November, not more
    assert sent.params["off_session"] == "true"
    assert sent.params["confirm"] == "true"
    collection = AutopayCollection.objects.get()
    assert sent.idempotency_key == f"autopay-{member_login.pk}-{november.pk}-1"
    payment = Payment.objects.get()
    assert (payment.method, payment.status, payment.amount) == (
        PaymentMethod.STRIPE_CARD,
        PaymentStatus.SUCCEEDED,
        Decimal("135.00"),
    )
    assert collection.payment == payment
    assert paid(member_login) == Decimal("0.00")


def test_a_member_owing_nothing_is_not_charged(member_login, enrol, fake_stripe, november):
    from dues.services import payment_record

    enrol(member_login)
    payment_record(
        member=member_login,
        amount=Decimal("135.00"),
        method="cash",
        received_date=datetime.date(2026, 11, 2),
        actor="tests",
    )
    assert collect(november).asked == 0
    assert not fake_stripe.requests_to("POST", INTENTS)


def test_members_on_checkoff_are_skipped(member_login, enrol, fake_stripe, november):
    enrol(member_login)
    AuthorizationFactory(
        member=member_login, employer=EmployerFactory(), signed_on=datetime.date(2026, 1, 1)
    )
    run = collect(november)
    assert run.skipped_checkoff == 1
    assert not fake_stripe.requests_to("POST", INTENTS)


def test_a_declined_card_is_retried_on_the_schedule_and_succeeds(
    member_login, enrol, fake_stripe, november, django_capture_on_commit_callbacks, settings
):
    settings.AUTOPAY_RETRY_DAYS = [3, 5, 7]
    autopay = enrol(member_login)
    fake_stripe.outcomes[autopay.payment_method_id] = ["declined"]
    with django_capture_on_commit_callbacks(execute=True):
        assert collect(november).outcomes == {"failed": 1}
    collection = AutopayCollection.objects.get()
    today = timezone.localdate()
    assert collection.next_attempt_on == today + datetime.timedelta(days=3)
    assert collection.last_error == "Your card was declined."
    assert not Payment.objects.filter(status=PaymentStatus.SUCCEEDED).exists()
    assert mail.outbox[-1].subject == "Your dues payment did not go through"
    assert "We will try again on" in mail.outbox[-1].body
    assert reverse("dues:my") in mail.outbox[-1].body

    assert autopay_retry_due(today=today + datetime.timedelta(days=2)).asked == 0
    assert autopay_retry_due(today=today + datetime.timedelta(days=3)).outcomes == {"succeeded": 1}
    keys = [r.idempotency_key for r in fake_stripe.requests_to("POST", INTENTS)]
    assert keys == [
        f"autopay-{member_login.pk}-{november.pk}-1",
        f"autopay-{member_login.pk}-{november.pk}-2",
    ]
    assert paid(member_login) == Decimal("0.00")


def test_after_the_last_retry_it_gives_up_and_tells_the_office(
    member_login, enrol, fake_stripe, november, django_capture_on_commit_callbacks, settings
):
    settings.AUTOPAY_RETRY_DAYS = [3]
    UserFactory(username="treasurer", role="Officer", email="treasurer@example.org")
    autopay = enrol(member_login)
    fake_stripe.outcomes[autopay.payment_method_id] = ["declined", "declined"]
    with django_capture_on_commit_callbacks(execute=True):
        collect(november)
        autopay_retry_due(today=timezone.localdate() + datetime.timedelta(days=3))
    collection = AutopayCollection.objects.get()
    assert collection.status == CollectionStatus.GAVE_UP
    to_office = [m for m in mail.outbox if m.to == ["treasurer@example.org"]]
    assert [m.subject for m in to_office] == [f"Autopay gave up on {member_login} for 2026-11"]
    to_member = [m for m in mail.outbox if m.to == [member_login.email]]
    assert "We will not try again" in to_member[-1].body


def test_authentication_required_asks_the_member(
    member_login, enrol, fake_stripe, november, django_capture_on_commit_callbacks
):
    autopay = enrol(member_login)
    fake_stripe.outcomes[autopay.payment_method_id] = ["authentication_required"]
    with django_capture_on_commit_callbacks(execute=True):
        collect(november)
    collection = AutopayCollection.objects.get()
    assert collection.status == CollectionStatus.REQUIRES_ACTION
    assert "asks you to confirm" in mail.outbox[-1].body
    assert paid(member_login) == Decimal("135.00")  # the period stays open


def test_an_expired_card_turns_autopay_off_with_a_notice(
    member_login, enrol, fake_stripe, november, django_capture_on_commit_callbacks
):
    autopay = enrol(member_login)
    fake_stripe.outcomes[autopay.payment_method_id] = ["expired_card"]
    with django_capture_on_commit_callbacks(execute=True):
        collect(november)
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.OFF
    assert "Autopay is off: your payment method can no longer be used" in [
        m.subject for m in mail.outbox
    ]
    assert "The card has expired." in mail.outbox[-1].body


def test_a_bank_debit_counts_only_when_it_clears(
    member_login, enrol, fake_stripe, november, deliver
):
    enrol(member_login, kind="us_bank_account", last4="6789", brand="STRIPE TEST BANK")
    assert collect(november).outcomes == {"processing": 1}
    payment = Payment.objects.get()
    assert (payment.method, payment.status) == (PaymentMethod.STRIPE_ACH, PaymentStatus.PENDING)
    assert paid(member_login) == Decimal("135.00")
    intent_id = AutopayCollection.objects.get().payment_intent_id
    # Delivered twice, and out of order with a stale "processing".
    succeeded = stripe_event("payment_intent.succeeded", fake_stripe.intent_settles(intent_id))
    assert deliver(succeeded).status_code == 200
    assert deliver(succeeded).status_code == 200
    stale = stripe_event(
        "payment_intent.processing", {**succeeded["data"]["object"], "status": "processing"}
    )
    assert deliver(stale).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert Payment.objects.count() == 1
    assert paid(member_login) == Decimal("0.00")
    assert AutopayCollection.objects.get().status == CollectionStatus.SUCCEEDED


def test_a_bank_debit_that_bounces_reopens_the_period_and_retries(
    member_login, enrol, fake_stripe, november, deliver
):
    enrol(member_login, kind="us_bank_account", last4="6789", brand="STRIPE TEST BANK")
    collect(november)
    intent_id = AutopayCollection.objects.get().payment_intent_id
    failed = stripe_event(
        "payment_intent.payment_failed", fake_stripe.intent_settles(intent_id, succeeded=False)
    )
    assert deliver(failed).status_code == 200
    assert Payment.objects.get().status == PaymentStatus.FAILED
    collection = AutopayCollection.objects.get()
    assert collection.status == CollectionStatus.FAILED
    assert collection.next_attempt_on is not None
    assert paid(member_login) == Decimal("135.00")


def test_reconciliation_asks_about_debits_still_clearing(
    member_login, enrol, fake_stripe, november
):
    enrol(member_login, kind="us_bank_account", last4="6789", brand="STRIPE TEST BANK")
    collect(november)
    fake_stripe.intent_settles(AutopayCollection.objects.get().payment_intent_id)
    lines = stripe_reconcile()
    assert any("processing -> succeeded" in line for line in lines)
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_cancelling_stops_the_next_run_and_removes_the_method(
    client, member_login, enrol, fake_stripe, november, django_capture_on_commit_callbacks
):
    autopay = enrol(member_login)
    client.force_login(member_login.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("dues:checkout:autopay_cancel"))
    assert response["Location"] == reverse("dues:my")
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.CANCELLED
    assert fake_stripe.requests_to(
        "POST", f"/v1/payment_methods/{autopay.payment_method_id}/detach"
    )
    assert mail.outbox[-1].subject == "Autopay is cancelled"
    assert collect(november).asked == 0
    assert not fake_stripe.requests_to("POST", INTENTS)


def test_a_detached_method_turns_autopay_off(member_login, enrol, fake_stripe, deliver):
    autopay = enrol(member_login)
    method = fake_stripe.payment_methods[autopay.payment_method_id]
    assert deliver(stripe_event("payment_method.detached", method)).status_code == 200
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.OFF


def test_an_intent_not_of_autopay_is_ignored(deliver, fake_stripe):
    from payments.tests.fake_stripe import canonical

    response = deliver(stripe_event("payment_intent.succeeded", canonical("payment_intent")))
    assert response.status_code == 200
    assert StripeEvent.objects.get().state == EventState.IGNORED


def test_a_new_period_charged_starts_the_collection(
    member_login, enrol, fake_stripe, django_capture_on_commit_callbacks
):
    enrol(member_login)
    december = DuesPeriodFactory(year=2026, month=12)
    with django_capture_on_commit_callbacks(execute=True):
        dues_charges_generate(period=december, actor="tests")
    assert AutopayCollection.objects.get().period == december
    assert fake_stripe.requests_to("POST", INTENTS)[0].params["amount"] == "18000"


def test_cancelling_when_off_says_so(member_login):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Autopay is not on"):
        autopay_cancel(member=member_login, actor="tests", reason="x")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_charge_each_member_once(member_login, enrol, fake_stripe, november, race):
    enrol(member_login)
    other = MemberFactory(
        user=UserFactory(role="Member"),
        classification=member_login.classification,
        join_date=datetime.date(2015, 1, 1),
    )
    for period in DuesPeriod.objects.all():
        dues_charges_generate(period=period, actor="tests")
    enrol(other)
    _, errors = race(lambda: collect(november).outcomes, times=2)
    assert errors == []
    assert Payment.objects.filter(status=PaymentStatus.SUCCEEDED).count() == 2
    assert AutopayCollection.objects.count() == 2
    # Stripe was asked once per member, or again with the same key (its first answer back).
    keys = [r.idempotency_key for r in fake_stripe.requests_to("POST", INTENTS)]
    assert len(set(keys)) == 2


def test_the_office_sees_who_is_on_autopay(client, member_login, enrol):
    enrol(member_login)
    MemberFactory(member_number="777001", classification=member_login.classification)
    officer = UserFactory(username="treasurer", role="Officer")
    client.force_login(officer)
    listed = client.get(reverse("admin:members_member_changelist"), {"autopay": "yes"})
    page = listed.content.decode()
    assert member_login.member_number in page
    assert "777001" not in page
    assert "Visa •••• 4242" in page
    others = client.get(reverse("admin:members_member_changelist"), {"autopay": "no"})
    assert "777001" in others.content.decode()
    api = client.get("/api/v1/members/", {"autopay": "yes"}).json()
    assert [m["member_number"] for m in api["results"]] == [member_login.member_number]


def test_requires_action_by_webhook_leaves_the_period_open_and_asks_the_member(
    member_login, enrol, fake_stripe, november, deliver, django_capture_on_commit_callbacks
):
    enrol(member_login, kind="us_bank_account", last4="6789", brand="STRIPE TEST BANK")
    collect(november)
    collection = AutopayCollection.objects.get()
    intent = {
        **fake_stripe.payment_intents[collection.payment_intent_id],
        "status": "requires_action",
        "next_action": {"type": "verify_with_microdeposits"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(stripe_event("payment_intent.requires_action", intent)).status_code == 200
    collection.refresh_from_db()
    assert collection.status == CollectionStatus.REQUIRES_ACTION
    assert collection.next_attempt_on is not None
    assert "asks you to confirm" in mail.outbox[-1].body
    assert paid(member_login) == Decimal("135.00")


def test_the_retry_is_counted_from_the_locals_day_in_its_evening(
    member_login, enrol, fake_stripe, november, settings, monkeypatch
):
    import zoneinfo

    settings.AUTOPAY_RETRY_DAYS = [3, 5, 7]
    # 19:00 in the local's zone on Dec 7 is already Dec 8 in UTC.
    evening = datetime.datetime(2026, 12, 7, 19, 0, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    monkeypatch.setattr(timezone, "now", lambda: evening)
    autopay = enrol(member_login)
    fake_stripe.outcomes[autopay.payment_method_id] = ["declined"]
    assert collect(november).outcomes == {"failed": 1}
    assert AutopayCollection.objects.get().next_attempt_on == datetime.date(2026, 12, 10)
