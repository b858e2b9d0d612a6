"""The same dispute event delivered twice at once: the officers are told once.

Stripe may deliver one event on two connections at the same moment (a retry racing a slow
first delivery). Checkout events have their own lock (the checkout's row); a dispute has
none but the stored event's: only that lock keeps two deliveries from both handling it.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.core import mail
from django.db import connection, connections, transaction

from accounts import roles
from audit.models import AuditEvent
from dues.models import Payment
from members.tests.factories import UserFactory
from payments.models import EventState, StripeEvent
from payments.tests.conftest import WEBHOOK_SECRET, post_webhook
from payments.tests.fake_stripe import dispute, sign, stripe_event

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _backends_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL shows the activity as it first read it: read anew.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


class _PaymentBusy(threading.Thread):
    """An office writer holding the payment's row (a refund being recorded at the counter)
    until `waiters` deliveries are waiting on a lock, so both are in flight together
    however the machine schedules them."""

    def __init__(self, payment_pk: int, waiters: int) -> None:
        super().__init__()
        self.payment_pk, self.waiters = payment_pk, waiters
        self.holding = threading.Event()
        self.saw_waiters = False

    def run(self) -> None:
        try:
            with transaction.atomic():
                Payment.objects.select_for_update().get(pk=self.payment_pk)
                self.holding.set()
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    if _backends_waiting_for_a_lock() >= self.waiters:
                        self.saw_waiters = True
                        break
                    time.sleep(0.02)
        finally:
            self.holding.set()
            connections.close_all()


def test_one_dispute_delivered_twice_at_once_mails_the_officers_once(
    start_checkout, fake_stripe, deliver, race
):
    UserFactory(role=roles.OFFICER, email="treasurer@local1234.org")
    checkout = start_checkout()
    session = fake_stripe.complete(checkout.stripe_session_id)
    assert deliver(stripe_event("checkout.session.completed", session)).status_code == 200
    payment = Payment.objects.get()
    mail.outbox.clear()

    body = json.dumps(
        stripe_event("charge.dispute.created", dispute(session["payment_intent"], amount=4500))
    )

    def deliver_once() -> int:
        return post_webhook(body, sign(body, WEBHOOK_SECRET)).status_code

    busy = _PaymentBusy(payment.pk, waiters=2)
    busy.start()
    busy.holding.wait(20)
    statuses, errors = race(deliver_once)
    busy.join()

    assert busy.saw_waiters, "the two deliveries never waited together"
    assert errors == []
    assert statuses == [200, 200]
    alerts = [m for m in mail.outbox if m.subject.startswith("Dispute opened")]
    assert len(alerts) == 1, [m.subject for m in alerts]
    assert alerts[0].to == ["treasurer@local1234.org"]
    payment.refresh_from_db()
    assert payment.flagged_at is not None
    assert "fraudulent" in payment.flag_reason
    flags = AuditEvent.objects.filter(
        model_label="dues.payment", object_id=str(payment.pk), action="update"
    )
    assert [sorted(e.changes) for e in flags] == [["flag_reason", "flagged_at"]]
    stored = StripeEvent.objects.get(type="charge.dispute.created")
    assert (stored.state, stored.attempts) == (EventState.PROCESSED, 1)
