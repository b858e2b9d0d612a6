"""Dues at the scale of a large local, on a scratch PostgreSQL database.

    DATABASE_URL=postgres://postgres@127.0.0.1/unionhall_bench python bench/dues_scale.py

The database named in DATABASE_URL is dropped and made again. Measures:
- generating one period for 50,000 active members with dues_charges_generate() (with its
  history rows and audit events), against the floor: one INSERT ... SELECT doing the same
  charges in SQL, without history;
- the arrears report (dues_standings() and arrears_list()) over 50,000 members x 24 periods.
"""

from __future__ import annotations

import datetime
import os
import random
import sys
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionhall.settings")
os.environ["DEBUG"] = "0"  # DEBUG would record every query in memory
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "50000"))
PERIODS = 24


def fresh_database(url: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(url, dbname="postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")


def timed(label: str, run):
    started = time.perf_counter()
    result = run()
    print(f"{label}: {time.perf_counter() - started:.2f} s")
    return result


def main() -> None:
    fresh_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from audit.context import acting_as
    from dues.models import DuesCharge, DuesPeriod, DuesRate, Payment
    from dues.selectors import arrears_list, dues_standings
    from dues.services import dues_charges_generate, dues_period_create
    from members.models import Classification, Member

    call_command("migrate", verbosity=0)
    classes = [Classification.objects.create(code=code, name=code) for code in ("JW", "AP", "RW")]
    for classification, amount in zip(classes, ("45.00", "30.00", "38.00"), strict=True):
        DuesRate.objects.create(
            classification=classification,
            monthly_amount=amount,
            effective_date=datetime.date(2020, 1, 1),
        )
    Member.objects.bulk_create(
        Member(
            member_number=str(100000 + i),
            first_name="Bench",
            last_name=f"Member{i}",
            classification=classes[i % 3],
            join_date=datetime.date(2015, 1, 1),
        )
        for i in range(MEMBERS)
    )
    periods = [dues_period_create(year=2024 + (m // 12), month=m % 12 + 1) for m in range(PERIODS)]

    print(f"{MEMBERS} active members, {PERIODS} periods")
    with acting_as("bench"):
        result = timed(
            f"dues_charges_generate, one period ({periods[0]})",
            lambda: dues_charges_generate(period=periods[0]),
        )
    assert result.created == MEMBERS

    floor_sql = """
        INSERT INTO dues_duescharge (member_id, period_id, amount, rate_id, created_at)
        SELECT m.id, %s, r.monthly_amount, r.id, now()
        FROM members_member m JOIN dues_duesrate r ON r.classification_id = m.classification_id
        WHERE m.status = 'active'
    """
    with connection.cursor() as cursor:
        timed(
            f"floor: one INSERT ... SELECT, one period ({periods[1]})",
            lambda: cursor.execute(floor_sql, [periods[1].pk]),
        )
        for period in periods[2:]:
            cursor.execute(floor_sql, [period.pk])
    assert DuesCharge.objects.count() == MEMBERS * PERIODS

    # Payments: most members paid up to some month, so every standing appears.
    rng = random.Random(2026)
    member_ids = list(Member.objects.values_list("id", flat=True))
    Payment.objects.bulk_create(
        Payment(
            member_id=member_id,
            amount=rng.choice([45, 30, 38]) * rng.randint(PERIODS - 6, PERIODS),
            method="payroll_deduction",
            status="succeeded",
            received_date=datetime.date(2025, 6, 1),
            receipt_number=n + 1,
        )
        for n, member_id in enumerate(member_ids)
    )
    connection.cursor().execute("ANALYZE")

    as_of = datetime.date(2026, 1, 15)
    standings = timed(
        f"dues_standings over {MEMBERS} members x {PERIODS} periods",
        lambda: dues_standings(as_of=as_of),
    )
    rows = timed(
        "arrears report (arrears_list, 1+ months behind, with member rows)",
        lambda: arrears_list(min_months=1, as_of=as_of),
    )
    behind = sum(1 for s in standings.values() if s.months_in_arrears)
    print(f"members behind: {behind}; report rows: {len(rows)}")
    assert DuesPeriod.objects.count() == PERIODS


if __name__ == "__main__":
    main()
