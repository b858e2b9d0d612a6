"""Demo dues for `manage.py seed_demo`: rates, the last twelve periods, their charges and
a year of payments, so the quickstart shows members in every standing."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from members.models import Classification, Member, MemberStatus

from .ledger import ZERO
from .models import DuesPeriod, DuesRate, Payment, PaymentMethod
from .services import dues_charges_generate, dues_period_create, payment_record

RATES = {"JW": "45.00", "AP": "30.00", "RW": "38.00", "RT": "10.00"}
JW_RAISE = ("48.00", datetime.date(2026, 7, 1))


def seed_demo_dues(stdout) -> None:
    today = timezone.localdate()
    _rates()
    periods = [_period(today, back) for back in range(11, -1, -1)]
    for period in periods:
        dues_charges_generate(period=period, actor="seed_demo")
    if Payment.objects.exists():
        stdout.write("Demo dues: payments already there, left as they are.")
        return
    _payments(periods, today)
    stdout.write(f"Demo dues: {len(periods)} periods, {Payment.objects.count()} payments.")


def _rates() -> None:
    start = datetime.date(2025, 1, 1)
    for code, amount in RATES.items():
        classification = Classification.objects.filter(code=code).first()
        if classification is None:
            continue
        end = JW_RAISE[1] - datetime.timedelta(days=1) if code == "JW" else None
        DuesRate.objects.get_or_create(
            classification=classification,
            effective_date=start,
            defaults={"monthly_amount": Decimal(amount), "end_date": end},
        )
        if code == "JW":
            DuesRate.objects.get_or_create(
                classification=classification,
                effective_date=JW_RAISE[1],
                defaults={"monthly_amount": Decimal(JW_RAISE[0])},
            )


def _period(today: datetime.date, months_back: int) -> DuesPeriod:
    index = today.year * 12 + today.month - 1 - months_back
    year, month = divmod(index, 12)
    found = DuesPeriod.objects.filter(year=year, month=month + 1).first()
    return found or dues_period_create(year=year, month=month + 1, actor="seed_demo")


def _payments(periods: list[DuesPeriod], today: datetime.date) -> None:
    rng = random.Random(2026)
    methods = [
        PaymentMethod.PAYROLL_DEDUCTION,
        PaymentMethod.CHECK,
        PaymentMethod.CASH,
        PaymentMethod.MONEY_ORDER,
        PaymentMethod.ACH,
    ]
    members = Member.objects.filter(status=MemberStatus.ACTIVE).prefetch_related(
        "dues_charges__period"
    )
    for member in members.order_by("member_number"):
        charges = sorted(member.dues_charges.all(), key=lambda c: c.period.first_day)
        # Most members are paid up; some are a month or two behind; a few are delinquent.
        behind = rng.choices([0, 1, 2, 4], weights=[75, 12, 8, 5])[0]
        if member.user_id:
            behind = 2  # the demo member's login has something to pay online
        paying = charges[: max(len(charges) - behind, 0)]
        method = rng.choice(methods)
        # Pay in chunks of one to three months, each when its first period came due.
        while paying:
            size = rng.randint(1, 3)
            chunk, paying = paying[:size], paying[size:]
            received = min(chunk[0].period.due_date, today)
            payment_record(
                member=member,
                amount=sum((c.amount for c in chunk), ZERO),
                method=method,
                received_date=received,
                reference=f"{rng.randint(1000, 9999)}" if method == PaymentMethod.CHECK else "",
                actor="seed_demo",
            )
