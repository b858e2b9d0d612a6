"""Remittance files in: read (CSV and XLSX, our layout or the employer's), matched in the
order of docs/design.md §9, each line with one exception or none, posted once."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from audit.models import AuditEvent
from checkoff.models import BatchStatus, LineException, RemittanceBatch, SuspenseStatus
from checkoff.services import authorization_save, remittance_check, remittance_post
from dues.models import Payment, PaymentMethod
from dues.selectors import member_dues_summary
from dues.services import dues_rate_create
from members.models import MemberStatus
from members.tests.factories import ClassificationFactory, MemberFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, EmployerFactory, remittance_csv

pytestmark = pytest.mark.django_db


def check(employer, content, **kwargs):
    kwargs.setdefault("file_name", "acme-2026-09.csv")
    kwargs.setdefault("received_on", RECEIVED)
    kwargs.setdefault("actor", "tests")
    return remittance_check(employer=employer, content=content, **kwargs)


def codes(result) -> dict[str, str]:
    return {line.member_number or line.last_name: line.exception for line in result.lines}


@pytest.fixture
def crew(acme, journeyman):
    """Three authorized workers at Acme: one found by number, one by employee id, one by
    SSN last four and last name."""
    ana = MemberFactory(member_number="1001", last_name="Núñez", classification=journeyman)
    ben = MemberFactory(member_number="1002", last_name="Brown", classification=journeyman)
    cy = MemberFactory(member_number="1003", last_name="O'Hara", classification=journeyman)
    AuthorizationFactory(member=ana, employer=acme, employee_id="A-1")
    AuthorizationFactory(member=ben, employer=acme, employee_id="A-2")
    AuthorizationFactory(member=cy, employer=acme, employee_id="A-3", ssn_last4="0042")
    return ana, ben, cy


FILE = remittance_csv(
    "1001,Nunez,Ana,,,2026-09,160,5200.00,45.00",
    ",Brown,Ben,A-2,,2026-09,150,4800.00,45.00",
    ",OHARA,Cy,,42,2026-09,,,45.00",
)


def test_lines_are_matched_by_number_then_employee_id_then_ssn_and_name(acme, crew):
    result = check(acme, FILE)
    assert result.ok, result.read.errors
    ana, ben, cy = crew
    assert [(line.member_id, line.matched_by, line.exception) for line in result.lines] == [
        (ana.pk, "member_number", ""),
        (ben.pk, "employee_id", ""),
        (cy.pk, "ssn_last4", ""),
    ]
    assert result.batch.status == BatchStatus.CHECKED
    assert (result.batch.year, result.batch.month) == (2026, 9)
    assert result.lines[0].raw["gross_wages"] == "5200.00"  # the row, verbatim
    assert not Payment.objects.exists()  # checking records nothing


def test_a_name_alone_never_matches(acme, crew):
    result = check(acme, remittance_csv(",Brown,Ben,,,2026-09,,,45.00"))
    assert codes(result)["Brown"] == LineException.UNMATCHED
    assert result.lines[0].member_id is None


def test_an_xlsx_file_reads_as_its_csv_would(acme, crew):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(FILE.decode().splitlines()[0].split(","))
    sheet.append(["1001", "Nunez", "Ana", None, None, "2026-09", 160, 5200, 45])
    sheet.append(
        [None, "Brown", "Ben", "A-2", None, datetime.datetime(2026, 9, 1), 150, 4800.0, 45.0]
    )
    sheet.append([None, "OHARA", "Cy", None, 42, "2026-09", None, None, 45])
    content = io.BytesIO()
    workbook.save(content)
    result = check(acme, content.getvalue(), file_name="acme.xlsx")
    assert result.ok, result.read.errors
    assert [line.matched_by for line in result.lines] == [
        "member_number",
        "employee_id",
        "ssn_last4",
    ]
    assert [line.amount for line in result.lines] == [Decimal("45.00")] * 3
    assert result.lines[1].gross_wages == Decimal("4800.00")


def test_an_employers_own_layout_is_read_by_its_saved_mapping(journeyman, crew):
    other = EmployerFactory(
        code="BOLT",
        name="Bolt Wiring",
        column_mapping={"employee_id": "Emp #", "period": "Pay month", "amount": "Union dues"},
    )
    AuthorizationFactory(member=crew[1], employer=other, employee_id="B-77")
    content = remittance_csv("B-77,2026-09,45.00", header="Emp #,Pay month,Union dues")
    result = check(other, content)
    assert result.ok, result.read.errors
    assert result.lines[0].member_id == crew[1].pk


def test_a_bad_row_refuses_the_file_and_names_the_row_and_column(acme, crew):
    result = check(
        acme,
        remittance_csv(
            "1001,Nunez,Ana,,,2026-09,160,5200.00,45.00",
            "1002,Brown,Ben,,,Sept,150,4800.00,forty-five",
        ),
    )
    assert not result.ok
    assert [str(e) for e in result.read.errors] == [
        'Row 3, period: "Sept" is not a month: write 2026-03.',
        'Row 3, amount: "forty-five" is not a number.',
    ]
    assert not RemittanceBatch.objects.exists()


def test_money_back_is_not_a_line(acme, crew):
    result = check(acme, remittance_csv("1001,Nunez,Ana,,,2026-09,,,-45.00"))
    assert [str(e) for e in result.read.errors] == ["Row 2, amount: Cannot be negative."]


def test_a_file_without_the_required_columns_says_which(acme):
    result = check(acme, remittance_csv("Ana,45", header="name,dues"))
    assert [e.column for e in result.read.errors] == ["header", "header"]
    assert 'No "period" column' in str(result.read.errors[0])


def test_posting_records_each_matched_line_as_a_payroll_deduction_payment(
    acme, crew, charged_2026, officer
):
    charged_2026()
    batch = check(acme, FILE, control_total=Decimal("135.00"), actor=officer).batch
    posting = remittance_post(batch=batch, actor=officer)
    assert (posting.posted, posting.posted_total, posting.suspense) == (3, Decimal("135.00"), 0)
    payments = Payment.objects.filter(method=PaymentMethod.PAYROLL_DEDUCTION).order_by("member_id")
    assert [(p.member.member_number, p.amount, p.received_date) for p in payments] == [
        ("1001", Decimal("45.00"), RECEIVED),
        ("1002", Decimal("45.00"), RECEIVED),
        ("1003", Decimal("45.00"), RECEIVED),
    ]
    assert all(p.receipt_number for p in payments)
    # A payment names its remittance and its work month wherever it is shown.
    assert {p.reference for p in payments} == {
        f"Check-off ACME remittance #{batch.pk}, work month {batch.work_month}"
    }
    assert AuditEvent.objects.filter(model_label="dues.payment", action="create").count() == 3
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED and batch.posted_by == officer
    assert member_dues_summary(crew[0]).balance == Decimal("405.00")  # 10 x 45 - 45


def test_the_same_file_is_never_posted_twice(acme, crew, charged_2026):
    charged_2026()
    remittance_post(batch=check(acme, FILE, actor="tests").batch, actor="tests")
    again = check(acme, FILE)
    assert again.already_posted is not None
    with pytest.raises(ValidationError, match="already been posted"):
        remittance_post(batch=again.batch, actor="tests")
    assert Payment.objects.count() == 3


def test_a_batch_that_does_not_balance_to_its_control_total_is_not_posted(acme, crew):
    batch = check(acme, FILE, control_total=Decimal("130.00")).batch
    with pytest.raises(
        ValidationError, match=r"add up to \$135\.00, not the control total \$130\.00"
    ):
        remittance_post(batch=batch, actor="tests")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED
    assert not Payment.objects.exists()


def test_unmatched_money_waits_in_suspense_and_never_reaches_a_ledger(acme, crew, charged_2026):
    charged_2026()
    result = check(acme, remittance_csv("9999,Stranger,Sam,,,2026-09,,,45.00"))
    posting = remittance_post(batch=result.batch, actor="tests")
    assert (posting.posted, posting.suspense, posting.suspense_total) == (0, 1, Decimal("45.00"))
    line = result.batch.lines.get(exception=LineException.UNMATCHED)
    assert line.suspense == SuspenseStatus.OPEN and line.payment is None
    assert not Payment.objects.exists()


def test_a_revoked_authorization_gives_no_authorization(acme, crew, charged_2026):
    charged_2026()
    authorization = crew[0].checkoff_authorizations.get()
    authorization.revoked_on = datetime.date(2026, 9, 1)  # covers no day of September
    authorization_save(authorization=authorization, actor="tests")
    result = check(acme, FILE)
    assert codes(result)["1001"] == LineException.NO_AUTHORIZATION
    remittance_post(batch=result.batch, actor="tests")
    assert not crew[0].payments.exists()  # held in suspense


def test_an_inactive_member_is_flagged(acme, crew):
    crew[0].status = MemberStatus.SUSPENDED
    crew[0].save()
    assert codes(check(acme, FILE))["1001"] == LineException.INACTIVE_MEMBER


def test_short_over_and_a_member_listed_twice(acme, crew, charged_2026):
    charged_2026()
    result = check(
        acme,
        remittance_csv(
            "1001,Nunez,Ana,,,2026-09,,,40.00",
            "1002,Brown,Ben,,,2026-09,,,50.00",
            "1002,Brown,Ben,,,2026-09,,,45.00",
        ),
    )
    assert [line.exception for line in result.lines] == [
        LineException.SHORT,
        LineException.OVER,
        LineException.DUPLICATE,
        LineException.MISSING,  # O'Hara is authorized but not in the file
    ]
    assert [line.variance for line in result.lines[:2]] == [Decimal("-5.00"), Decimal("5.00")]
    posting = remittance_post(batch=result.batch, actor="tests")
    assert posting.posted == 2 and posting.suspense == 1
    assert crew[1].payments.get().amount == Decimal("50.00")


def test_a_month_already_remitted_by_an_earlier_batch_is_a_duplicate(acme, crew, charged_2026):
    charged_2026()
    remittance_post(batch=check(acme, FILE, actor="tests").batch, actor="tests")
    late = check(acme, remittance_csv("1001,Nunez,Ana,,,2026-09,,,45.00"), file_name="again.csv")
    assert late.lines[0].exception == LineException.DUPLICATE


def test_a_duplicate_posted_between_check_and_post_goes_to_suspense(acme, crew, charged_2026):
    charged_2026()
    first = check(acme, FILE)
    second = check(acme, remittance_csv("1001,Nunez,Ana,,,2026-09,,,45.00"), file_name="b.csv")
    remittance_post(batch=first.batch, actor="tests")
    posting = remittance_post(batch=second.batch, actor="tests")
    assert posting.posted == 0 and posting.suspense == 1
    assert crew[0].payments.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_officers_posting_at_once_record_the_money_once(acme, crew, charged_2026, race):
    """Two posts of the same file (two checks of it, two officers, one moment): the
    employer's row lock makes them take turns, and the second finds the file posted."""
    charged_2026()
    first, second = check(acme, FILE).batch, check(acme, FILE).batch
    batches = iter([first, second])
    results, errors = race(lambda: remittance_post(batch=next(batches), actor="tests").posted)
    assert results == [3]
    assert [" ".join(e.messages) for e in errors] == [
        "This file has already been posted; nothing was posted again."
    ]
    assert Payment.objects.count() == 3


