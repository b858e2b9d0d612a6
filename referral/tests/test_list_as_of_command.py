"""`referral_list_as_of BOOK "YYYY-MM-DD HH:MM"` prints the list as it stood at that time of
the local's clock, as CSV on stdout; a book or a time it cannot read is a clear error."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from members.tests.factories import MemberFactory
from referral.models import RollOffReason
from referral.services import registration_register, registration_roll_off

pytestmark = pytest.mark.django_db


def test_the_command_prints_the_list_as_it_stood(book, clock):
    clock.set(2026, 12, 7, 8, 0)
    ana = MemberFactory(first_name="Ana", last_name="Nunez", classification=book.classification)
    ana_on = registration_register(member=ana, book=book, actor="tests")
    clock.set(2026, 12, 7, 10, 0)
    registration_roll_off(registration=ana_on, reason=RollOffReason.QUIT, actor="tests")
    ben = MemberFactory(first_name="Ben", last_name="Brown", classification=book.classification)
    registration_register(member=ben, book=book, actor="tests")
    out, err = io.StringIO(), io.StringIO()

    call_command("referral_list_as_of", "WIRE-N", "2026-12-07 09:00", stdout=out, stderr=err)

    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0][:3] == ["position", "member_number", "name"]
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [("1", ana.member_number, "Ana Nunez")]
    assert "WIRE-N as it stood at 2026-12-07 09:00 PST (America/Los_Angeles): 1 on the list." in (
        err.getvalue()
    )
    assert AuditEvent.objects.filter(action="export", actor_label="referral_list_as_of").exists()

    later = io.StringIO()
    call_command("referral_list_as_of", "WIRE-N", "2026-12-07 10:30", stdout=later, stderr=err)
    assert [r[2] for r in csv.reader(io.StringIO(later.getvalue()))][1:] == ["Ben Brown"]


@pytest.mark.parametrize(
    ("book_code", "at", "said"),
    [
        ("NOPE", "2026-12-07 09:00", "No book 'NOPE' (books: WIRE-N)."),
        ("WIRE-N", "tomorrow", "Write the date and time like 2026-12-07 09:00"),
        ("WIRE-N", "2026-02-30 09:00", "Write the date and time like 2026-12-07 09:00"),
    ],
)
def test_the_command_says_what_it_cannot_read(book, book_code, at, said):
    with pytest.raises(CommandError, match=said.replace("(", r"\(").replace(")", r"\)")):
        call_command("referral_list_as_of", book_code, at, stdout=io.StringIO())
