"""An unmatched line of a checked remittance is matched, before posting, to a member a
person found by name or number: through a service that names its actor, checks the role and
writes an audit event; posting then credits that member (or holds the line if the rules say
so)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import roles
from audit.models import AuditEvent
from checkoff.hand_matching import remittance_line_match
from checkoff.matching import BY_A_PERSON
from checkoff.models import LineException, SuspenseStatus
from checkoff.services import remittance_check, remittance_post
from dues.models import Payment
from members.tests.factories import MemberFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, remittance_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def checked(acme, journeyman, charged_2026):
    """Acme's September: Ana matched by number; Chidi Okafor (authorized, employee id A-9 on
    his card) sent as "C-9", so no member is found for his row and he is MISSING."""
    ana = MemberFactory(member_number="1001", last_name="Nunez", classification=journeyman)
    chidi = MemberFactory(
        member_number="2002", first_name="Chidi", last_name="Okafor", classification=journeyman
    )
    for member, employee in ((ana, "A-1"), (chidi, "A-9")):
        AuthorizationFactory(member=member, employer=acme, employee_id=employee)
    charged_2026()
    batch = remittance_check(
        employer=acme,
        content=remittance_csv(
            "1001,Nunez,Ana,,,2026-09,,,45.00", ",Okafor,Chidi,C-9,,2026-09,,,45.00"
        ),
        file_name="acme.csv",
        received_on=RECEIVED,
        control_total=Decimal("90.00"),
        actor="tests",
    ).batch
    line = batch.lines.get(exception=LineException.UNMATCHED)
    return batch, line, chidi


def test_a_line_matched_by_a_person_is_credited_to_that_member_at_posting(checked, officer):
    batch, line, chidi = checked
    assert batch.lines.filter(member=chidi, exception=LineException.MISSING).exists()

    matched = remittance_line_match(
        line=line, member=chidi, note="C-9 is a typo for A-9: his card", actor=officer
    )

    assert (matched.member, matched.matched_by, matched.exception) == (chidi, BY_A_PERSON, "")
    assert matched.expected == Decimal("45.00")
    # He is in the file after all: his MISSING line is gone.
    assert not batch.lines.filter(exception=LineException.MISSING).exists()
    event = AuditEvent.objects.get(model_label="checkoff.remittanceline", object_id=str(line.pk))
    assert (event.actor, event.action, event.member_id) == (officer, "update", chidi.pk)
    assert event.changes["member"] == [None, chidi.pk]
    assert "typo for A-9" in event.detail
    assert not Payment.objects.exists()  # matching posts nothing

    posting = remittance_post(batch=batch, actor=officer)
    assert (posting.posted, posting.suspense) == (2, 0)
    payment = chidi.payments.get()
    assert payment.amount == Decimal("45.00")
    assert payment.reference == f"Check-off ACME remittance #{batch.pk}, work month 2026-09"


def test_a_line_matched_to_a_member_without_an_authorization_is_held_at_posting(
    checked, officer, journeyman
):
    batch, line, _ = checked
    stranger = MemberFactory(member_number="3003", classification=journeyman)
    matched = remittance_line_match(line=line, member=stranger, note="Asked", actor=officer)
    assert matched.exception == LineException.NO_AUTHORIZATION
    posting = remittance_post(batch=batch, actor=officer)
    assert posting.suspense == 1
    line.refresh_from_db()
    assert line.suspense == SuspenseStatus.OPEN and not stranger.payments.exists()


def test_a_second_line_for_the_same_members_month_is_a_duplicate(checked, officer):
    batch, line, _ = checked
    ana = batch.lines.get(member__member_number="1001").member
    matched = remittance_line_match(line=line, member=ana, note="Twice?", actor=officer)
    assert matched.exception == LineException.DUPLICATE


def test_matching_needs_a_note_a_checked_batch_an_unmatched_line_and_the_role(
    checked, officer, user_with_role
):
    batch, line, chidi = checked
    with pytest.raises(ValidationError, match="Say why"):
        remittance_line_match(line=line, member=chidi, note=" ", actor=officer)
    with pytest.raises(PermissionDenied):
        remittance_line_match(line=line, member=chidi, note="x", actor=user_with_role(roles.STAFF))
    remittance_line_match(line=line, member=chidi, note="His card", actor="tests")
    with pytest.raises(ValidationError, match="matched already"):
        remittance_line_match(line=line, member=chidi, note="Again", actor=officer)
    # Posted: its unmatched money is in suspense, and is applied from there.
    other = batch.lines.create(year=2026, month=9, amount=Decimal("1.00"), exception="UNMATCHED")
    remittance_post(batch=batch, actor=officer)
    with pytest.raises(ValidationError, match="suspense"):
        remittance_line_match(line=other, member=chidi, note="Late", actor=officer)


def test_the_match_page_finds_the_member_by_name_and_matches_the_line(client, checked, officer):
    batch, line, chidi = checked
    client.force_login(officer)
    preview = client.get(reverse("admin:checkoff_remittancebatch_change", args=[batch.pk]))
    match_url = reverse("admin:checkoff_remittanceline_match", args=[line.pk])
    assert match_url in preview.content.decode()

    # The page opens already searching for the line's last name.
    page = client.get(match_url).content.decode()
    assert "2002 Chidi Okafor" in page and "authorized at ACME" in page
    found = client.get(match_url, {"q": "chidi okafor"}).content.decode()
    assert "2002 Chidi Okafor" in found
    assert "No member found" in client.get(match_url, {"q": "Zzyzx"}).content.decode()

    refused = client.post(match_url, {"q": "okafor", "note": "His card"})
    assert "Choose the member" in refused.content.decode()
    bad = client.post(match_url, {"q": "okafor", "member": "abc", "note": "His card"})
    assert bad.status_code == 200 and "Choose one of the members found." in bad.content.decode()

    done = client.post(match_url, {"q": "okafor", "member": chidi.pk, "note": "His card"})
    assert done.status_code == 302
    line.refresh_from_db()
    assert line.member == chidi
    preview = client.get(done["Location"]).content.decode()
    assert "Row 3 is matched to 2002 Chidi Okafor: posting will credit them $45.00." in preview
    assert "Post 2 payments and 0 to suspense" in preview
    # Matched: its page sends the person back.
    assert client.get(match_url).status_code == 302


@pytest.mark.parametrize("role", [roles.STAFF, roles.ORGANIZER])
def test_only_officers_match_lines(client, checked, user_with_role, role):
    _, line, chidi = checked
    client.force_login(user_with_role(role))
    url = reverse("admin:checkoff_remittanceline_match", args=[line.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"member": chidi.pk, "note": "x"}).status_code == 403
    line.refresh_from_db()
    assert line.member is None
