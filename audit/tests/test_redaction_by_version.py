"""Each version of a record is redacted by what it was: a note written staff_only and later
widened keeps its first, private text private in the audit API, the log, its CSV and the
history pages, while what it says now (and may be read now) shows."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from jobs.tests.helpers import job_download
from members.services import member_note_create, member_note_update
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

PRIVATE = "Filed a harassment grievance against foreman Kowalski"
PUBLIC = "Asked the office to call back about dues"


@pytest.fixture
def widened_note(user_with_role):
    author = user_with_role(roles.ADMIN, username="b.steward")
    note = member_note_create(
        member=MemberFactory(), actor=author, text=PRIVATE, visibility="staff_only"
    )
    return member_note_update(note=note, actor=author, text=PUBLIC, visibility="all_authorized")


@pytest.fixture
def officer(user_with_role):
    return user_with_role(roles.OFFICER, username="o.reader")


def test_the_audit_api_hides_the_private_version_and_shows_the_public_one(widened_note, officer):
    client = APIClient()
    client.force_authenticate(officer)
    events = client.get(reverse("api:audit-events"), {"model": "members.membernote"}).data[
        "results"
    ]
    by_action = {event["action"]: event["changes"] for event in events}
    assert by_action["create"]["text"] == [None, "[redacted]"]
    assert by_action["update"]["text"] == ["[redacted]", PUBLIC]
    assert by_action["update"]["visibility"] == ["staff_only", "all_authorized"]
    assert PRIVATE not in str(events)


def test_the_log_its_detail_and_its_csv_hide_the_private_version(client, widened_note, officer):
    client.force_login(officer)
    changelist = reverse("admin:audit_auditevent_changelist")
    for page in (
        client.get(changelist).content.decode(),
        *(
            client.get(reverse("admin:audit_auditevent_change", args=[pk])).content.decode()
            for pk in _note_event_ids(widened_note)
        ),
    ):
        assert PRIVATE not in page
    export = job_download(client, client.get(reverse("admin:audit_auditevent_export")))
    rows = list(csv.DictReader(io.StringIO(export)))
    note_rows = [row for row in rows if row["model"] == "members.membernote"]
    assert len(note_rows) == 2
    assert PRIVATE not in str(rows)
    assert any(PUBLIC in row["changes"] for row in note_rows)


def test_the_history_pages_hide_the_private_version(client, widened_note, officer):
    client.force_login(officer)
    listing = client.get(reverse("admin:members_membernote_history", args=[widened_note.pk]))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert PRIVATE not in html and PUBLIC in html

    first = widened_note.history.earliest()
    past = client.get(
        reverse("admin:members_membernote_simple_history", args=[widened_note.pk, first.history_id])
    )
    assert past.status_code == 200
    assert PRIVATE not in past.content.decode()
    assert 'name="text"' not in past.content.decode()  # shown, never editable


def test_the_author_still_reads_every_version(client, widened_note):
    client.force_login(widened_note.author)
    html = client.get(
        reverse("admin:members_membernote_history", args=[widened_note.pk])
    ).content.decode()
    assert PRIVATE in html


def _note_event_ids(note) -> list[int]:
    from audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(
            model_label="members.membernote", object_id=str(note.pk)
        ).values_list("pk", flat=True)
    )
