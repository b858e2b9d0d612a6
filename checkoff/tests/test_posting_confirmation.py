"""Posting a remittance goes through a page that says exactly what it will do: each member
credited and how much, the working dues charged, each line to suspense and why, what posts
nothing; its button posts that, and nothing else."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import roles
from checkoff.hand_matching import remittance_line_match
from checkoff.models import BatchStatus, LineException
from checkoff.selectors import posting_plan
from checkoff.services import remittance_check, remittance_post
from dues.models import Payment
from jobs.tests.helpers import job_of
from members.tests.factories import MemberFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, remittance_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(acme, journeyman, charged_2026):
    for number, first, last in (
        ("1001", "Ana", "Nunez"),
        ("1002", "Ben", "Brown"),
        ("1003", "Cy", "Diaz"),
    ):
        member = MemberFactory(
            member_number=number, first_name=first, last_name=last, classification=journeyman
        )
        AuthorizationFactory(member=member, employer=acme)
    MemberFactory(member_number="2002", last_name="Okafor", classification=journeyman)
    charged_2026()
    return remittance_check(
        employer=acme,
        content=remittance_csv(
            "1001,Nunez,Ana,,,2026-09,,,45.00",
            "1002,Brown,Ben,,,2026-09,,,40.00",
            ",Okafor,Chidi,X-1,,2026-09,,,45.00",
        ),
        file_name="acme.csv",
        received_on=RECEIVED,
        control_total=Decimal("130.00"),
        actor="tests",
    ).batch


def test_the_confirmation_says_who_is_credited_how_much_and_what_goes_to_suspense(
    client, batch, officer
):
    client.force_login(officer)
    url = reverse("admin:checkoff_remittancebatch_post", args=[batch.pk])
    preview = client.get(reverse("admin:checkoff_remittancebatch_change", args=[batch.pk]))
    assert url in preview.content.decode()  # the preview's "Post …" leads here

    page = client.get(url)
    text = page.content.decode()
    assert "2 payroll-deduction payments, $85.00" in text and "to 2 members" in text
    credited = text[text.index("Members credited") : text.index("To suspense")]
    assert "1001 Ana Nunez" in credited and "1002 Ben Brown" in credited
    assert "$40.00" in credited and "1003" not in credited
    assert "1 line, $45.00</strong>, in ACME's suspense" in text
    assert "UNMATCHED: Unmatched: no member found" in text
    assert "post nothing for 1 line" in text  # 1003, authorized, left out of the file
    assert "Post: 2 payments ($85.00) and 1 line to suspense ($45.00)" in text
    assert not Payment.objects.exists()  # looking posts nothing

    job_of(client.post(url, {"plan": page.context["plan"].fingerprint}))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [
        Decimal("40.00"),
        Decimal("45.00"),
    ]


def test_a_confirmation_drawn_before_a_line_was_matched_posts_nothing(client, batch, officer):
    client.force_login(officer)
    url = reverse("admin:checkoff_remittancebatch_post", args=[batch.pk])
    stale = client.get(url).context["plan"].fingerprint
    line = batch.lines.get(exception=LineException.UNMATCHED)
    okafor = MemberFactory._meta.model.objects.get(member_number="2002")
    remittance_line_match(line=line, member=okafor, note="Asked him", actor=officer)

    again = client.post(url, {"plan": stale})
    assert again.status_code == 200
    assert "The remittance changed since that page was drawn" in again.content.decode()
    assert "Post: 2 payments ($85.00) and 1 line to suspense ($45.00)" in again.content.decode()
    assert client.post(url).status_code == 200  # no plan at all: shown, not posted
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED and not Payment.objects.exists()


def test_a_line_matched_while_the_confirmed_post_waits_for_a_worker_stops_it(batch, officer):
    # Confirmed (the page's plan), then a line matched before the worker posts: the worker
    # checks the plan under the batch's lock and posts nothing; confirmed again, it posts.
    confirmed = posting_plan(batch).fingerprint
    line = batch.lines.get(exception=LineException.UNMATCHED)
    okafor = MemberFactory._meta.model.objects.get(member_number="2002")
    remittance_line_match(line=line, member=okafor, note="Asked him", actor=officer)

    with pytest.raises(ValidationError, match="matched after its posting was confirmed"):
        remittance_post(batch=batch, actor=officer, confirmed_plan=confirmed)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED and not Payment.objects.exists()

    remittance_post(batch=batch, actor=officer, confirmed_plan=posting_plan(batch).fingerprint)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED and Payment.objects.count() == 2


def test_a_batch_posted_or_out_of_balance_has_no_confirmation(client, batch, officer):
    client.force_login(officer)
    url = reverse("admin:checkoff_remittancebatch_post", args=[batch.pk])
    batch.control_total = Decimal("1.00")
    batch.save(update_fields=["control_total"])
    refused = client.get(url, follow=True).content.decode()
    assert "not the control total $1.00" in refused
    assert client.post(url, {"plan": "x"}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED


@pytest.mark.parametrize("role", [roles.STAFF, roles.ORGANIZER])
def test_only_officers_see_the_confirmation(client, batch, user_with_role, role):
    client.force_login(user_with_role(role))
    assert (
        client.get(reverse("admin:checkoff_remittancebatch_post", args=[batch.pk])).status_code
        == 403
    )
