"""The text of an uploaded CSV (`decode_upload`, shared by the member, employer,
authorization and remittance imports): UTF-8, Excel's Windows encoding, or Excel's "Unicode
text" (UTF-16 with its byte-order mark, tab-separated); a NUL byte is refused, naming its
row and column; no message it gives holds anything a database refuses."""

from __future__ import annotations

import codecs

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts import roles
from appkit.files import UndecodableFile, decode_upload
from jobs.tests.helpers import job_of
from members.models import Member
from members.tests.factories import ClassificationFactory

HEADER = "member_number\tfirst_name\tlast_name\tclassification\tjoin_date"
ROWS = ["2001\tLucy\tNúñez, Jr.\tJW\t2001-05-01", '2002\tEugene\t"Debs ""Gene"""\tJW\t2019-06-15']
UNICODE_TEXT = "\r\n".join([HEADER, *ROWS]) + "\r\n"


def excel_unicode_text(text: str = UNICODE_TEXT, *, big_endian: bool = False) -> bytes:
    if big_endian:
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


@pytest.mark.parametrize("big_endian", [False, True], ids=["le", "be"])
def test_excels_unicode_text_comes_back_as_the_same_rows_in_csv(big_endian):
    assert decode_upload(excel_unicode_text(big_endian=big_endian)).splitlines() == [
        "member_number,first_name,last_name,classification,join_date",
        '2001,Lucy,"Núñez, Jr.",JW,2001-05-01',
        '2002,Eugene,"Debs ""Gene""",JW,2019-06-15',
    ]


def test_utf8_and_windows_text_read_as_before():
    assert decode_upload("\ufeffa,b\n1,Ñ\n".encode()) == "a,b\n1,Ñ\n"
    assert decode_upload("a,b\n1,Ñ\n".encode("cp1252")) == "a,b\n1,Ñ\n"


def test_utf16_without_its_byte_order_mark_is_refused_in_a_sentence():
    with pytest.raises(UndecodableFile) as refused:
        decode_upload(UNICODE_TEXT.encode("utf-16-le"))
    assert str(refused.value) == (
        "The file is full of NUL bytes: UTF-16 text without its byte-order mark, or not text "
        'at all. In the spreadsheet, use "Save as" → "CSV UTF-8" and upload that file.'
    )


@pytest.mark.parametrize(
    ("raw", "place"),
    [
        (b"a,b\n1,x\x00y\n", "Row 2, b"),
        (b"a\tb\n1\tx\n2\t\x00\n", "Row 3, b"),
        (b"a,b\x00\n1,2\n", "Row 1, column 2"),  # a header cell is not quoted back
    ],
)
def test_a_nul_byte_is_refused_naming_its_row_and_column(raw, place):
    with pytest.raises(UndecodableFile) as refused:
        decode_upload(raw)
    message = str(refused.value)
    assert message.startswith(f"{place}: This cell holds a NUL character (byte 0)")
    assert "\x00" not in message


@pytest.mark.django_db
def test_the_member_command_imports_excels_unicode_text(tmp_path):
    ClassificationFactory(code="JW")
    path = tmp_path / "members.txt"
    path.write_bytes(excel_unicode_text())
    call_command("import_members", str(path))
    assert dict(Member.objects.values_list("member_number", "last_name")) == {
        "2001": "Núñez, Jr.",
        "2002": 'Debs "Gene"',
    }


@pytest.mark.django_db
def test_the_member_command_names_a_nul_byte(tmp_path):
    path = tmp_path / "members.csv"
    path.write_bytes(b"member_number,first_name\n2001,Lu\x00cy\n")
    with pytest.raises(CommandError, match=r"Row 2, first_name: This cell holds a NUL"):
        call_command("import_members", str(path))


@pytest.mark.django_db
def test_the_admin_imports_excels_unicode_text_and_names_a_nul(client, user_with_role):
    ClassificationFactory(code="JW")
    client.force_login(user_with_role(roles.OFFICER))
    url = reverse("admin:members_member_import")
    checked = job_of(
        client.post(url, {"file": SimpleUploadedFile("members.txt", excel_unicode_text())})
    )
    assert checked.outcome["count"] == 2 and checked.outcome["error_count"] == 0
    refused = client.post(
        url, {"file": SimpleUploadedFile("m.csv", b"member_number,first_name\n2001,Lu\x00cy\n")}
    )
    assert refused.status_code == 200
    assert "Row 2, first_name: This cell holds a NUL character" in refused.content.decode()
