"""The vendor's registration list and employer-contract list imported (referral/importing/):
all rows or none, each problem by row and column; after the import each book's list is the
file's rows for it, row for row, duplicate APNs in the file's order (docs/design.md §11)."""

from __future__ import annotations

import datetime
import json
import random
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.chain import chain_verify
from audit.models import AuditEvent
from checkoff.models import Employer
from checkoff.tests.factories import EmployerFactory
from jobs.tests.helpers import job_of
from members.importing import members_import
from members.models import MemberStatus
from members.tests.factories import ClassificationFactory, MemberFactory
from referral.importing import employer_contracts_import, registrations_import
from referral.models import (
    EmployerContract,
    EventKind,
    Exemption,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
)
from referral.selectors import book_list, book_list_as_of
from referral.services import registration_register

from .factories import BookFactory, rules_in_force

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
HEADER = "book,member_number,name,tier,apn,registered_at,resign_due,status,check_marks\n"


@pytest.fixture
def now(clock):
    return clock.set(2026, 12, 8, 10, 0)


def _members(*numbers: str, classification=None) -> None:
    classification = classification or ClassificationFactory(code="JW")
    for number in numbers:
        MemberFactory(member_number=number, classification=classification)


def _listed(book) -> list[tuple[str, int, Decimal]]:
    return [(r.member.member_number, r.tier, r.apn) for r in book_list(book)]


# --- A whole local's list -----------------------------------------------------------------


def _members_imported(count: int) -> list[str]:
    numbers = [str(200000 + i) for i in range(count)]
    lines = [f"{n},First{n},Last{n},JW,2015-03-01" for n in numbers]
    result = members_import(
        csv_text="member_number,first_name,last_name,classification,join_date\n" + "\n".join(lines),
        actor="tests",
    )
    assert result.written, result.errors[:3]
    return numbers


