"""Member CSV import: every row or none, with each problem named by row and column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts import roles
from jobs.tests.helpers import job_of
from members.importing import members_import
from members.models import Member
from members.tests.factories import ClassificationFactory, MemberFactory

pytestmark = pytest.mark.django_db

HEADER = "member_number,first_name,last_name,classification,status,join_date,email,date_of_birth"
GOOD = textwrap.dedent(
    f"""\
    {HEADER}
    2001,Lucy,Parsons,JW,active,2001-05-01,lucy@example.org,1951-03-14
    2002,Eugene,Debs,ap,,06/15/2019,,
    2003,Frances,Perkins,RT,retired,1990-01-02,frances@example.org,
    """
)


@pytest.fixture(autouse=True)
def classifications():
    ClassificationFactory(code="JW", name="Journeyman Wireman")
    ClassificationFactory(code="AP", name="Apprentice")
    ClassificationFactory(code="RT", name="Retired")


def test_a_good_file_creates_every_member_with_history(user_with_role):
    officer = user_with_role(roles.OFFICER)
    result = members_import(csv_text=GOOD, actor=officer)
    assert result.ok and result.written
    debs = Member.objects.get(member_number="2002")
    assert debs.classification.code == "AP"  # codes match whatever their case
    assert debs.status == "active"  # blank status means active
    assert str(debs.join_date) == "2019-06-15"  # US dates are read too
    assert Member.objects.count() == 3
    history = Member.history.filter(member_number__in=["2001", "2002", "2003"])
    assert history.count() == 3
    assert {h.history_user for h in history} == {officer}
    assert {h.history_change_reason for h in history} == {"import_members"}


@pytest.mark.parametrize("copied", [False, True], ids=["insert", "copy"])
def test_members_history_and_events_are_the_same_however_they_are_written(
    user_with_role, monkeypatch, copied
):
    """Big imports go in by COPY on PostgreSQL (appkit/sql.py): the members, their history
    rows and their events must be what the ORM's INSERT writes, and the chain must hold."""
    from appkit import sql
    from audit import services as trail
    from audit.chain import chain_verify
    from audit.models import AuditEvent

    monkeypatch.setattr(sql, "COPY_FROM", 1 if copied else 10**9)
    monkeypatch.setattr(trail, "COPY_FROM", 1 if copied else 10**9)
    officer = user_with_role(roles.OFFICER)
    assert members_import(csv_text=GOOD, actor=officer).written

    lucy = Member.objects.get(member_number="2001")
    assert (lucy.email, str(lucy.date_of_birth), lucy.created_at is not None) == (
        "lucy@example.org",
        "1951-03-14",
        True,
    )
    record = lucy.history.get()
    assert (record.history_type, record.history_user, record.email) == ("+", officer, lucy.email)
    event = AuditEvent.objects.get(model_label="members.member", object_id=str(lucy.pk))
    assert (event.action, event.actor_id, event.member_id) == ("create", officer.pk, lucy.pk)
    assert (event.history_id, event.object_repr) == (record.history_id, str(lucy))
    assert event.changes["email"] == [None, "lucy@example.org"]
    assert AuditEvent.objects.filter(model_label="members.member").count() == 3
    assert chain_verify().ok


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_written():
    MemberFactory(member_number="3000")
    text = textwrap.dedent(
        f"""\
        {HEADER}
        2001,Lucy,Parsons,JW,active,2001-05-01,lucy@example.org,
        2002,Eugene,Debs,XX,active,2019-06-15,,
        2003,Frances,Perkins,RT,active,2019-06-15,not-an-email,
        2001,Lucy,Again,JW,active,2001-05-01,,
        3000,Walter,Reuther,JW,active,2001-05-01,,
        2006,Mary,Jones,JW,active,31/12/2001,,
        2007,Joe,Hill,JW,expelled,2001-05-01,,1879-13-07
        """
    )
    result = members_import(csv_text=text, actor="tests")

    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (3, "classification"),
        (4, "email"),
        (5, "member_number"),
        (6, "member_number"),
        (7, "join_date"),
        (8, "status"),
        (8, "date_of_birth"),
    }
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert "Unknown classification 'XX'" in messages[(3, "classification")]
    assert "also on row 2" in messages[(5, "member_number")]
    assert "3000 already exists" in messages[(6, "member_number")]
    assert not result.written
    assert Member.objects.count() == 1


def test_missing_and_unknown_columns_are_reported_on_the_header_row():
    result = members_import(csv_text="member_number,first_name,surname\n1,A,B\n", actor="tests")
    assert {(e.row, e.column) for e in result.errors} == {
        (1, "surname"),
        (1, "last_name"),
        (1, "classification"),
        (1, "join_date"),
    }
    assert Member.objects.count() == 0


def test_an_empty_file_is_an_error_not_a_success():
    assert not members_import(csv_text="", actor="tests").ok
    assert not members_import(csv_text=HEADER + "\n", actor="tests").ok


def test_a_row_with_more_cells_than_the_header_is_refused():
    result = members_import(
        csv_text=HEADER + "\n2001,A,B,JW,active,2001-05-01,,,extra\n", actor="tests"
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "file")]


