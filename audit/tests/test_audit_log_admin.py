"""Reading the trail in the admin: who may, what they see, and what they may not."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.models import AuditEvent
from audit.tests.factories import events_written
from jobs.tests.helpers import job_download
from members.services import member_update
from members.tests.factories import ClassificationFactory, MemberFactory, member_form_data

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:audit_auditevent_changelist")
EXPORT = reverse("admin:audit_auditevent_export")
BIRTHDAY = datetime.date(1961, 4, 9)


@pytest.fixture
def dob_change(client, user_with_role):
    """An officer corrects a member's date of birth in the admin."""
    member = MemberFactory(member_number="5150", date_of_birth=datetime.date(1960, 1, 1))
    client.force_login(user_with_role(roles.OFFICER, username="o.ruiz"))
    client.post(
        reverse("admin:members_member_change", args=[member.pk]),
        member_form_data(member, date_of_birth=BIRTHDAY.isoformat(), status="suspended"),
    )
    client.logout()
    return AuditEvent.objects.get(action="update", member_id=member.pk)


def _detail(client, event):
    return client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))


def _export_rows(client, **params) -> list[dict]:
    text = job_download(client, client.get(EXPORT, params))
    return list(csv.DictReader(io.StringIO(text)))


def test_an_officer_sees_redacted_sensitive_values_in_the_page_and_the_csv(
    client, user_with_role, dob_change
):
    client.force_login(user_with_role(roles.OFFICER))
    page = _detail(client, dob_change).content.decode()
    assert "[redacted]" in page
    assert "1961-04-09" not in page and "1960-01-01" not in page
    assert "suspended" in page  # what is not sensitive is shown

    [row] = _export_rows(client, action__exact="update", model_label="members.member")
    assert "date_of_birth: [redacted] → [redacted]" in row["changes"]
    assert "1961-04-09" not in row["changes"]
    assert "status: active → suspended" in row["changes"]


def test_an_admin_sees_the_date_of_birth(client, user_with_role, dob_change):
    client.force_login(user_with_role(roles.ADMIN))
    assert "1961-04-09" in _detail(client, dob_change).content.decode()
    [row] = _export_rows(client, action__exact="update", model_label="members.member")
    assert "date_of_birth: 1960-01-01 → 1961-04-09" in row["changes"]


def test_a_superuser_counts_as_admin(admin_client, dob_change):
    assert "1961-04-09" in _detail(admin_client, dob_change).content.decode()


@pytest.mark.parametrize("role", [roles.ORGANIZER, roles.STAFF])
def test_organizers_and_staff_may_not_read_the_audit_log(client, user_with_role, role, dob_change):
    client.force_login(user_with_role(role))
    assert client.get(CHANGELIST).status_code == 403
    assert _detail(client, dob_change).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_a_member_may_not_read_the_audit_log(client, user_with_role, dob_change):
    client.force_login(user_with_role(roles.MEMBER))
    assert client.get(CHANGELIST).status_code == 403  # the site's 403 page


