"""How many audit events per second the trail takes, on a scratch PostgreSQL database.

    DATABASE_URL=postgres://postgres@127.0.0.1/unionhall_bench python bench/audit_throughput.py

The database named in DATABASE_URL is dropped and made again: its name must say it is scratch
(holding "bench", "scratch" or "smoke", or starting with "test_"), unless --drop-database is
given (bench/scratch.py). Measures:
- single changes: one member update per transaction (as a request makes it): the
  UPDATE, its history row, the previous-row lookup and the audit event;
- bulk changes: bulk_update_with_history of many members in one transaction;
- plain events: audit_event_record() (a login, an export), one transaction each;
- verifying: `chain_verify()` recomputing the hash chain over every event written.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionhall.settings")
os.environ["DEBUG"] = "0"  # DEBUG would record every query in memory
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")

SINGLE = int(os.environ.get("BENCH_SINGLE", "2000"))
BULK = int(os.environ.get("BENCH_BULK", "20000"))


def main() -> None:
    from bench.scratch import drop_database_given, scratch_database_remake

    told = drop_database_given(__doc__)
    scratch_database_remake(os.environ.get("DATABASE_URL", ""), drop_database=told)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    from audit.context import acting_as
    from audit.models import AuditEvent
    from audit.services import audit_event_record
    from members.models import Classification, Member

    call_command("migrate", verbosity=0)
    classification = Classification.objects.create(code="JW", name="Journeyman Wireman")
    members = [
        Member(
            member_number=str(100000 + i),
            first_name="Bench",
            last_name=f"Member{i}",
            classification=classification,
            join_date="2020-01-01",
        )
        for i in range(BULK)
    ]
    with acting_as("bench"):
        bulk_create_with_history(members, Member, batch_size=2000)
        members = list(Member.objects.order_by("id"))

        before = AuditEvent.objects.count()
        started = time.perf_counter()
        for i, member in enumerate(members[:SINGLE]):
            with transaction.atomic():
                member.phone = f"(312) 555-{i % 10000:04d}"
                member.save()
        single = time.perf_counter() - started
        assert AuditEvent.objects.count() - before == SINGLE

        for member in members:
            member.status = "suspended"
        before = AuditEvent.objects.count()
        started = time.perf_counter()
        with transaction.atomic():
            bulk_update_with_history(members, Member, ["status"], batch_size=2000)
        bulk = time.perf_counter() - started
        assert AuditEvent.objects.count() - before == BULK

        started = time.perf_counter()
        for _ in range(SINGLE):
            with transaction.atomic():
                audit_event_record(action="login", actor_label="bench")
        plain = time.perf_counter() - started

    from audit.chain import chain_verify

    started = time.perf_counter()
    report = chain_verify()
    verify = time.perf_counter() - started
    assert report.ok

    print(f"single changes: {SINGLE} in {single:.2f} s = {SINGLE / single:,.0f} events/s")
    print(f"bulk changes:   {BULK} in {bulk:.2f} s = {BULK / bulk:,.0f} events/s")
    print(f"plain events:   {SINGLE} in {plain:.2f} s = {SINGLE / plain:,.0f} events/s")
    print(
        f"chain verify:   {report.checked} in {verify:.2f} s = "
        f"{report.checked / verify:,.0f} events/s"
    )


if __name__ == "__main__":
    main()
