"""What governance published or sent is frozen by the database itself (compliance/frozen.py):
a published eligibility list takes no new entry and no entry moved into it, and is never
inserted already published; a submitted per-capita report, its lines and its roll-forward
changes refuse every write but being marked paid. Each refusal is checked by its message,
on PostgreSQL and SQLite alike."""

from __future__ import annotations

import datetime
import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from compliance.frozen import (
    LIST_BORN_DRAFT,
    LIST_FROZEN,
    REPORT_BORN_DRAFT,
    REPORT_FROZEN,
    REPORT_KEPT_COLUMNS,
    REPORT_PAID_CHANGES,
)
from compliance.models import (
    ArrearsPolicy,
    EligibilityEntry,
    EligibilityList,
    PerCapitaChange,
    PerCapitaLine,
    PerCapitaReport,
    ReportStatus,
    RollChange,
)
from compliance.services import (
    eligibility_list_publish,
    per_capita_report_paid,
    per_capita_report_submit,
)
from compliance.services.eligibility import _entries_insert
from members.tests.factories import MemberFactory

from .factories import AffiliateFactory, ArrearsPolicyFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def refused(message: str):
    """The database's refusal, by its message: not just any database error."""
    return pytest.raises(DatabaseError, match=re.escape(message))


def _list(title: str = "Officers 2026") -> EligibilityList:
    policy = ArrearsPolicy.objects.first() or ArrearsPolicyFactory()
    return EligibilityList.objects.create(title=title, record_date=D(2026, 4, 1), policy=policy)


def _entry(elist: EligibilityList, member, **fields) -> EligibilityEntry:
    return EligibilityEntry(
        eligibility_list=elist,
        member=member,
        member_number=member.member_number,
        name=f"{member.first_name} {member.last_name}",
        classification="JW",
        status="active",
        eligible=True,
        **fields,
    )


@pytest.fixture
def published(officer):
    elist = _list()
    _entry(elist, MemberFactory()).save()
    return eligibility_list_publish(elist=elist, actor=officer)


# --- Eligibility lists ----------------------------------------------------------------------


def test_a_published_list_takes_no_new_entry(published):
    planted = MemberFactory()
    with refused(LIST_FROZEN), transaction.atomic():
        _entry(published, planted).save()
    with refused(LIST_FROZEN), transaction.atomic():
        EligibilityEntry.objects.bulk_create([_entry(published, planted)])
    assert published.entries.count() == 1


@pytest.mark.postgres
def test_a_published_list_takes_no_entry_by_copy(published):
    """Lists are written by COPY on PostgreSQL: the statement's check refuses it too."""
    planted = MemberFactory()
    row = (published.pk, planted.pk, planted.member_number, "Planted", "JW", "active", True)
    import psycopg

    # COPY goes to psycopg's cursor itself: its error is psycopg's, not wrapped by Django.
    with pytest.raises(psycopg.Error, match=re.escape(LIST_FROZEN)), transaction.atomic():
        _entries_insert([(*row, "", "", 0, False)])
    assert published.entries.count() == 1


def test_no_entry_is_moved_into_a_published_list(published):
    draft = _list("Draft")
    moved = _entry(draft, MemberFactory())
    moved.save()
    with refused(LIST_FROZEN), transaction.atomic():
        EligibilityEntry.objects.filter(pk=moved.pk).update(eligibility_list=published)
    # Nor out of it, nor changed or removed in it (as before).
    entry = published.entries.get()
    with refused(LIST_FROZEN), transaction.atomic():
        EligibilityEntry.objects.filter(pk=entry.pk).update(eligibility_list=draft)
    with refused(LIST_FROZEN), transaction.atomic():
        EligibilityEntry.objects.filter(pk=entry.pk).update(eligible=False)
    with refused(LIST_FROZEN), transaction.atomic():
        EligibilityEntry.objects.filter(pk=entry.pk).delete()
    with refused(LIST_FROZEN), transaction.atomic():
        EligibilityList.objects.filter(pk=published.pk).update(sha256="0" * 64)
    assert list(published.entries.all()) == [entry]


def test_a_list_is_never_inserted_already_published(officer):
    with refused(LIST_BORN_DRAFT), transaction.atomic():
        EligibilityList.objects.create(
            title="Forged",
            record_date=D(2026, 4, 1),
            policy=ArrearsPolicy.objects.first() or ArrearsPolicyFactory(),
            published_at=timezone.now(),
            sha256="0" * 64,
        )


