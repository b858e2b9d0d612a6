"""A remittance file is read cell by cell under its header, CSV or XLSX, by every path (the
service, the command, the admin's and the API's jobs): blank or repeated header cells,
rows longer or shorter than the header, Excel's Unicode text, a NUL byte or a broken
spreadsheet never move money to the wrong column, nor reach anyone as a raw error."""

from __future__ import annotations

import codecs
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook
from rest_framework.test import APIClient

from accounts import roles
from checkoff.models import RemittanceBatch
from checkoff.services import remittance_check
from dues.models import Payment
from members.tests.factories import MemberFactory, UserFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, EmployerFactory

pytestmark = pytest.mark.django_db

# The money is in "amount" (48.00); "ref" holds another number.
BLANK_HEADER_CELLS = (
    "member_number,,period,,amount,ref\n100038,x,2026-12,y,48.00,96.00\n100039,,2026-12,,45.00,\n"
)


@pytest.fixture
def worker(acme, journeyman):
    member = MemberFactory(member_number="100038", last_name="Nunez", classification=journeyman)
    AuthorizationFactory(member=member, employer=acme, employee_id="A-1")
    return member


def check(employer, content, **kwargs):
    kwargs.setdefault("file_name", "acme.csv")
    kwargs.setdefault("received_on", RECEIVED)
    kwargs.setdefault("actor", "tests")
    return remittance_check(employer=employer, content=content, **kwargs)


def errors(result) -> list[str]:
    return [str(error) for error in result.read.errors]


