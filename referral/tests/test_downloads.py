"""Each hall report downloads as CSV (cells safe to open in a spreadsheet) and as PDF, with
the rows the page shows; every download is an audit event."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from accounts import roles
from appkit.tests.helpers import pdf_text
from audit.models import AuditEvent
from members.tests.factories import MemberFactory
from referral.models import RollOffReason
from referral.services import registration_register, registration_roll_off

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def _pdf(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('.pdf"')
    assert response.content.startswith(b"%PDF-")
    return pdf_text(response.content)


@pytest.fixture
def hall(book, clock):
    """Ana and a member whose name reads as a formula on WIRE-N; Ben dropped (quit)."""
    clock.set(2026, 12, 7, 8, 0)
    ana = MemberFactory(first_name="Ana", last_name="Nunez", classification=book.classification)
    sly = MemberFactory(
        first_name="Sly", last_name="=HYPERLINK(1)", classification=book.classification
    )
    ben = MemberFactory(first_name="Ben", last_name="Brown", classification=book.classification)
    registration_register(member=ana, book=book, actor="tests")
    registration_register(member=sly, book=book, actor="tests")
    bens = registration_register(member=ben, book=book, actor="tests")
    clock.set(2026, 12, 7, 10, 0)
    registration_roll_off(
        registration=bens, reason=RollOffReason.QUIT, note="Took a job in Reno", actor="tests"
    )
    return {"ana": ana, "sly": sly, "ben": ben}


@pytest.fixture
def dispatcher(client, user_with_role):
    client.user = user_with_role(roles.DISPATCHER)
    client.force_login(client.user)
    return client


def test_the_list_downloads_as_csv_and_pdf(dispatcher, book, hall):
    url = reverse("referral:book_list", args=[book.pk])

    rows = _csv(dispatcher.get(url, {"format": "csv"}))

    assert rows[0] == [
        "position",
        "member_number",
        "name",
        "apn",
        "tier",
        "status",
        "registered",
        "resign_due",
        "check_marks",
        "exemption",
    ]
    assert [(r[0], r[2]) for r in rows[1:]] == [("1", "Ana Nunez"), ("2", "Sly =HYPERLINK(1)")]
    assert rows[1][1] == hall["ana"].member_number and rows[1][6] == "2026-12-07 08:00 PST"
    text = _pdf(dispatcher.get(url, {"format": "pdf"}))
    assert "WIRE-N" in text and "Ana Nunez" in text and "Ben Brown" not in text
    assert (
        AuditEvent.objects.filter(action="export", model_label="referral.registration").count() == 2
    )


def test_a_cell_that_reads_as_a_formula_is_kept_as_text(dispatcher, book, hall):
    hall["sly"].last_name = "Kay"
    hall["sly"].first_name = "=1+2"
    hall["sly"].save()
    rows = _csv(dispatcher.get(reverse("referral:book_list", args=[book.pk]), {"format": "csv"}))
    assert rows[2][2] == "'=1+2 Kay"


def test_the_list_as_it_stood_downloads_with_the_past_rows(dispatcher, book, hall):
    url = reverse("referral:book_as_of", args=[book.pk])
    query = {"at": "2026-12-07T09:00"}

    rows = _csv(dispatcher.get(url, query | {"format": "csv"}))

    assert [r[2] for r in rows[1:]] == ["Ana Nunez", "Sly =HYPERLINK(1)", "Ben Brown"]
    assert rows[3][7] == "Registered"
    text = _pdf(dispatcher.get(url, query | {"format": "pdf"}))
    assert "As it stood at 2026-12-07 09:00 PST (America/Los_Angeles)." in text
    assert "Ben Brown" in text
    page = dispatcher.get(url, query).content.decode()
    assert "format=csv" in page and "at=2026-12-07T09%3A00" in page


def test_re_signs_due_download(dispatcher, book, hall, clock):
    clock.set(2027, 1, 2, 9, 0)
    dispatcher.force_login(dispatcher.user)  # a session from weeks ago has expired
    url = reverse("referral:resign_due")
    rows = _csv(dispatcher.get(url, {"days": 7, "format": "csv"}))
    assert rows[0][:3] == ["resign_due", "book", "member_number"]
    assert [r[3] for r in rows[1:]] == ["Ana Nunez", "Sly =HYPERLINK(1)"]
    assert rows[1][0] == "2027-01-06"
    assert "Ana Nunez" in _pdf(dispatcher.get(url, {"days": 7, "format": "pdf"}))
    assert _csv(dispatcher.get(url, {"days": 1, "format": "csv"}))[1:] == []
    assert dispatcher.get(url, {"days": "-3"}).status_code == 400


def test_dropped_registrations_download_by_reason_and_dates(dispatcher, book, hall):
    url = reverse("referral:dropped")
    query = {"start": "2026-12-07", "end": "2026-12-07", "reason": "quit"}

    rows = _csv(dispatcher.get(url, query | {"format": "csv"}))

    assert rows[0] == [
        "dropped",
        "book",
        "member_number",
        "name",
        "apn",
        "tier",
        "reason",
        "recorded_by",
        "note",
    ]
    assert [(r[3], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("Ben Brown", "Quit", "tests", "Took a job in Reno")
    ]
    assert "Took a job in Reno" in _pdf(dispatcher.get(url, query | {"format": "pdf"}))
    other = _csv(dispatcher.get(url, query | {"reason": "discharged", "format": "csv"}))
    assert other[1:] == []
    earlier = _csv(
        dispatcher.get(url, query | {"end": "2026-12-06", "start": "2026-12-01", "format": "csv"})
    )
    assert earlier[1:] == []
    assert dispatcher.get(url, query | {"end": "2026-11-01"}).status_code == 400
    assert dispatcher.get(url, query | {"reason": "nonsense"}).status_code == 400


def test_a_members_history_downloads_every_event(dispatcher, book, hall, clock):
    clock.set(2026, 12, 8, 9, 0)
    registration_register(member=hall["ben"], book=book, actor="tests")
    url = reverse("referral:member_history", args=[hall["ben"].pk])

    rows = _csv(dispatcher.get(url, {"format": "csv"}))

    assert [(r[3], r[5], r[8]) for r in rows[1:]] == [
        ("Registered", "Registered", "Registered"),
        ("Rolled off", "Registered", "Registered"),
        ("Rolled off", "Rolled off", "Rolled off"),
    ]
    text = _pdf(dispatcher.get(url, {"format": "pdf"}))
    assert "Ben Brown" in text and "Rolled off" in text
    page = dispatcher.get(url).content.decode()
    assert "WIRE-N: Registered, position 3" in page and "WIRE-N: Rolled off" in page