def test_nobody_adds_changes_or_deletes_an_entry(admin_client, dob_change):
    before = AuditEvent.objects.count()
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change_url = reverse("admin:audit_auditevent_change", args=[dob_change.pk])
    assert admin_client.post(change_url, {"actor_label": "someone else"}).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[dob_change.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    page = admin_client.get(CHANGELIST).content
    assert b"delete_selected" not in page
    assert b'name="_save"' not in _detail(admin_client, dob_change).content
    dob_change.refresh_from_db()
    assert dob_change.actor_label == "o.ruiz"
    assert AuditEvent.objects.count() == before


def test_filters_by_actor_action_model_and_date(admin_client, dob_change, user_with_role):
    [old] = events_written(
        AuditEvent(
            occurred_at=timezone.now() - datetime.timedelta(days=400),
            actor_label="import_members",
            action="create",
            model_label="members.member",
            object_id="1",
            object_repr="Old Entry",
        )
    )

    def shown(**params) -> set[int]:
        response = admin_client.get(CHANGELIST, params)
        assert response.status_code == 200
        return {event.pk for event in response.context["cl"].result_list}

    assert shown(actor_label="o.ruiz") == set(
        AuditEvent.objects.filter(actor_label="o.ruiz").values_list("pk", flat=True)
    )
    assert dob_change.pk in shown(action__exact="update")
    assert old.pk not in shown(action__exact="update")
    assert old.pk in shown(model_label="members.member", action__exact="create")
    last_year = (timezone.localdate() - datetime.timedelta(days=400)).isoformat()
    assert shown(occurred_from=last_year, occurred_to=last_year) == {old.pk}
    assert old.pk not in shown(occurred_from=timezone.localdate().isoformat())


def test_a_bad_date_filter_is_an_error_message_not_a_crash(admin_client):
    response = admin_client.get(CHANGELIST, {"occurred_from": "31/12/2026"})
    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_search_by_object_id_and_member_number(admin_client, dob_change):
    MemberFactory(member_number="6000")
    by_number = admin_client.get(CHANGELIST, {"q": "5150"}).context["cl"].result_list
    assert {e.member_number for e in by_number} == {"5150"}
    by_object = admin_client.get(CHANGELIST, {"q": dob_change.object_id}).context["cl"]
    assert dob_change.pk in {e.pk for e in by_object.result_list}


def test_a_members_page_links_to_that_members_whole_trail(client, user_with_role, dob_change):
    other = MemberFactory()
    client.force_login(user_with_role(roles.OFFICER))
    page = client.get(reverse("admin:members_member_change", args=[dob_change.member_id]))
    link = f"{CHANGELIST}?member_id={dob_change.member_id}"
    assert link.encode() in page.content

    shown = client.get(link)
    trail = shown.context["cl"].result_list
    assert {e.member_id for e in trail} == {dob_change.member_id}
    assert {e.action for e in trail} == {"create", "update"}  # views hidden unless asked
    assert other.pk not in {e.member_id for e in trail}
    assert f"Audit trail of member #{dob_change.member_number}" in shown.content.decode()
    with_views = client.get(link + "&views=shown").context["cl"].result_list
    assert "view_sensitive" in {e.action for e in with_views}


def test_the_trail_link_is_not_offered_to_roles_without_the_log(client, user_with_role):
    member = MemberFactory()
    client.force_login(user_with_role(roles.STAFF))
    page = client.get(reverse("admin:members_member_change", args=[member.pk]))
    assert CHANGELIST.encode() not in page.content
    assert b"historylink" not in page.content


def test_an_export_is_filtered_like_the_screen_and_is_itself_audited(
    client, user_with_role, dob_change
):
    officer = user_with_role(roles.OFFICER, username="auditor.amy")
    client.force_login(officer)
    rows = _export_rows(client, member_id=dob_change.member_id)
    assert {row["member_number"] for row in rows} == {"5150"}
    everything = _export_rows(client)
    assert len(everything) == AuditEvent.objects.count() - 1  # not its own export event

    first_export = AuditEvent.objects.filter(action="export").order_by("id").first()
    assert first_export.actor == officer
    assert f"member_id={dob_change.member_id}" in first_export.detail
    assert f"{len(rows)} audit events" in first_export.detail


def test_the_audit_log_costs_the_same_queries_for_10_and_1000_events(admin_client):
    now = timezone.now()

    def add(n: int) -> None:
        events_written(
            *(
                AuditEvent(
                    occurred_at=now,
                    actor_label=f"user{i % 7}",
                    action="update",
                    model_label="members.member",
                    object_id=str(i),
                    object_repr=f"Member {i}",
                    member_number=str(i),
                    changes={"status": ["active", "suspended"]},
                )
                for i in range(n)
            )
        )

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(CHANGELIST).status_code == 200
        return len(captured)

    add(10)
    with_10 = queries()
    add(990)
    assert queries() == with_10


def test_an_event_reads_as_people_say_it(client, user_with_role):
    """Record kinds by name, related records by name beside their id, the time as shown
    everywhere (local), one 'Actor'."""
    classification = ClassificationFactory(code="AP", name="Apprentice")
    member = MemberFactory()
    officer = user_with_role(roles.OFFICER)
    member_update(member=member, actor=officer, changes={"classification": classification})
    event = AuditEvent.objects.get(action="update", member_id=member.pk)
    client.force_login(officer)

    listed = client.get(CHANGELIST, {"member_id": member.pk}).content.decode()
    assert '<td class="field-record_kind">Member</td>' in listed
    assert ">members.member<" not in listed

    page = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    html = page.content.decode()
    assert f"{classification} (#{classification.pk})" in html
    assert html.count(">Actor:<") == 1 and ">User account:<" in html
    assert str(event) == (
        f"{timezone.localtime(event.occurred_at):%Y-%m-%d %H:%M} {officer.username} update"
    )


@pytest.mark.postgres
def test_a_big_log_is_never_counted_row_by_row_filtered_or_not(admin_client, monkeypatch):
    """The log hides views of sensitive records by default, a filter on every page: a big
    log is paged by the planner's estimate then, as it is unfiltered, never by a COUNT of
    every event; a small result (one member's trail) is counted exactly."""
    from appkit import admin as appkit_admin

    monkeypatch.setattr(appkit_admin, "EXACT_COUNT_BELOW", 20)
    member = MemberFactory(member_number="5150")
    for i in range(30):
        member_update(member=member, actor="tests", changes={"phone": f"(312) 555-{i:04d}"})
    other = MemberFactory(member_number="5151")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
    with CaptureQueriesContext(connection) as big:
        assert admin_client.get(CHANGELIST).status_code == 200
    assert not [q for q in big.captured_queries if "COUNT(" in q["sql"].upper()]
    with CaptureQueriesContext(connection) as small:
        page = admin_client.get(CHANGELIST, {"member_id": other.pk})
    assert page.status_code == 200
    assert [q for q in small.captured_queries if "COUNT(" in q["sql"].upper()]