def _book_rows(code: str, tiers: int, numbers: list[str], duplicates: int, rng) -> list[str]:
    """A book's rows in its order (tier, APN): APNs over some months, `duplicates` of them
    repeated (the vendor's exports repeat them), members given in their tier's order."""
    rows = []
    day, order = 46000, 0
    per_tier = len(numbers) // tiers
    # Never a tier's first row: an APN repeats the row before it in the same tier.
    repeat_at = set(rng.sample([i for i in range(1, len(numbers)) if i % per_tier], duplicates))
    for index, number in enumerate(numbers):
        tier = min(index // per_tier + 1, tiers)
        if index and index % per_tier == 0:
            day, order = 46000, 0  # each tier starts over in time
        if index not in repeat_at:
            order += 1
            if order > 99 or rng.random() < 0.1:
                day, order = day + 1, 1
        rows.append(
            f"{code},{number},Name {number},{tier},{day}.{order:02d},"
            f"{(datetime.date(1899, 12, 30) + datetime.timedelta(days=day)).isoformat()} 08:00,"
            ",,0"
        )
    return rows


def test_a_locals_4000_registrations_import_at_once_in_the_files_order(now, rules, wireman):
    """4,000 rows over four books, interleaved, with 50 repeated APNs: every book's list is
    the file's rows for it, row for row; each has its event, with the rules and the actor;
    the list as of an earlier instant is rebuilt from them."""
    rng = random.Random(27)
    numbers = _members_imported(1600)
    books = {
        "WIRE-N": BookFactory(code="WIRE-N", classification=wireman, tiers=2),
        "WIRE-S": BookFactory(code="WIRE-S", classification=wireman, tiers=2),
        "TECH": BookFactory(code="TECH", classification=wireman, tiers=4),
        "RES": BookFactory(code="RES", classification=wireman, tiers=1),
    }
    by_book = {
        code: _book_rows(
            code, book.tiers, rng.sample(numbers, 1000), 50 // 4 + (code == "RES") * 2, rng
        )
        for code, book in books.items()
    }
    interleaved = [row for rows in zip(*by_book.values(), strict=True) for row in rows]
    csv_text = HEADER + "\n".join(interleaved) + "\n"
    duplicates = sum(
        len(rows) - len({(r.split(",")[3], r.split(",")[4]) for r in rows})
        for rows in by_book.values()
    )
    assert duplicates == 50

    started = time.monotonic()
    result = registrations_import(csv_text=csv_text, actor="tests")
    took = time.monotonic() - started

    assert result.written, result.errors[:5]
    assert result.count == 4000
    assert took < 30, took
    for code, book in books.items():
        expected = [
            (row.split(",")[1], int(row.split(",")[3]), Decimal(row.split(",")[4]))
            for row in by_book[code]
        ]
        assert _listed(book) == expected, code
        sequences = list(book_list(book).values_list("sequence", flat=True))
        assert sequences == sorted(sequences) and len(set(sequences)) == 1000
        as_of = book_list_as_of(book, now)
        assert [(row.tier, row.apn, row.sequence) for row in as_of] == list(
            book_list(book).values_list("tier", "apn", "sequence")
        )
    events = RegistrationEvent.objects.filter(kind=EventKind.REGISTERED)
    assert events.count() == 4000
    assert set(events.values_list("recorded_by_name", "rule_set")) == {("tests", rules.pk)}
    # The trail has every row: a history row and an event for each registration and event.
    assert Registration.history.filter(history_type="+").count() == 4000
    assert AuditEvent.objects.filter(model_label="referral.registrationevent").count() == 4000
    assert chain_verify().ok


def test_the_list_as_of_an_instant_holds_those_registered_by_then(now, book):
    _members("1001", "1002", "1003")
    csv_text = HEADER + (
        "WIRE-N,1001,,1,46300.01,2026-10-05 07:42,,,\n"
        "WIRE-N,1002,,1,46300.01,2026-10-05 07:42,,,\n"
        "WIRE-N,1003,,1,46330.01,2026-11-04 09:30,2026-12-04,,\n"
    )
    result = registrations_import(csv_text=csv_text, actor="tests")
    assert result.written
    assert result.notes == [
        "Re-sign dates in the file already passed: 1 (the next drop of missed re-signs takes "
        "those registrants off their books)."
    ]
    between = datetime.datetime(2026, 10, 20, tzinfo=timezone.get_current_timezone())
    assert [row.member_id for row in book_list_as_of(book, between)] == list(
        book_list(book).values_list("member_id", flat=True)[:2]
    )
    assert len(book_list_as_of(book, now)) == 3
    first = Registration.objects.order_by("sequence").first()
    assert timezone.localtime(first.registered_at).strftime("%Y-%m-%d %H:%M") == (
        "2026-10-05 07:42"
    )
    # No re-sign date in the file: the rules' 30 days from the import's day (Jan 7, 2027).
    assert first.resign_due == datetime.date(2027, 1, 7)


def test_imported_registrations_go_after_the_books_own(now, book):
    """The book's registrations keep their place; the file's come after them in sequence,
    so an equal APN goes after the one already on the book."""
    _members("1001", "1002", "1003")
    registered = registration_register(
        member=MemberFactory(member_number="0999"), book=book, actor="tests"
    )
    apn = registered.apn
    csv_text = HEADER + (
        f"WIRE-N,1001,,1,{apn},2026-12-08 09:00,,,\nWIRE-N,1002,,1,46000.01,2025-12-08 09:00,,,\n"
    )
    result = registrations_import(csv_text=csv_text, actor="tests")
    assert not result.ok
    assert [str(e) for e in result.errors] == [
        f"Row 3, apn: Tier 1, APN 46000.01 comes after tier 1, APN {apn} (row 2) for book "
        "WIRE-N: list each book in its order, tier then APN (the order of the rows breaks "
        "ties)."
    ]
    csv_text = HEADER + (
        f"WIRE-N,1002,,1,46000.01,2025-12-08 09:00,,,\nWIRE-N,1001,,1,{apn},2026-12-08 09:00,,,\n"
    )
    assert registrations_import(csv_text=csv_text, actor="tests").written
    assert _listed(book) == [("1002", 1, Decimal("46000.01")), ("0999", 1, apn), ("1001", 1, apn)]
    assert list(book_list(book).values_list("sequence", flat=True)) == [2, 1, 3]


# --- Every wrong row named, nothing written -----------------------------------------------


def test_every_wrong_row_is_named_by_row_and_nothing_is_written(now, book):
    _members("1001", "1002", "1003", "1004", "1005")
    MemberFactory(
        member_number="1006", first_name="Ada", last_name="Byrne", status=MemberStatus.DECEASED
    )
    registration_register(member=MemberFactory(member_number="1007"), book=book, actor="tests")
    before = (Registration.objects.count(), RegistrationEvent.objects.count())
    csv_text = HEADER + (
        "WIRE-N,1001,,1,46300.01,2026-10-05 08:00,,,\n"  # 2: good
        "WIRE-N,1002,,1,46363.5x,2026-10-05 08:00,,,\n"  # 3
        "ABC,1003,,1,46300.02,2026-10-05 08:00,,,\n"  # 4
        "WIRE-N,9999,,1,46300.03,2026-10-05 08:00,,,\n"  # 5
        "WIRE-N,1004,,3,46300.04,2026-10-05 08:00,,,\n"  # 6
        "WIRE-N,1001,,1,46300.05,2026-10-05 08:00,,,\n"  # 7
        "WIRE-N,1007,,1,46300.06,2026-10-05 08:00,,,\n"  # 8
        "WIRE-N,1005,,1,46300.07,next week,,,\n"  # 9
        "WIRE-N,1005,,1,46300.08,2026-10-05 08:00,12/40/2026,dispatched,x\n"  # 10
        "WIRE-N,1006,,1,46300.09,2026-10-05 08:00,,exempt,\n"  # 11
        "WIRE-N,1005,,2,46300.10,2027-01-05 08:00,,,\n"  # 12
        "\n"
        "WIRE-N,1005,,1,46200.01,2026-10-05 08:00,,,\n"  # 14
        "WIRE-N,1006,,1,46300.12,2026-10-05 08:00,,,\n"  # 15
    )
    result = registrations_import(csv_text=csv_text, actor="tests")
    assert not result.written
    assert [str(e) for e in result.errors] == [
        "Row 3, apn: APN in the wrong format: 46363.5x (the day number and two digits for the "
        "order within the day, like 46363.02).",
        "Row 4, book: No book ABC.",
        "Row 5, member_number: No member has the number '9999'.",
        "Row 6, tier: Book WIRE-N has tiers 1 to 2.",
        "Row 7, member_number: Member 1001 is also on row 2 for book WIRE-N.",
        "Row 8, member_number: Member 1007 is already registered on book WIRE-N.",
        'Row 9, registered_at: "next week" is not a date and time: write 2026-12-08 09:15 '
        "(or 12/08/2026 9:15 AM).",
        'Row 10, resign_due: "12/40/2026" is not a date: write 2026-12-08 (or 12/08/2026).',
        'Row 10, status: "dispatched" is not a status of an out-of-work list: write '
        "registered, or exempt and its kind (military, union_business, salting, medical, "
        "jury_duty, traveling, under_scale).",
        'Row 10, check_marks: "x" is not a whole number.',
        'Row 11, status: Say which exemption "exempt" is: exempt and one of military, '
        "union_business, salting, medical, jury_duty, traveling, under_scale.",
        "Row 12, registered_at: Registered 2027-01-05 08:00 is in the future.",
        "Row 14, apn: Tier 1, APN 46200.01 comes after tier 1, APN 46300.06 (row 8) for book "
        "WIRE-N: list each book in its order, tier then APN (the order of the rows breaks "
        "ties).",
        "Row 15, member_number: Ada Byrne (1006) is deceased.",
    ]
    assert (Registration.objects.count(), RegistrationEvent.objects.count()) == before
    assert result.error_count == len(result.errors)


@pytest.mark.parametrize("status", [MemberStatus.SUSPENDED, MemberStatus.DROPPED])
def test_a_member_out_of_standing_is_refused_by_row_unless_the_rules_in_force_allow(
    now, book, status
):
    _members("1001")
    MemberFactory(member_number="1002", first_name="Ada", last_name="Byrne", status=status)
    csv_text = HEADER + (
        "WIRE-N,1001,,1,46300.01,2026-10-05 08:00,,,\nWIRE-N,1002,,1,46300.02,2026-10-05 08:00,,,\n"
    )

    result = registrations_import(csv_text=csv_text, actor="tests")

    assert not result.written
    assert [str(e) for e in result.errors] == [
        f"Row 3, member_number: Ada Byrne (1002) is {status}: the referral rules (v1) register "
        "only members in good standing."
    ]
    assert not Registration.objects.exists()  # row 2 neither: all or nothing
    rules_in_force(datetime.date(2021, 1, 1), version=2, register_out_of_standing=True)
    assert registrations_import(csv_text=csv_text, actor="tests").written
    assert _listed(book) == [("1001", 1, Decimal("46300.01")), ("1002", 1, Decimal("46300.02"))]


@pytest.mark.parametrize("written", ["2026-03-08 02:30", "03/08/2026 2:30 AM"])
def test_a_registered_time_the_clock_skipped_is_a_row_error(now, book, written):
    _members("1001")
    csv_text = HEADER + f"WIRE-N,1001,,1,46089.01,{written},,,\n"

    result = registrations_import(csv_text=csv_text, actor="tests")

    assert [str(e) for e in result.errors] == [
        f'Row 2, registered_at: "{written}" is not a time the local\'s clock showed: it went '
        "forward an hour that night (America/Los_Angeles daylight-saving time). Check the time "
        "in the vendor's system."
    ]
    assert not Registration.objects.exists()


@pytest.mark.parametrize("written", ["2026-11-01 01:30", "11/01/2026 1:30 AM"])
def test_a_registered_time_the_clock_showed_twice_is_its_first_pass(now, book, written):
    _members("1001")
    csv_text = HEADER + f"WIRE-N,1001,,1,46327.01,{written},,,\n"

    assert registrations_import(csv_text=csv_text, actor="tests").written

    registered = Registration.objects.get().registered_at
    # 01:30 daylight time (UTC-7), an hour before the 01:30 of standard time (UTC-8).
    assert registered == datetime.datetime(2026, 11, 1, 8, 30, tzinfo=datetime.UTC)
    assert registered.astimezone(timezone.get_current_timezone()).fold == 0


def test_a_header_without_our_columns_or_a_wrong_layout_is_refused(now, book):
    result = registrations_import(csv_text="Book,Card,APN\nWIRE-N,1,46300.01\n", actor="tests")
    assert [str(e) for e in result.errors] == [
        'Row 1, header: No "member_number" column (for member_number). The header has: Book, '
        "Card, APN.",
        'Row 1, header: No "tier" column (for tier). The header has: Book, Card, APN.',
        'Row 1, header: No "registered_at" column (for registered_at). The header has: Book, '
        "Card, APN.",
    ]
    result = registrations_import(
        csv_text=HEADER, actor="tests", layout={"card": "Card", "tier": "book"}
    )
    assert [str(e) for e in result.errors] == [
        'Row 1, layout: "card" is not one of ours: book, member_number, name, tier, apn, '
        "registered_at, resign_due, status, check_marks.",
        'Row 1, layout: The column "book" would be read as book and tier: each of our columns '
        "needs a column of its own.",
    ]
    assert [str(e) for e in registrations_import(csv_text=HEADER, actor="tests").errors] == [
        "Row 1, file: The file has a header but no registrations."
    ]


def test_a_role_that_may_not_import_is_refused(now, book, user_with_role):
    with pytest.raises(PermissionDenied):
        registrations_import(csv_text=HEADER, actor=user_with_role(roles.STAFF))
    with pytest.raises(PermissionDenied):
        employer_contracts_import(csv_text="", actor=user_with_role(roles.STAFF))


# --- The command --------------------------------------------------------------------------


def _sample_books(wireman) -> None:
    BookFactory(code="WIRE-N", classification=wireman, tiers=2)
    BookFactory(code="WIRE-S", classification=wireman, tiers=2)
    _members(*(str(n) for n in range(100101, 100108)), classification=wireman)


def test_the_command_imports_the_vendors_own_layout(now, rules, wireman, capsys):
    _sample_books(wireman)
    sample = str(SAMPLES / "vendor-registrations.csv")
    layout = str(SAMPLES / "vendor-layout.json")

    call_command("referral_import", "registrations", sample, "--layout", layout, "--dry-run")
    assert capsys.readouterr().out == "Dry run: 8 registrations would be imported.\n"
    assert not Registration.objects.exists()

    call_command("referral_import", "registrations", sample, "--layout", layout)
    assert "Imported 8 registrations" in capsys.readouterr().out
    north = list(book_list(BookFactory(code="WIRE-N")))
    assert [(r.member.member_number, r.apn, r.check_marks) for r in north] == [
        ("100101", Decimal("46300.01"), 0),
        ("100102", Decimal("46300.02"), 1),
        ("100103", Decimal("46300.02"), 0),
        ("100104", Decimal("46330.01"), 0),
        ("100105", Decimal("46310.01"), 2),
    ]
    exempt = north[3]
    assert exempt.status == RegistrationStatus.EXEMPT
    assert Exemption.objects.get(registration=exempt).kind == "military"
    assert list(exempt.events.values_list("kind", "status")) == [
        (EventKind.REGISTERED, RegistrationStatus.REGISTERED),
        (EventKind.EXEMPTION_STARTED, RegistrationStatus.EXEMPT),
    ]
    assert north[0].resign_due == datetime.date(2027, 1, 4)
    assert set(RegistrationEvent.objects.values_list("recorded_by_name", flat=True)) == {
        "referral_import"
    }

    # Imported again: every row is a member already on that book; nothing more is written.
    with pytest.raises(CommandError, match="8 problem"):
        call_command("referral_import", "registrations", sample, "--layout", layout)
    assert "Row 2, member_number: Member 100101 is already registered on book WIRE-N." in (
        capsys.readouterr().err
    )
    assert Registration.objects.count() == 8


def test_the_command_is_held_to_the_uploads_limit_and_reads_columns(
    now, rules, wireman, tmp_path, settings, capsys
):
    _sample_books(wireman)
    sample = SAMPLES / "vendor-registrations.csv"
    settings.MEMBER_IMPORT_MAX_BYTES = 100
    with pytest.raises(CommandError, match="MEMBER_IMPORT_MAX_BYTES"):
        call_command("referral_import", "registrations", str(sample))
    settings.MEMBER_IMPORT_MAX_BYTES = 50_000
    with pytest.raises(CommandError, match="ours=theirs"):
        call_command("referral_import", "registrations", str(sample), "--column", "tier")
    with pytest.raises(CommandError, match="problem"):
        call_command("referral_import", "registrations", str(sample))  # their headers
    assert 'No "member_number" column' in capsys.readouterr().err
    columns = json.loads((SAMPLES / "vendor-layout.json").read_text())
    given = [arg for ours, theirs in columns.items() for arg in ("--column", f"{ours}={theirs}")]
    call_command("referral_import", "registrations", str(sample), *given)
    assert Registration.objects.count() == 8


# --- Employers' contracts -----------------------------------------------------------------

CONTRACTS = "employer_code,employer_name,contract_code,agreement_type\n"


def test_employer_contracts_link_known_employers_and_make_new_ones(now, user_with_role):
    acme = EmployerFactory(code="ACME", name="Acme Electric")
    sample = (SAMPLES / "vendor-employer-contracts.csv").read_text()
    layout = {
        "employer_code": "Employer Code",
        "employer_name": "Employer Name",
        "contract_code": "Contract",
        "agreement_type": "Agreement",
    }
    checked = employer_contracts_import(csv_text=sample, actor="tests", layout=layout, dry_run=True)
    assert checked.ok and checked.count == 5 and not EmployerContract.objects.exists()
    assert [row[1:] for row in checked.preview] == [
        ["ACME", "Acme Electric", "IW-INSIDE", "standard", "known"],
        ["ACME", "Acme Electric", "IW-RES", "standard", "known"],
        ["BOLT", "Bolt Wiring", "IW-INSIDE", "standard", "new"],
        ["NWSOLAR", "Northwest Solar Builders", "IW-INSIDE", "pla", "new"],
        ["NWSOLAR", "Northwest Solar Builders", "IW-LV", "standard", "new"],
    ]
    assert checked.notes == ["New employers, to be made: 2."]

    # A dispatcher may link known employers, not make new ones.
    refused = employer_contracts_import(
        csv_text=sample, actor=user_with_role(roles.DISPATCHER), layout=layout
    )
    assert [str(e) for e in refused.errors][:1] == [
        "Row 4, employer_code: Employer BOLT is new, and your role may not add employers: add "
        "it first, or ask an officer to import this file."
    ]
    assert not Employer.objects.filter(code="BOLT").exists()

    officer = user_with_role(roles.OFFICER)
    assert employer_contracts_import(csv_text=sample, actor=officer, layout=layout).written
    assert sorted(acme.contracts.values_list("contract_code", flat=True)) == ["IW-INSIDE", "IW-RES"]
    solar = Employer.objects.get(code="NWSOLAR")
    assert solar.name == "Northwest Solar Builders"
    assert dict(solar.contracts.values_list("contract_code", "agreement_type")) == {
        "IW-INSIDE": "pla",
        "IW-LV": "standard",
    }
    assert EmployerContract.history.filter(history_user=officer).count() == 5
    assert Employer.history.filter(history_user=officer).count() == 2

    # The same export again, with one more link: only that one is added.
    again = employer_contracts_import(
        csv_text=sample + "BOLT,Bolt Wiring,IW-RES,Standard\n", actor="tests", layout=layout
    )
    assert again.written and again.count == 1
    assert again.notes == ["Links kept already, left as they are: 5."]
    assert EmployerContract.objects.count() == 6


def test_wrong_contract_rows_are_named_and_nothing_is_written(now):
    EmployerFactory(code="ACME")
    employer_contracts_import(csv_text=CONTRACTS + "ACME,,IW-1,pla\n", actor="tests")
    result = employer_contracts_import(
        csv_text=CONTRACTS
        + "ACME,,IW-1,standard\n"  # 2: kept as PLA
        + "NEW,,IW-1,\n"  # 3: a new employer needs its name
        + ",Nobody,IW-1,\n"  # 4
        + "ACME,,,\n"  # 5
        + "ACME,,IW-2,union shop\n"  # 6
        + "ACME,,IW-3,PLA\n"  # 7: good
        + "acme,,IW-3,standard\n",  # 8: the same link, another type
        actor="tests",
    )
    assert [str(e) for e in result.errors] == [
        "Row 2, agreement_type: ACME on IW-1 is kept as pla: change it in the admin, not by an "
        "import.",
        "Row 3, employer_name: Employer NEW is new: the file must give its name.",
        "Row 4, employer_code: The employer code is blank.",
        "Row 5, contract_code: The contract code is blank.",
        'Row 6, agreement_type: "union shop" is not an agreement type: standard, pla, cwa, tero.',
        "Row 8, agreement_type: ACME on IW-3 is pla on row 7.",
    ]
    assert EmployerContract.objects.count() == 1
    assert not Employer.objects.filter(code="NEW").exists()
    # Nothing under the header is refused, as a registration list's is; links all kept are not.
    assert [
        str(e) for e in employer_contracts_import(csv_text=CONTRACTS, actor="tests").errors
    ] == ["Row 1, file: The file has a header but no contracts."]
    kept = employer_contracts_import(csv_text=CONTRACTS + "ACME,,IW-1,pla\n", actor="tests")
    assert kept.written and kept.notes == ["Links kept already, left as they are: 1."]


# --- The admin: upload, check, preview, confirm --------------------------------------------


def test_the_admin_imports_a_registration_list_checked_previewed_and_confirmed(
    now, book, client, user_with_role
):
    _members("1001", "1002")
    client.force_login(user_with_role(roles.DISPATCHER))
    url = reverse("admin:referral_registration_import")
    page = client.get(url).content.decode()
    assert "Their column for member_number" in page
    theirs = "Book,Card No,Name,Tier,APN,Registered\n"
    rows = "WIRE-N,1001,A,1,46300.01,2026-10-05 08:00\nWIRE-N,1002,B,1,46300.01,10/05/2026 8:00\n"
    upload = SimpleUploadedFile("list.csv", (theirs + rows).encode())
    given = {"map_member_number": "Card No", "map_registered_at": "Registered"}
    checked = job_of(client.post(url, {"file": upload, **given}))
    assert checked.outcome["count"] == 2 and not Registration.objects.exists()  # nothing yet
    assert client.get(reverse("admin:jobs_job_change", args=[checked.pk])).status_code == 200
    preview = client.get(checked.outcome["next_url"]).content.decode()
    assert "2 registrations ready to import" in preview
    assert "46300.01" in preview and "1002" in preview
    assert 'value="Import 2 registrations"' in preview
    written = job_of(client.post(checked.outcome["next_url"]))
    assert written.outcome["message"] == "Imported 2 registrations."
    assert _listed(book) == [("1001", 1, Decimal("46300.01")), ("1002", 1, Decimal("46300.01"))]
    assert set(RegistrationEvent.objects.values_list("recorded_by_name", flat=True)) == {
        written.started_by.username
    }

    # A file with a wrong row has no preview to confirm.
    bad = SimpleUploadedFile("bad.csv", (HEADER + "ABC,1001,,1,46300.01,2026-10-05,,,\n").encode())
    refused = job_of(client.post(url, {"file": bad}))
    assert refused.outcome["errors"] == ["Row 2, book: No book ABC."]
    preview_url = reverse("admin:referral_registration_import_preview", args=[refused.pk])
    assert client.get(preview_url).status_code == 404
    assert client.post(preview_url).status_code == 404

    # Staff register members, but do not import the vendor's list.
    client.force_login(user_with_role(roles.STAFF))
    assert client.get(url).status_code == 403
    confirm = reverse("admin:referral_registration_import_preview", args=[checked.pk])
    assert client.post(confirm).status_code == 403
    assert Registration.objects.count() == 2


def test_the_admin_imports_employer_contracts(now, client, user_with_role):
    EmployerFactory(code="ACME")
    client.force_login(user_with_role(roles.OFFICER))
    changelist = client.get(reverse("admin:referral_employercontract_changelist"))
    url = reverse("admin:referral_employercontract_import")
    assert url in changelist.content.decode()
    upload = SimpleUploadedFile("c.csv", (CONTRACTS + "ACME,,IW-1,\nBOLT,Bolt,IW-1,PLA\n").encode())
    checked = job_of(client.post(url, {"file": upload}))
    assert checked.outcome["message"] == (
        "2 employer contracts are ready to import. Nothing is written yet. New employers, "
        "to be made: 1."
    )
    preview = client.get(checked.outcome["next_url"]).content.decode()
    assert "Bolt" in preview and 'value="Import 2 employer contracts"' in preview
    # The registrations' page does not preview a contracts' check.
    other = reverse("admin:referral_registration_import_preview", args=[checked.pk])
    assert client.get(other).status_code == 404
    job_of(client.post(checked.outcome["next_url"]))
    assert EmployerContract.objects.count() == 2
    listed = client.get(reverse("admin:referral_employercontract_changelist")).content.decode()
    assert "BOLT" in listed and "IW-1" in listed

    client.force_login(user_with_role(roles.STAFF))
    assert client.get(url).status_code == 403
    staff_list = client.get(reverse("admin:referral_employercontract_changelist"))
    assert staff_list.status_code == 200 and url not in staff_list.content.decode()
