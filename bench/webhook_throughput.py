"""Signed Stripe webhook events one worker handles per second, on a scratch PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1/unionhall_bench python bench/webhook_throughput.py

The database named in DATABASE_URL is dropped and made again: its name must say it is scratch
(holding "bench", "scratch" or "smoke", or starting with "test_"), unless --drop-database is
given (bench/scratch.py).

Each event is a checkout.session.completed (paid) for its own checkout, signed as Stripe
signs it, posted through Django's full request handling in this one process: signature
check, stored event, locks, the payment with its receipt number, history and audit rows.
Then every event is delivered a second time (Stripe's retries), which must change nothing.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionhall.settings")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["STRIPE_SECRET_KEY"] = "sk_test_bench"
os.environ["STRIPE_WEBHOOK_SECRET"] = "whsec_bench"

EVENTS = int(os.environ.get("BENCH_EVENTS", "1000"))
PROFILE = os.environ.get("BENCH_PROFILE")


def main() -> None:
    from bench.scratch import drop_database_given, scratch_database_remake

    told = drop_database_given(__doc__)
    scratch_database_remake(os.environ.get("DATABASE_URL", ""), drop_database=told)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from dues.models import DuesRate, Payment
    from dues.services import dues_charges_generate, dues_period_create
    from members.models import Classification, Member
    from payments.models import CheckoutSession, StripeEvent
    from payments.tests.fake_stripe import sign, stripe_event

    call_command("migrate", verbosity=0)
    jw = Classification.objects.create(code="JW", name="Journeyman Wireman")
    DuesRate.objects.create(
        classification=jw, monthly_amount=Decimal("45.00"), effective_date=datetime.date(2020, 1, 1)
    )
    Member.objects.bulk_create(
        Member(
            member_number=str(100000 + i),
            first_name="Bench",
            last_name=f"M{i}",
            classification=jw,
            join_date=datetime.date(2015, 1, 1),
        )
        for i in range(EVENTS)
    )
    period = dues_period_create(year=2026, month=11, actor="bench")
    dues_charges_generate(period=period, actor="bench")
    checkouts = CheckoutSession.objects.bulk_create(
        CheckoutSession(
            member=member,
            period=period,
            amount=Decimal("45.00"),
            currency="usd",
            livemode=False,
            stripe_session_id=f"cs_test_{member.pk}",
            idempotency_key=f"k{member.pk}",
        )
        for member in Member.objects.all()
    )
    bodies = []
    for checkout in checkouts:
        session = {
            "id": checkout.stripe_session_id,
            "object": "checkout.session",
            "amount_total": 4500,
            "currency": "usd",
            "livemode": False,
            "mode": "payment",
            "payment_status": "paid",
            "status": "complete",
            "payment_intent": f"pi_{checkout.pk}",
            "payment_method_types": ["card"],
            "metadata": {
                "unionhall_member_id": str(checkout.member_id),
                "unionhall_period_id": str(period.pk),
            },
        }
        bodies.append(json.dumps(stripe_event("checkout.session.completed", session)))

    client = Client()

    def deliver_all() -> float:
        started = time.perf_counter()
        for body in bodies:
            response = client.post(
                "/webhooks/stripe/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body, "whsec_bench"),
            )
            assert response.status_code == 200, response.content
        return time.perf_counter() - started

    if PROFILE == "queries":
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            body = bodies.pop()
            client.post(
                "/webhooks/stripe/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=sign(body, "whsec_bench"),
            )
        for query in captured:
            print(query["time"], query["sql"][:110])
        return
    if PROFILE:
        import cProfile
        import pstats

        cProfile.runctx("deliver_all()", globals(), locals(), "/tmp/webhook.prof")
        pstats.Stats("/tmp/webhook.prof").sort_stats("tottime").print_stats(25)
        return
    first = deliver_all()
    again = deliver_all()
    assert Payment.objects.filter(status="succeeded").count() == EVENTS
    assert StripeEvent.objects.count() == EVENTS
    print(
        f"{EVENTS} new signed events in {first:.2f} s = {EVENTS / first:,.0f} events/s (one worker)"
    )
    print(f"{EVENTS} repeated deliveries in {again:.2f} s = {EVENTS / again:,.0f} events/s")


if __name__ == "__main__":
    main()
