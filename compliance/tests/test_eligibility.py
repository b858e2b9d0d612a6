"""Eligibility lists (docs/design.md §10): every member with eligible or not and why, by the
ledger as it stood on the record date; frozen on publish (snapshot + SHA-256) so that a
later payment changes nothing; candidates' inspections logged, once in 30 days."""

from __future__ import annotations

import datetime
import hashlib
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from checkoff.tests.factories import AuthorizationFactory, EmployerFactory
from compliance.frozen import LIST_FROZEN
from compliance.models import EligibilityEntry, EligibilityList, Inspection
from compliance.services import (
    eligibility_csv_lines,
    eligibility_list_create,
    eligibility_list_publish,
    inspection_record,
)
from dues.models import PaymentMethod
from dues.services import payment_record
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
D = datetime.date
RECORD_DATE = D(2026, 4, 1)


@pytest.fixture
def local(policy, journeyman, in_advance_2026):
    """Four members on April 1st, 2026: paid up; three months behind; on check-off at an
    employer that has not remitted since January; joined after the record date."""
    paid = MemberFactory(member_number="1001", classification=journeyman, join_date=D(2010, 1, 1))
    behind = MemberFactory(member_number="1002", classification=journeyman, join_date=D(2010, 1, 1))
    checkoff = MemberFactory(
        member_number="1003", classification=journeyman, join_date=D(2010, 1, 1)
    )
    AuthorizationFactory(member=checkoff, employer=EmployerFactory(), signed_on=D(2025, 1, 1))
    MemberFactory(member_number="1004", classification=journeyman, join_date=D(2026, 5, 1))
    in_advance_2026()
    for member, amount in ((paid, "180.00"), (behind, "45.00"), (checkoff, "45.00")):
        payment_record(
            member=member,
            amount=Decimal(amount),
            method=PaymentMethod.CASH,
            received_date=D(2026, 1, 1),
            actor="tests",
        )
    return {"paid": paid, "behind": behind, "checkoff": checkoff}


def frozen_refusal():
    """The freeze's own refusal, by its message (not any database error: a typo in the
    test's query would be one too)."""
    return pytest.raises(DatabaseError, match=re.escape(LIST_FROZEN))


def entries(elist) -> dict[str, tuple[bool, str]]:
    return {e.member_number: (e.eligible, e.reason_code) for e in elist.entries.all()}


def test_each_member_is_listed_with_eligibility_and_the_reason(local, officer):
    elist = eligibility_list_create(title="Officers 2026", record_date=RECORD_DATE, actor=officer)
    assert entries(elist) == {
        "1001": (True, ""),
        "1002": (False, "months_owed"),
        "1003": (True, ""),
        "1004": (False, "not_yet_member"),
    }
    behind = elist.entries.get(member_number="1002")
    assert behind.months_owed == 3
    assert "Owed 3 month(s) of dues ($135.00) on 2026-04-01" in behind.reason
    assert elist.entries.get(member_number="1003").checkoff_protected
    assert elist.entries.get(member_number="1004").reason == "Not yet a member on 2026-04-01."
    assert (elist.eligible_count, elist.ineligible_count) == (2, 2)


def test_a_published_list_is_frozen_and_a_later_payment_changes_nothing(local, officer):
    elist = eligibility_list_create(title="Officers 2026", record_date=RECORD_DATE, actor=officer)
    elist = eligibility_list_publish(elist=elist, actor=officer)
    assert elist.sha256 == hashlib.sha256(elist.snapshot.encode()).hexdigest()
    assert elist.snapshot.splitlines()[0].startswith("member_number,name,")
    assert "1002," in elist.snapshot

    payment_record(
        member=local["behind"],
        amount=Decimal("135.00"),
        method=PaymentMethod.CASH,
        received_date=D(2026, 4, 2),
        actor="tests",
    )
    # Worked out again for the same record date, the paid-late member is still ineligible:
    again = eligibility_list_create(title="Check", record_date=RECORD_DATE, actor=officer)
    assert entries(again)["1002"] == (False, "months_owed")
    assert "".join(eligibility_csv_lines(again)) == elist.snapshot

    with pytest.raises(ValidationError, match="already published"):
        eligibility_list_publish(elist=elist, actor=officer)
    # The database itself refuses to change a published list or its entries.
    with frozen_refusal(), transaction.atomic():
        EligibilityEntry.objects.filter(eligibility_list=elist).update(eligible=True)
    with frozen_refusal(), transaction.atomic():
        EligibilityList.objects.filter(pk=elist.pk).update(sha256="0" * 64)
    with frozen_refusal(), transaction.atomic():
        EligibilityEntry.objects.filter(eligibility_list=elist).delete()


