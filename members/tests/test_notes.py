"""Member notes: who reads which, in the admin, the audit log and the history pages."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from audit.models import AuditEvent
from jobs.tests.helpers import job_download
from members.admin.note import NOTES_SHOWN
from members.models import MemberNote
from members.selectors import member_notes_visible_to
from members.services import member_note_create, member_note_delete, member_note_update
from members.tests.factories import MemberFactory, UserFactory, member_form_data

pytestmark = pytest.mark.django_db

SECRET = "grievance witness: Rosa M."


@pytest.fixture
def people():
    return {
        role: UserFactory(username=role.lower(), role=role)
        for role in (roles.ADMIN, roles.OFFICER, roles.ORGANIZER, roles.STAFF, roles.MEMBER)
    } | {"other_staff": UserFactory(username="other_staff", role=roles.STAFF)}


@pytest.fixture
def notes(people):
    """One note of each visibility, and a staff_only note by each of officer and staff."""
    member = MemberFactory()
    officer, staff = people[roles.OFFICER], people[roles.STAFF]
    return {
        "officers": member_note_create(
            member=member, actor=officer, text=f"officers: {SECRET}", visibility="officers"
        ),
        "all": member_note_create(
            member=member, actor=staff, text="all: called back", visibility="all_authorized"
        ),
        "officer_private": member_note_create(
            member=member,
            actor=officer,
            text=f"officer private: {SECRET}",
            visibility="staff_only",
        ),
        "staff_private": member_note_create(
            member=member, actor=staff, text=f"staff private: {SECRET}", visibility="staff_only"
        ),
    }


# Which notes each reader may read (docs/design.md §3).
READS = {
    roles.ADMIN: {"officers", "all", "officer_private", "staff_private"},
    roles.OFFICER: {"officers", "all", "officer_private"},
    roles.ORGANIZER: {"officers", "all"},
    roles.STAFF: {"all", "staff_private"},
    "other_staff": {"all"},
    roles.MEMBER: set(),
}


@pytest.mark.parametrize("reader", list(READS))
def test_one_selector_decides_who_reads_which_note(people, notes, reader):
    visible = set(member_notes_visible_to(people[reader]).values_list("pk", flat=True))
    assert visible == {notes[name].pk for name in READS[reader]}


@pytest.mark.parametrize("reader", [r for r in READS if r != roles.MEMBER])
def test_the_admin_shows_a_reader_only_their_notes(client, people, notes, reader):
    client.force_login(people[reader])
    member = notes["all"].member
    page = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    listing = client.get(reverse("admin:members_membernote_changelist")).content.decode()
    for name, note in notes.items():
        for html in (page, listing):
            assert (note.text[:20] in html) == (name in READS[reader]), (name, reader)
        detail = client.get(reverse("admin:members_membernote_change", args=[note.pk]))
        assert (detail.status_code == 200) == (name in READS[reader])


@pytest.mark.parametrize("reader", [roles.OFFICER, roles.ADMIN])
def test_the_audit_log_shows_note_text_only_to_readers_of_the_note(client, people, notes, reader):
    client.force_login(people[reader])
    for name, note in notes.items():
        event = AuditEvent.objects.get(model_label="members.membernote", object_id=str(note.pk))
        html = client.get(
            reverse("admin:audit_auditevent_change", args=[event.pk])
        ).content.decode()
        assert (note.text in html) == (name in READS[reader]), (name, reader)
        assert note.text not in event.object_repr
    exported = job_download(
        client,
        client.get(reverse("admin:audit_auditevent_export"), {"model_label": "members.membernote"}),
    )
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert len(rows) == 4
    for name, note in notes.items():
        assert (note.text in exported) == (name in READS[reader])


@pytest.mark.parametrize("reader", [roles.OFFICER, roles.ADMIN])
def test_history_pages_of_a_note_are_for_its_readers_only(client, people, notes, reader):
    client.force_login(people[reader])
    for name, note in notes.items():
        history = client.get(reverse("admin:members_membernote_history", args=[note.pk]))
        version = note.history.earliest()
        past = client.get(
            reverse("admin:members_membernote_simple_history", args=[note.pk, version.history_id])
        )
        if name in READS[reader]:
            assert history.status_code == past.status_code == 200
        else:
            assert history.status_code == past.status_code == 404
            assert note.text not in history.content.decode() + past.content.decode()


def test_only_the_author_or_an_admin_edits_or_deletes(people, notes):
    note = notes["all"]  # written by staff, readable by officers
    with pytest.raises(PermissionDenied):
        member_note_update(note=note, actor=people[roles.OFFICER], text="rewritten")
    with pytest.raises(PermissionDenied):
        member_note_delete(note=note, actor=people["other_staff"])
    member_note_update(note=note, actor=people[roles.STAFF], text="called back twice")
    member_note_update(note=note, actor=people[roles.ADMIN], category="contact")
    note.refresh_from_db()
    assert (note.text, note.category) == ("called back twice", "contact")


def test_a_deleted_note_is_hidden_kept_and_audited_as_soft_delete(people, notes):
    note = notes["all"]
    member_note_delete(note=note, actor=people[roles.STAFF])
    assert not member_notes_visible_to(people[roles.ADMIN]).filter(pk=note.pk).exists()
    assert MemberNote.objects.filter(pk=note.pk, is_deleted=True).exists()
    event = AuditEvent.objects.filter(
        object_id=str(note.pk), model_label="members.membernote"
    ).first()
    assert event.action == "soft_delete"
    assert event.changes["is_deleted"] == [False, True]


def test_staff_cannot_write_a_note_they_could_not_read(people):
    with pytest.raises(ValidationError, match="visibility"):
        member_note_create(
            member=MemberFactory(), actor=people[roles.STAFF], text="x", visibility="officers"
        )


def test_a_note_needs_text(people):
    with pytest.raises(ValidationError, match="text"):
        member_note_create(
            member=MemberFactory(), actor=people[roles.OFFICER], text="  ", visibility="officers"
        )


def test_notes_are_written_in_the_admin_with_their_author(client, people):
    member = MemberFactory()
    client.force_login(people[roles.ORGANIZER])
    response = client.post(
        reverse("admin:members_membernote_add"),
        {
            "member": member.pk,
            "text": "Met at the jobsite",
            "visibility": "officers",
            "category": "general",
        },
    )
    assert response.status_code == 302
    note = MemberNote.objects.get()
    assert note.author == people[roles.ORGANIZER]
    assert note.history.get().history_user == people[roles.ORGANIZER]


def test_the_admin_soft_deletes_only_the_readers_own_notes(client, people, notes):
    client.force_login(people[roles.OFFICER])
    answer = client.post(
        reverse("admin:members_membernote_changelist"),
        {"action": "soft_delete", "_selected_action": [notes["officers"].pk, notes["all"].pk]},
        follow=True,
    )
    assert MemberNote.objects.get(pk=notes["officers"].pk).is_deleted
    assert not MemberNote.objects.get(pk=notes["all"].pk).is_deleted
    # One of each, said in the singular.
    assert [str(m) for m in answer.context["messages"]] == [
        "Hid 1 note.",
        "1 note is not yours: only its author or an Admin may delete it.",
    ]


def test_a_members_page_shows_their_latest_notes_and_links_to_all(client, people):
    """However many notes a member has, their page shows the latest twenty, says how many
    there are, and links to the list of all of them; it costs the same queries."""
    member, other = MemberFactory(), MemberFactory()
    officer = people[roles.OFFICER]
    member_note_create(member=other, actor=officer, text="another member's", visibility="officers")
    url = reverse("admin:members_member_change", args=[member.pk])
    client.force_login(officer)

    def page() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        return html, len(queries)

    def write(count: int, start: int) -> None:
        for i in range(start, start + count):
            member_note_create(
                member=member, actor=officer, text=f"note {i:03d}.", visibility="officers"
            )

    write(3, 0)
    page()  # the first page of a session looks up what later ones find cached
    html, few = page()
    assert "note 002." in html and "all of them" not in html
    write(NOTES_SHOWN + 2, 3)  # 25 in all
    html, many = page()
    shown = [n for n in range(25) if f"note {n:03d}." in html]
    assert shown == list(range(5, 25))  # the latest twenty
    assert f"The latest {NOTES_SHOWN} of 25 notes" in html
    assert many == few
    listing = client.get(
        reverse("admin:members_membernote_changelist") + f"?q={member.member_number}"
    ).content.decode()
    assert "25 member notes" in listing and "another member's" not in listing
    saved = client.post(url, member_form_data(member, phone="(312) 555-0199"))
    assert saved.status_code == 302
    member.refresh_from_db()
    assert member.phone == "(312) 555-0199"
