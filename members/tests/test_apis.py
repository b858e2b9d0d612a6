"""The members and notes parts of the REST API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from apikit.tests.client import api_client, queries_for_get
from audit.models import AuditEvent
from members.models import Member, MemberNote
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, UserFactory
from members.tests.test_notes import READS, SECRET, notes, people  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


# --- Members ------------------------------------------------------------------------------


def test_the_member_list_pages_with_a_count_filters_and_searches(db):
    apprentice = ClassificationFactory(code="AP", name="Apprentice")
    MemberFactory.create_batch(3)
    MemberFactory(last_name="Huerta", classification=apprentice, status="suspended")
    client = api_client(UserFactory(role=roles.ORGANIZER))
    page = client.get(reverse("api:members"), {"page_size": 2}).data
    assert (page["count"], len(page["results"]), page["previous"]) == (4, 2, None)
    assert page["next"]
    assert client.get(reverse("api:members"), {"status": "suspended"}).data["count"] == 1
    assert client.get(reverse("api:members"), {"classification": "AP"}).data["count"] == 1
    assert (
        client.get(reverse("api:members"), {"search": "huer"}).data["results"][0]["last_name"]
        == "Huerta"
    )
    bad = client.get(reverse("api:members"), {"status": "expelled"})
    assert bad.status_code == 400 and "status" in bad.data


def test_creating_a_member_with_bad_input_is_400_with_field_errors_and_writes_nothing(db):
    MemberFactory(member_number="1001")
    client = api_client(UserFactory(role=roles.OFFICER))
    response = client.post(
        reverse("api:members"),
        {
            "member_number": "1001",
            "first_name": "A",
            "last_name": "B",
            "classification": "ZZ",
            "email": "not-an-email",
            "join_date": "02/30/2020",
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"member_number", "classification", "email", "join_date"} <= set(response.data)
    assert Member.objects.count() == 1


def test_a_member_created_by_the_api_has_its_history_attributed(db):
    ClassificationFactory(code="JW")
    officer = UserFactory(role=roles.OFFICER)
    client = APIClient()
    token = client.post(
        reverse("api:token"), {"username": officer.username, "password": PASSWORD}
    ).data
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token['access']}")
    response = client.post(
        reverse("api:members"),
        {
            "member_number": "8001",
            "first_name": "Ella",
            "last_name": "Reeve",
            "classification": "JW",
            "join_date": "2020-02-02",
        },
        format="json",
    )
    assert response.status_code == 201
    created = AuditEvent.objects.get(action="create", model_label="members.member")
    assert created.actor == officer


def test_staff_change_contact_data_only(db):
    member = MemberFactory(email="old@example.org")
    client = api_client(UserFactory(role=roles.STAFF))
    url = reverse("api:member", args=[member.pk])
    refused = client.patch(url, {"status": "dropped"}, format="json")
    assert refused.status_code == 403
    assert "contact data only" in refused.data["detail"]
    assert client.patch(url, {"email": "new@example.org"}, format="json").status_code == 200
    member.refresh_from_db()
    assert (member.status, member.email) == ("active", "new@example.org")


def test_a_member_reads_only_their_own_record(db):
    user = UserFactory(role=roles.MEMBER)
    own, other = MemberFactory(user=user), MemberFactory()
    client = api_client(user)
    assert client.get(reverse("api:member", args=[own.pk])).status_code == 200
    assert client.get(reverse("api:member", args=[other.pk])).status_code == 404
    assert (
        client.patch(reverse("api:member", args=[own.pk]), {"email": "x@example.org"}).status_code
        == 403
    )


# --- Notes --------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", [r for r in READS if r != roles.MEMBER])
def test_the_notes_api_gives_each_reader_only_their_notes(people, notes, reader):  # noqa: F811
    client = api_client(people[reader])
    member = notes["all"].member
    listed = client.get(f"/api/v1/member-notes/member/{member.pk}").data
    assert listed["count"] == len(READS[reader])
    assert {n["id"] for n in listed["results"]} == {notes[name].pk for name in READS[reader]}
    for name, note in notes.items():
        one = client.get(f"/api/v1/member-notes/{note.pk}")
        if name in READS[reader]:
            assert one.status_code == 200 and one.data["text"] == note.text
        else:
            assert one.status_code == 404
            assert SECRET not in str(one.data)


def test_members_get_no_notes_at_all(people, notes):  # noqa: F811
    client = api_client(people[roles.MEMBER])
    member = notes["all"].member
    assert client.get(f"/api/v1/member-notes/member/{member.pk}").status_code == 403
    assert client.get(f"/api/v1/member-notes/{notes['all'].pk}").status_code == 403


def test_only_the_author_or_an_admin_changes_a_note_and_delete_hides_it(people, notes):  # noqa: F811
    note = notes["officers"]  # by the officer, readable by the organizer
    url = f"/api/v1/member-notes/{note.pk}"
    assert (
        api_client(people[roles.ORGANIZER])
        .patch(url, {"text": "mine now"}, format="json")
        .status_code
        == 403
    )
    assert (
        api_client(people[roles.OFFICER])
        .patch(url, {"text": "updated"}, format="json")
        .data["text"]
        == "updated"
    )
    assert api_client(people[roles.ADMIN]).delete(url).status_code == 204
    assert api_client(people[roles.OFFICER]).get(url).status_code == 404
    assert MemberNote.objects.filter(pk=note.pk, is_deleted=True).exists()
    assert AuditEvent.objects.filter(object_id=str(note.pk), action="soft_delete").exists()


def test_creating_a_note_checks_visibility_and_text(people):  # noqa: F811
    member = MemberFactory()
    staff = api_client(people[roles.STAFF])
    refused = staff.post(
        "/api/v1/member-notes/",
        {"member": member.pk, "text": "x", "visibility": "officers"},
        format="json",
    )
    assert refused.status_code == 400 and "visibility" in refused.data
    empty = staff.post(
        "/api/v1/member-notes/",
        {"member": member.pk, "text": " ", "visibility": "staff_only"},
        format="json",
    )
    assert empty.status_code == 400 and "text" in empty.data
    made = staff.post(
        "/api/v1/member-notes/",
        {"member": member.pk, "text": "Left a message", "visibility": "staff_only"},
        format="json",
    )
    assert made.status_code == 201
    assert made.data["author"] == people[roles.STAFF].username
    assert MemberNote.objects.get().author == people[roles.STAFF]


def test_member_and_note_lists_cost_the_same_queries_for_10_and_200_rows(people):  # noqa: F811
    client = api_client(people[roles.OFFICER])
    member = MemberFactory()
    MemberFactory.create_batch(9)
    MemberNote.objects.bulk_create(
        MemberNote(
            member=member, author=people[roles.STAFF], text=f"n{i}", visibility="all_authorized"
        )
        for i in range(10)
    )
    notes_url = f"/api/v1/member-notes/member/{member.pk}?page_size=200"
    members_url = reverse("api:members") + "?page_size=200"
    few = (queries_for_get(client, members_url), queries_for_get(client, notes_url))
    MemberFactory.create_batch(190)
    MemberNote.objects.bulk_create(
        MemberNote(
            member=member, author=people[roles.STAFF], text=f"m{i}", visibility="all_authorized"
        )
        for i in range(190)
    )
    assert (queries_for_get(client, members_url), queries_for_get(client, notes_url)) == few
