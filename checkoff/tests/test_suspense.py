"""Suspense: unmatched money waits per employer until an officer applies it to a member
(a payment then) or returns it, each audited; a posted batch is undone by a reversal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from checkoff.models import BatchStatus, SuspenseStatus
from checkoff.services import (
    remittance_check,
    remittance_post,
    remittance_reverse,
    suspense_apply,
    suspense_return,
)
from dues.models import PaymentMethod, PaymentStatus
from dues.selectors import member_dues_summary
from members.tests.factories import MemberFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, remittance_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(acme, journeyman, charged_2026):
    ana = MemberFactory(member_number="1001", classification=journeyman)
    AuthorizationFactory(member=ana, employer=acme)
    charged_2026()
    batch = remittance_check(
        employer=acme,
        content=remittance_csv(
            "1001,Nunez,Ana,,,2026-09,,,45.00", "9999,Stranger,Sam,,,2026-09,,,45.00"
        ),
        file_name="acme.csv",
        received_on=RECEIVED,
        actor="tests",
    ).batch
    remittance_post(batch=batch, actor="tests")
    return batch, ana


def test_an_officer_applies_a_suspense_line_to_a_member(posted, journeyman, officer):
    batch, _ = posted
    sam = MemberFactory(member_number="2002", classification=journeyman)
    line = batch.lines.get(suspense=SuspenseStatus.OPEN)
    resolution = suspense_apply(line=line, member=sam, note="New hire, card on file", actor=officer)
    payment = resolution.payment
    assert (payment.member, payment.amount, payment.method, payment.received_date) == (
        sam,
        Decimal("45.00"),
        PaymentMethod.PAYROLL_DEDUCTION,
        RECEIVED,
    )
    line.refresh_from_db()
    assert line.suspense == SuspenseStatus.APPLIED
    event = AuditEvent.objects.get(model_label="checkoff.suspenseresolution")
    assert (event.actor_id, event.member_id) == (officer.pk, sam.pk)
    with pytest.raises(ValidationError, match="not in suspense"):
        suspense_return(line=line, note="again", actor=officer)


def test_returning_a_suspense_line_needs_a_reason_and_reaches_no_ledger(posted, officer):
    batch, _ = posted
    line = batch.lines.get(suspense=SuspenseStatus.OPEN)
    with pytest.raises(ValidationError, match="a note is required"):
        suspense_return(line=line, note=" ", actor=officer)
    suspense_return(line=line, note="Not our member: check 5521 sent back", actor=officer)
    line.refresh_from_db()
    assert line.suspense == SuspenseStatus.RETURNED
    assert AuditEvent.objects.filter(model_label="checkoff.suspenseresolution").count() == 1


def test_a_posted_batch_is_undone_by_a_reversing_batch(posted, officer):
    batch, ana = posted
    reversal = remittance_reverse(
        batch=batch, reason="Employer sent the wrong month", actor=officer
    )
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVERSED
    assert reversal.reverses == batch and reversal.total == Decimal("-90.00")
    assert sorted(line.amount for line in reversal.lines.all()) == [Decimal("-45.00")] * 2
    payment = ana.payments.get()
    assert payment.status == PaymentStatus.REFUNDED  # the payment is kept, refunded in full
    assert member_dues_summary(ana).balance == Decimal("450.00")
    assert not batch.lines.filter(suspense=SuspenseStatus.OPEN).exists()
    with pytest.raises(ValidationError):
        remittance_reverse(batch=batch, reason="twice", actor=officer)
    # The same file can be posted again once its first posting is reversed.
    again = remittance_check(
        employer=batch.employer,
        content=remittance_csv(
            "1001,Nunez,Ana,,,2026-09,,,45.00", "9999,Stranger,Sam,,,2026-09,,,45.00"
        ),
        file_name="acme.csv",
        received_on=RECEIVED,
        actor="tests",
    )
    assert again.already_posted is None
    assert remittance_post(batch=again.batch, actor="tests").posted == 1


def test_the_suspense_page_finds_the_member_by_name_and_applies_the_money(
    client, posted, journeyman, officer
):
    batch, _ = posted
    sam = MemberFactory(
        member_number="2002", first_name="Sam", last_name="Stranger", classification=journeyman
    )
    MemberFactory(
        member_number="2003", first_name="Sue", last_name="Strand", classification=journeyman
    )
    line = batch.lines.get(suspense=SuspenseStatus.OPEN)
    url = reverse("admin:checkoff_remittanceline_resolve", args=[line.pk])
    client.force_login(officer)

    page = client.get(url).content.decode()  # searching the line's last name already
    assert "2002 Sam Stranger" in page and "2003" not in page
    found = client.get(url, {"q": "stran"}).content.decode()
    assert "2002 Sam Stranger" in found and "2003 Sue Strand" in found
    assert "2003 Sue Strand" in client.get(url, {"q": "2003"}).content.decode()

    missing = client.post(url, {"action": "applied", "note": "Card found", "q": "stran"})
    assert "Choose the member to apply the money to." in missing.content.decode()
    done = client.post(
        url, {"action": "applied", "member": sam.pk, "note": "Card found", "q": "stran"}
    )
    assert done.status_code == 302
    assert sam.payments.get().amount == Decimal("45.00")
    assert (
        "Applied $45.00 to member 2002 Sam Stranger"
        in client.get(done["Location"]).content.decode()
    )