def xlsx(text: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in text.splitlines():
        sheet.append([cell or None for cell in row.split(",")])
    content = io.BytesIO()
    workbook.save(content)
    return content.getvalue()


@pytest.mark.parametrize("as_xlsx", [False, True], ids=["csv", "xlsx"])
def test_blank_header_cells_never_move_the_money_to_another_column(acme, worker, as_xlsx):
    content = xlsx(BLANK_HEADER_CELLS) if as_xlsx else BLANK_HEADER_CELLS.encode()
    result = check(acme, content)
    assert result.ok, errors(result)
    line, other = [line for line in result.lines if line.row_number]
    assert (line.member_id, line.year, line.month, line.amount) == (
        worker.pk,
        2026,
        12,
        Decimal("48.00"),
    )
    assert other.amount == Decimal("45.00")
    # The row, kept whole: a blank header cell gets a name of its own (and a blank cell
    # under it is nothing to keep).
    assert line.raw == {
        "member_number": "100038",
        "column 2": "x",
        "period": "2026-12",
        "column 4": "y",
        "amount": "48.00",
        "ref": "96.00",
    }
    assert other.raw == {
        "member_number": "100039",
        "period": "2026-12",
        "amount": "45.00",
        "ref": "",
    }


def test_the_command_posts_the_amount_column_not_another(tmp_path, acme, worker, capsys):
    path = tmp_path / "acme.csv"
    path.write_text(BLANK_HEADER_CELLS)
    call_command("import_remittance", "ACME", str(path), "--control-total", "93.00")
    assert [payment.amount for payment in Payment.objects.filter(member=worker)] == [
        Decimal("48.00")
    ]


def test_a_header_naming_a_column_twice_is_refused_and_named(acme, worker):
    result = check(
        acme, b"member_number,Amount,period, amount ,ref\n100038,48.00,2026-12,4800.00,x\n"
    )
    assert errors(result) == [
        'Row 1, header: "Amount" names column 2 and column 4: each column needs a name of '
        "its own. Rename or remove one and upload the file again."
    ]
    assert result.batch is None and not RemittanceBatch.objects.exists()


def test_an_employer_layout_reading_two_of_our_columns_from_one_is_refused(journeyman, worker):
    bolt = EmployerFactory(code="BOLT", name="Bolt", column_mapping={"gross_wages": "amount"})
    result = check(bolt, b"member_number,period,amount\n100038,2026-12,4800.00\n")
    assert errors(result) == [
        'Row 1, header: "amount" (column 3) is the employer\'s column for gross_wages and '
        "amount at once: correct BOLT's file layout so each of our columns has a column of "
        "its own."
    ]


def test_a_short_row_reads_as_blanks_never_a_crash(acme, worker):
    result = check(acme, b"member_number,,period,,amount\n100038,,2026-12\n")
    assert errors(result) == ["Row 2, amount: The amount is required."]


def test_a_value_beyond_the_header_refuses_the_row(acme, worker):
    result = check(
        acme,
        b"member_number,last_name,period,amount\n"
        b"100038,Nunez,2026-12,48.00,\n"  # a trailing blank cell is nothing
        b"100038,Nunez, Jr.,2026-12,48.00\n",
    )
    assert errors(result) == [
        'Row 3, column 5: "48.00" is beyond the header\'s 4 columns: every value needs a '
        "column in the header (a comma inside a value without quotes around it splits it in "
        "two)."
    ]


def test_excels_unicode_text_is_read_as_its_csv(acme, worker):
    """Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated."""
    text = "member_number\tlast_name\tperiod\tamount\r\n100038\tNúñez\t2026-12\t48.00\r\n"
    result = check(acme, codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert result.ok, errors(result)
    [line] = [line for line in result.lines if line.row_number]
    assert (line.member_id, line.last_name, line.amount) == (worker.pk, "Núñez", Decimal("48"))


def test_a_nul_byte_in_a_row_is_refused_naming_the_row_and_column(acme, worker):
    result = check(
        acme,
        b"member_number,last_name,period,amount\n"
        b"100038,Nunez,2026-12,48.00\n"
        b"100039,Br\x00own,2026-12,48.00\n",
    )
    assert errors(result) == [
        "Row 3, last_name: This cell holds a NUL character (byte 0), which no text may hold "
        "(a damaged export often leaves one). Remove it, or save the file again from the "
        "spreadsheet."
    ]


def broken_xlsx(replace: bytes) -> bytes:
    """A spreadsheet whose first sheet holds `replace` where a cell's text was."""
    source = zipfile.ZipFile(io.BytesIO(xlsx("member_number,period,amount\nHERE,2026-12,48")))
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as broken:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"HERE", replace)
            broken.writestr(name, data)
    return content.getvalue()


@pytest.mark.parametrize("cell", [b"A&#0;B", b"A\x00B", b"A</t>"], ids=["nul", "raw-nul", "tag"])
def test_a_broken_spreadsheet_is_refused_with_a_sentence(acme, worker, cell):
    result = check(acme, broken_xlsx(cell), file_name="acme.xlsx")
    [error] = errors(result)
    assert error.startswith("Row 2, file: The file cannot be read as CSV or XLSX (")
    assert error.endswith("). Upload the employer's file as is.")
    assert "\x00" not in error


def test_the_lines_of_a_file_must_fit_in_a_remittance(acme, worker):
    rows = "".join(f"100038,2026-{month:02d},999999999.99\n" for month in range(1, 12))
    result = check(acme, ("member_number,period,amount\n" + rows).encode())
    assert errors(result) == [
        "Row 1, amount: The lines add up to 10,999,999,999.89, more than one remittance can be."
    ]


def test_hours_past_what_is_kept_are_refused(acme, worker):
    result = check(acme, b"member_number,period,hours,amount\n100038,2026-12,123456789,48\n")
    assert errors(result) == ["Row 2, hours: Not a number of hours: at most 9,999,999."]


def test_no_message_holds_what_a_database_refuses(acme, worker):
    """Header names and cells are quoted in messages: never a NUL, nor a whole huge cell."""
    result = check(acme, b"member\x00number,period\n100038,2026-12\n")
    assert result.read.errors and not any("\x00" in str(e) for e in result.read.errors)
    huge = "9" * 10_000
    result = check(acme, f"member_number,period,amount\n100038,{huge},48\n".encode())
    [error] = errors(result)
    assert error.startswith('Row 2, period: "9999') and len(error) < 120


@pytest.fixture
def officer_client(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    return client


def admin_upload(client, acme, content, name="acme.csv"):
    from jobs.tests.helpers import job_of

    return job_of(
        client.post(
            reverse("admin:checkoff_remittancebatch_add"),
            {
                "employer": acme.pk,
                "file": SimpleUploadedFile(name, content),
                "received_on": "2026-10-10",
                "control_total": "48.00",
            },
        )
    )


def test_the_admins_job_reads_the_amount_column(officer_client, acme, worker):
    job = admin_upload(officer_client, acme, BLANK_HEADER_CELLS.encode())
    assert "2 lines read, $93.00 in all" in job.outcome["message"]


def test_one_line_and_one_problem_are_said_in_the_singular(officer_client, acme, worker):
    one = admin_upload(
        officer_client, acme, b"member_number,last_name,period,amount\n9,A,2026-09,48\n"
    )
    assert one.outcome["message"] == "1 line read, $48.00 in all. Nothing is posted yet."
    bad = admin_upload(
        officer_client, acme, b"member_number,last_name,period,amount\n9,A,2026-09,x\n"
    )
    assert bad.outcome["message"] == "Nothing was kept: 1 problem in the file."


def test_the_admins_job_names_a_nul_and_a_broken_spreadsheet(officer_client, acme, worker):
    job = admin_upload(
        officer_client, acme, b"member_number,last_name,period,amount\n1,A\x00,2026-12,48\n"
    )
    assert job.outcome["errors"][0].startswith("Row 2, last_name: This cell holds a NUL")
    job = admin_upload(officer_client, acme, broken_xlsx(b"A&#0;B"), name="acme.xlsx")
    assert job.outcome["errors"][0].startswith("Row 2, file: The file cannot be read")


def test_the_apis_job_reads_the_amount_column_and_names_a_repeated_header(acme, worker):
    api = APIClient()
    api.force_authenticate(UserFactory(username="api-officer", role=roles.OFFICER))

    def upload(content):
        return api.post(
            reverse("api:remittances"),
            {
                "employer": "ACME",
                "file": SimpleUploadedFile("acme.csv", content),
                "received_on": "2026-10-10",
                "control_total": "48.00",
            },
            format="multipart",
        ).data["outcome"]

    assert upload(BLANK_HEADER_CELLS.encode())["count"] == 2
    refused = upload(b"member_number,amount,period,AMOUNT\n100038,48,2026-12,4800\n")
    assert refused["errors"][0].startswith('Row 1, header: "amount" names column 2 and column 4')


def test_the_command_says_what_is_wrong_with_a_file(tmp_path, acme, worker):
    path = tmp_path / "acme.csv"
    path.write_bytes(b"member_number,amount,period,amount\n100038,48,2026-12,4800\n")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_remittance", "ACME", str(path))
    assert not Payment.objects.exists()


def test_the_admins_job_refuses_utf16_without_its_mark_in_a_sentence(officer_client, acme):
    text = "member_number,period,amount\r\n100038,2026-12,48.00\r\n"
    job = admin_upload(officer_client, acme, text.encode("utf-16-le"))
    assert job.outcome["errors"] == [
        "Row 1, file: The file is full of NUL bytes: UTF-16 text without its byte-order "
        'mark, or not text at all. In the spreadsheet, use "Save as" → "CSV UTF-8" and '
        "upload that file."
    ]


CLASH = (
    'Their column "amount" would be read as gross_wages and amount: each of our columns '
    "needs a column of its own."
)


def test_a_layout_reading_two_of_our_columns_from_one_is_refused_when_saved(officer_client, acme):
    api = APIClient()
    api.force_authenticate(UserFactory(username="api-officer", role=roles.OFFICER))
    answer = api.post(
        reverse("api:employers"),
        {"code": "BOLT", "name": "Bolt", "column_mapping": {"gross_wages": "Amount "}},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.data["column_mapping"] == [CLASH.replace('"amount"', '"Amount"')]
    page = officer_client.post(
        reverse("admin:checkoff_employer_change", args=[acme.pk]),
        {"code": "ACME", "name": "Acme", "due_day": "15", "map_gross_wages": "amount"},
    )
    assert page.status_code == 200 and escape(CLASH) in page.content.decode()
    acme.refresh_from_db()
    assert acme.column_mapping == {}