@pytest.mark.postgres
def test_a_large_remittance_links_every_line_to_what_it_made(acme, journeyman, monkeypatch):
    """Past a few hundred lines (here, past a dozen) the payments and working dues go in
    by COPY and the lines are linked in one statement: each line still names its own
    member's payment of its own amount, and its own working dues."""
    monkeypatch.setattr("appkit.sql.COPY_FROM", 12)
    inside = ClassificationFactory(code="IW", name="Inside Wireman")
    dues_rate_create(
        classification=inside,
        monthly_amount="24.00",
        working_rate="1.50",
        working_basis="gross_wages",
        effective_date=datetime.date(2026, 1, 1),
        actor="tests",
    )
    flat = MemberFactory.create_batch(15, classification=journeyman)
    working = MemberFactory.create_batch(15, classification=inside)
    for member in [*flat, *working]:
        AuthorizationFactory(member=member, employer=acme, employee_id=f"E-{member.pk}")
    rows = [f"{m.member_number},,,,,2026-09,,,{40 + i % 7}.00" for i, m in enumerate(flat)]
    rows += [
        f"{m.member_number},,,,,2026-09,,{4000 + 100 * i}.00,0.01" for i, m in enumerate(working)
    ]
    posted = remittance_post(
        batch=check(acme, remittance_csv(*rows), actor="tests").batch, actor="tests"
    )
    assert posted.posted == 30
    lines = list(posted.batch.lines.select_related("payment", "working_dues"))
    mislinked = [
        ln.pk
        for ln in lines
        if (ln.member_id, ln.amount) != (ln.payment.member_id, ln.payment.amount)
    ]
    working_dues = {
        ln.member_id: (ln.working_dues.member_id, ln.working_dues.amount)
        for ln in lines
        if ln.working_dues
    }
    assert len(lines) == 30 and mislinked == []
    assert working_dues == {
        m.pk: (m.pk, Decimal("60.00") + Decimal("1.50") * i) for i, m in enumerate(working)
    }