def test_a_candidate_inspects_once_within_30_days(local, officer):
    elist = eligibility_list_create(title="Officers 2026", record_date=RECORD_DATE, actor=officer)
    candidate = local["paid"]
    with pytest.raises(ValidationError, match="Publish the list"):
        inspection_record(elist=elist, candidate=candidate, actor=officer)
    eligibility_list_publish(elist=elist, actor=officer)

    first = inspection_record(elist=elist, candidate=candidate, actor=officer, note="With A. Ruiz")
    assert first.recorded_by == officer
    with pytest.raises(ValidationError, match="once within 30 days"):
        inspection_record(elist=elist, candidate=candidate, actor=officer)
    # Another candidate may; and this one again once 30 days have passed.
    inspection_record(elist=elist, candidate=local["checkoff"], actor=officer)
    Inspection.objects.filter(pk=first.pk).update(
        inspected_at=timezone.now() - datetime.timedelta(days=31)
    )
    inspection_record(elist=elist, candidate=candidate, actor=officer)
    assert Inspection.objects.filter(candidate=candidate).count() == 2


def test_the_command_works_out_publishes_and_writes_the_csv(local, tmp_path, capsys):
    out = tmp_path / "list.csv"
    call_command("eligibility_list", "--as-of", "2026-04-01", "--publish", "--csv", str(out))
    elist = EligibilityList.objects.get()
    printed = capsys.readouterr().out
    assert "2 eligible, 2 not" in printed
    assert elist.sha256 in printed
    assert hashlib.sha256(out.read_bytes()).hexdigest() == elist.sha256


def test_the_command_refuses_a_bad_date(local):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("eligibility_list", "--as-of", "April 1st")


def test_the_freeze_is_installed_again_after_a_sqlite_table_rebuild(local, officer):
    """SQLite drops a table's triggers when a migration rebuilds it; every `migrate` puts
    the freeze back (on PostgreSQL the triggers survive ALTER TABLE)."""
    from django.db import connection

    from compliance.frozen import SQLITE_REVERSE, ensure_sqlite_frozen

    elist = eligibility_list_publish(
        elist=eligibility_list_create(title="Vote", record_date=RECORD_DATE, actor=officer),
        actor=officer,
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for statement in SQLITE_REVERSE:
                cursor.execute(statement)
        ensure_sqlite_frozen(connection)
    with frozen_refusal(), transaction.atomic():
        EligibilityList.objects.filter(pk=elist.pk).update(title="Changed")


def test_out_of_the_box_the_ledgers_own_rule_decides(journeyman, tmp_path):
    """With no policy of the local's own, the first version (from the migrations) counts as
    the ledger does: a month is owed once its due date has passed."""
    from dues.services import dues_charges_generate
    from dues.tests.factories import periods

    direct = MemberFactory(member_number="2001", classification=journeyman, join_date=D(2010, 1, 1))
    deducted = MemberFactory(
        member_number="2002", classification=journeyman, join_date=D(2010, 1, 1)
    )
    AuthorizationFactory(member=deducted, employer=EmployerFactory(), signed_on=D(2025, 1, 1))
    for period in periods(2026, range(1, 7)):  # due at each month's end
        dues_charges_generate(period=period, actor="tests")
    for member in (direct, deducted):
        payment_record(
            member=member,
            amount=Decimal("135.00"),
            method=PaymentMethod.CASH,
            received_date=D(2026, 1, 5),
            actor="tests",
        )
    out = tmp_path / "list.csv"
    call_command("eligibility_list", "--as-of", "2026-06-30", "--csv", str(out))
    rows = {row.split(",")[0]: row for row in out.read_text().splitlines()[1:]}
    assert ",no,months_owed," in rows["2001"]  # April and May past due, unpaid
    assert "Owed 2 month(s)" in rows["2001"]
    assert ",yes,," in rows["2002"]  # the employer has not remitted April and May yet
    assert rows["2002"].endswith(",yes")  # check-off protected


def test_the_job_that_works_a_list_out_leads_back_to_that_list(client, local, officer):
    """Its page's way back is the list it made, where it is read and published, not the
    page of every list."""
    client.force_login(officer)
    started = client.post(
        reverse("compliance:eligibility"),
        {"title": "Officers 2026", "record_date": RECORD_DATE.isoformat()},
    )
    job_page = client.get(started["Location"]).content.decode()
    elist = EligibilityList.objects.get()
    detail = reverse("compliance:eligibility_detail", args=[elist.pk])
    assert f'<a href="{detail}">Back to the eligibility list</a>' in job_page
    assert f'href="{detail}">To the list</a>' in job_page