def test_a_draft_list_is_free_to_change(officer):
    draft, other = _list("Draft"), _list("Other")
    entry = _entry(draft, MemberFactory())
    entry.save()
    _entry(draft, MemberFactory()).save()
    EligibilityEntry.objects.filter(pk=entry.pk).update(eligibility_list=other, eligible=False)
    EligibilityEntry.objects.filter(pk=entry.pk).delete()
    published = eligibility_list_publish(elist=draft, actor=officer)
    assert published.entries.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_entry_written_while_the_list_is_published_waits_and_is_refused(officer):
    """The publisher holds the list; an entry arriving meanwhile waits for it (the trigger
    locks the list FOR SHARE) and then finds it published. Without the lock it would commit
    beside a snapshot taken without it."""
    elist = _list()
    _entry(elist, MemberFactory()).save()
    planted = MemberFactory()
    publishing, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def publish() -> None:
        try:
            with transaction.atomic():
                eligibility_list_publish(elist=elist, actor=officer)
                publishing.set()
                release.wait(10)
        finally:
            connection.close()

    def plant() -> None:
        try:
            with transaction.atomic():
                _entry(elist, planted).save()
            outcome.append("written")
        except DatabaseError as error:
            outcome.append(str(error))
        finally:
            connection.close()

    publisher = threading.Thread(target=publish)
    publisher.start()
    assert publishing.wait(10)
    planter = threading.Thread(target=plant)
    planter.start()
    time.sleep(0.5)
    waited = planter.is_alive()
    release.set()
    publisher.join(10)
    planter.join(10)
    assert waited, outcome
    assert len(outcome) == 1 and LIST_FROZEN in outcome[0]
    elist.refresh_from_db()
    assert elist.entries.count() == 1 and str(planted.member_number) not in elist.snapshot


# --- Per-capita reports ---------------------------------------------------------------------


@pytest.fixture
def report(journeyman):
    affiliate = AffiliateFactory(code="IO")
    draft = PerCapitaReport.objects.create(
        affiliate=affiliate, year=2026, month=1, count=1, previous_count=1
    )
    PerCapitaLine.objects.create(
        report=draft, classification=journeyman, count=1, rate=Decimal("19.00"), amount=19
    )
    return draft


@pytest.fixture
def submitted(report, officer):
    return per_capita_report_submit(report=report, actor=officer)


def test_a_submitted_report_takes_no_new_line_or_change(submitted, journeyman):
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaLine.objects.create(
            report=submitted, classification=journeyman, count=9, rate=Decimal("19.00"), amount=171
        )
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaChange.objects.create(
            report=submitted, member=MemberFactory(), change=RollChange.ADDED, reason="Planted"
        )
    assert submitted.lines.count() == 1 and not submitted.changes.exists()


def test_a_submitted_reports_lines_neither_change_nor_move(submitted, journeyman, officer):
    line = submitted.lines.get()
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaLine.objects.filter(pk=line.pk).update(count=2)
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaLine.objects.filter(pk=line.pk).delete()
    draft = PerCapitaReport.objects.create(affiliate=submitted.affiliate, year=2026, month=2)
    moved = PerCapitaLine.objects.create(
        report=draft, classification=journeyman, count=5, rate=Decimal("19.00"), amount=95
    )
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaLine.objects.filter(pk=moved.pk).update(report=submitted)


def test_a_submitted_report_changes_only_to_be_marked_paid(submitted, officer):
    for change in ({"count": 7}, {"amount": Decimal("1.00")}, {"status": ReportStatus.DRAFT}):
        with refused(REPORT_FROZEN), transaction.atomic():
            PerCapitaReport.objects.filter(pk=submitted.pk).update(**change)
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaReport.objects.filter(pk=submitted.pk).update(
            status=ReportStatus.PAID, paid_on=D(2026, 2, 14), count=7
        )
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaReport.objects.filter(pk=submitted.pk).delete()

    paid = per_capita_report_paid(report=submitted, paid_on=D(2026, 2, 14), actor=officer)
    assert paid.status == ReportStatus.PAID
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaReport.objects.filter(pk=paid.pk).update(paid_on=D(2026, 2, 15))
    with refused(REPORT_FROZEN), transaction.atomic():
        PerCapitaLine.objects.filter(report=paid).update(count=2)


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.PAID])
def test_a_report_is_never_inserted_already_submitted(journeyman, status):
    with refused(REPORT_BORN_DRAFT), transaction.atomic():
        PerCapitaReport.objects.create(
            affiliate=AffiliateFactory(), year=2026, month=3, status=status, count=999
        )


def test_a_draft_report_is_free_to_change(report, journeyman):
    PerCapitaLine.objects.create(
        report=report, classification=journeyman, count=1, rate=Decimal("1.00"), amount=1
    )
    PerCapitaLine.objects.filter(report=report).delete()
    PerCapitaReport.objects.filter(pk=report.pk).update(count=0, previous_count=0)
    report.delete()


def test_the_step_to_paid_keeps_every_other_column():
    """SQLite's trigger names the columns the step to paid may not change: every one."""
    columns = {field.column for field in PerCapitaReport._meta.concrete_fields}
    assert set(REPORT_KEPT_COLUMNS) == columns - set(REPORT_PAID_CHANGES)
