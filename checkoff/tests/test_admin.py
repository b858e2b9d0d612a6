"""The office's way through a remittance in the admin: upload, a worker checks it, the
preview shows every line and the totals, an officer posts it; suspense is resolved there."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import roles
from checkoff.models import BatchStatus, RemittanceBatch, SuspenseStatus
from dues.models import Payment
from jobs.tests.helpers import job_of
from members.tests.factories import MemberFactory

from .factories import AuthorizationFactory, remittance_csv

pytestmark = pytest.mark.django_db

UPLOAD_URL = reverse("admin:checkoff_remittancebatch_add")
FILE = remittance_csv("1001,Nunez,Ana,,,2026-09,,,45.00", "9999,Stranger,Sam,,,2026-09,,,45.00")


@pytest.fixture
def ana(acme, journeyman, charged_2026):
    member = MemberFactory(member_number="1001", last_name="Nunez", classification=journeyman)
    AuthorizationFactory(member=member, employer=acme)
    charged_2026()
    return member


def upload(client, acme, content=FILE, control="90.00"):
    return client.post(
        UPLOAD_URL,
        {
            "employer": acme.pk,
            "file": SimpleUploadedFile("acme.csv", content, content_type="text/csv"),
            "received_on": "2026-10-10",
            "reference": "CHK 5521",
            "control_total": control,
        },
    )


def test_an_officer_uploads_previews_and_posts_a_remittance(client, user_with_role, acme, ana):
    client.force_login(user_with_role(roles.OFFICER))
    checked = job_of(upload(client, acme))
    assert "2 lines read, $90.00 in all" in checked.outcome["message"]
    batch = RemittanceBatch.objects.get()
    preview = client.get(checked.outcome["next_url"]).content.decode()
    assert "UNMATCHED" in preview and "Stranger" in preview
    assert "Post 1 payment and 1 to suspense" in preview
    assert not Payment.objects.exists()

    post = reverse("admin:checkoff_remittancebatch_post", args=[batch.pk])
    confirm = client.get(post)
    assert "1 payroll-deduction payment, $45.00" in confirm.content.decode()
    assert not Payment.objects.exists()
    posted = job_of(client.post(post, {"plan": confirm.context["plan"].fingerprint}))
    # One of each: said in the singular ("1 line", never "1 lines").
    assert posted.outcome["message"] == "Posted: 1 payment ($45.00); 1 line to suspense ($45.00)."
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED
    assert ana.payments.get().amount == Decimal("45.00")

    line = batch.lines.get(suspense=SuspenseStatus.OPEN)
    resolve = reverse("admin:checkoff_remittanceline_resolve", args=[line.pk])
    page = client.post(resolve, {"action": "applied", "member": "nobody", "note": "x"})
    assert "Choose one of the members found." in page.content.decode()
    response = client.post(resolve, {"action": "returned", "note": "Sent back with check 77"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.suspense == SuspenseStatus.RETURNED


def test_a_batch_out_of_balance_is_shown_and_not_posted(client, user_with_role, acme, ana):
    client.force_login(user_with_role(roles.OFFICER))
    job_of(upload(client, acme, control="100.00"))
    batch = RemittanceBatch.objects.get()
    preview = client.get(reverse("admin:checkoff_remittancebatch_change", args=[batch.pk]))
    assert "not the control total $100.00" in preview.content.decode()
    client.post(reverse("admin:checkoff_remittancebatch_post", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.CHECKED


def test_a_bad_file_is_refused_with_its_rows(client, user_with_role, acme, ana):
    client.force_login(user_with_role(roles.OFFICER))
    checked = job_of(upload(client, acme, content=remittance_csv("1001,,,,,March,,,45")))
    assert checked.outcome["errors"] == ['Row 2, period: "March" is not a month: write 2026-03.']
    assert not RemittanceBatch.objects.exists()


@pytest.mark.parametrize("role", [roles.STAFF, roles.ORGANIZER])
def test_only_officers_upload_and_post(client, user_with_role, acme, role):
    client.force_login(user_with_role(role))
    assert client.get(UPLOAD_URL).status_code == 403
    batch = RemittanceBatch.objects.create(
        employer=acme, year=2026, month=9, received_on="2026-10-10", total=0
    )
    assert (
        client.post(reverse("admin:checkoff_remittancebatch_post", args=[batch.pk])).status_code
        == 403
    )


def test_the_preview_query_count_does_not_grow_with_its_lines(
    client, user_with_role, acme, ana, django_assert_max_num_queries
):
    client.force_login(user_with_role(roles.OFFICER))
    rows = [f"{9000 + i},Stranger,Sam,,,2026-09,,,45.00" for i in range(150)]
    job_of(upload(client, acme, content=remittance_csv(*rows), control="6750.00"))
    batch = RemittanceBatch.objects.get()
    with django_assert_max_num_queries(14):
        page = client.get(reverse("admin:checkoff_remittancebatch_change", args=[batch.pk]))
    assert page.status_code == 200 and "Page 1 of 2" in page.content.decode()