def test_dry_run_checks_everything_and_writes_nothing():
    result = members_import(csv_text=GOOD, actor="tests", dry_run=True)
    assert result.ok and not result.written
    assert result.count == 3
    assert Member.objects.count() == 0


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "members.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_command_imports_a_file(tmp_path, capsys):
    call_command("import_members", str(_write(tmp_path, GOOD)))
    assert "Imported 3 members" in capsys.readouterr().out
    assert Member.objects.count() == 3


def test_command_reads_excel_windows_files(tmp_path):
    text = GOOD.replace("Parsons", "Núñez")
    call_command("import_members", str(_write(tmp_path, text, encoding="cp1252")))
    assert Member.objects.get(member_number="2001").last_name == "Núñez"


def test_command_dry_run_writes_nothing(tmp_path, capsys):
    call_command("import_members", str(_write(tmp_path, GOOD)), "--dry-run")
    assert "3 members would be imported" in capsys.readouterr().out
    assert Member.objects.count() == 0


def test_command_names_each_bad_row_and_fails_writing_nothing(tmp_path, capsys):
    bad = GOOD.replace("2002,Eugene,Debs,ap", "2002,Eugene,Debs,ZZ")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_members", str(_write(tmp_path, bad)))
    assert "Row 3, classification: Unknown classification 'ZZ'" in capsys.readouterr().err
    assert Member.objects.count() == 0


def test_command_says_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_members", str(tmp_path / "nope.csv"))


IMPORT_URL = reverse("admin:members_member_import")


def _upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("members.csv", text.encode(), content_type="text/csv")


def test_officer_previews_then_confirms_an_import_in_the_admin(client, user_with_role):
    officer = user_with_role(roles.OFFICER)
    client.force_login(officer)

    checked = job_of(client.post(IMPORT_URL, {"file": _upload(GOOD)}))
    assert checked.outcome["count"] == 3 and checked.outcome["error_count"] == 0
    job_page = client.get(reverse("admin:jobs_job_change", args=[checked.pk])).content
    assert b"3 members are ready to import" in job_page
    preview_url = reverse("admin:members_member_import_preview", args=[checked.pk])
    assert preview_url.encode() in job_page
    preview = client.get(preview_url)
    assert b"3 members ready to import" in preview.content
    assert b"Parsons" in preview.content
    assert Member.objects.count() == 0

    written = job_of(client.post(preview_url))
    assert written.outcome["message"] == "Imported 3 members."
    assert Member.objects.count() == 3
    assert Member.history.filter(history_user=officer).count() == 3


def test_admin_import_shows_row_errors_and_offers_no_confirm(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    bad = GOOD.replace("lucy@example.org", "lucy-at-example")
    checked = job_of(client.post(IMPORT_URL, {"file": _upload(bad)}))
    page = client.get(reverse("admin:jobs_job_change", args=[checked.pk])).content.decode()
    assert "Nothing was imported" in page
    assert "Row 2, email: Enter a valid email address." in page
    preview_url = reverse("admin:members_member_import_preview", args=[checked.pk])
    assert preview_url not in page
    assert client.post(preview_url).status_code == 404
    assert Member.objects.count() == 0


def test_confirm_checks_the_file_again_before_writing(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    checked = job_of(client.post(IMPORT_URL, {"file": _upload(GOOD)}))
    MemberFactory(member_number="2003")  # added by someone else after the preview
    preview_url = reverse("admin:members_member_import_preview", args=[checked.pk])
    written = job_of(client.post(preview_url))
    assert "Row 4, member_number: Member number 2003 already exists." in written.outcome["errors"]
    assert Member.objects.count() == 1


@pytest.mark.parametrize("role", [roles.STAFF, roles.ORGANIZER])
def test_only_officers_import(client, user_with_role, role):
    client.force_login(user_with_role(role))
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": _upload(GOOD)}).status_code == 403
    assert b"Import CSV" not in client.get(reverse("admin:members_member_changelist")).content
    assert Member.objects.count() == 0


def test_one_member_is_said_in_the_singular_from_check_to_import(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    one = "\n".join(GOOD.splitlines()[:2]) + "\n"

    checked = job_of(client.post(IMPORT_URL, {"file": _upload(one)}))
    assert checked.outcome["message"] == "1 member is ready to import. Nothing is written yet."
    preview_url = reverse("admin:members_member_import_preview", args=[checked.pk])
    preview = client.get(preview_url).content.decode()
    assert "Preview: 1 member ready to import" in preview
    assert 'value="Import 1 member"' in preview

    written = job_of(client.post(preview_url))
    assert written.label == "Import 1 member"
    assert written.outcome["message"] == "Imported 1 member."


def test_one_problem_is_said_in_the_singular(client, user_with_role):
    client.force_login(user_with_role(roles.OFFICER))
    bad = GOOD.replace("2002,Eugene,Debs,ap", "2002,Eugene,Debs,ZZ")
    checked = job_of(client.post(IMPORT_URL, {"file": _upload(bad)}))
    assert checked.outcome["message"] == (
        "Nothing was imported: 1 problem. Fix it in the file and upload it again (row 1 is "
        "the header)."
    )
