"""The governance pages (docs/design.md §10): Officer and Admin only, in the office's navigation,
each CSV an audit event, bad input a message on its field, lists paged at a constant
number of queries."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditAction, AuditEvent
from compliance.models import PerCapitaRate, StandingHold
from compliance.services import (
    eligibility_list_create,
    eligibility_list_publish,
    per_capita_report_work_out,
)
from jobs.models import Job
from members.tests.factories import MemberFactory

from .factories import AffiliateFactory

pytestmark = pytest.mark.django_db
D = datetime.date
PAGES = [
    reverse("compliance:arrears"),
    reverse("compliance:eligibility"),
    reverse("compliance:per_capita"),
    reverse("compliance:lm"),
]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [("Admin", 200), ("Officer", 200), ("Staff", 403), ("Organizer", 403), ("Member", 403)],
)
def test_only_officers_and_admins_open_governance(
    client, user_with_role, policy, url, role, status
):
    client.force_login(user_with_role(role))
    assert client.get(url).status_code == status


def test_governance_is_in_the_offices_navigation(client, user_with_role, policy):
    client.force_login(user_with_role("Officer"))
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("compliance:arrears") in page
    client.force_login(user_with_role("Staff"))
    assert reverse("compliance:arrears") not in client.get(reverse("admin:index")).content.decode()


def test_the_arrears_page_states_the_rules_and_a_job_lists_the_changes(
    client, officer, policy, member, in_advance_2026
):
    in_advance_2026()
    client.force_login(officer)
    page = client.get(reverse("compliance:arrears"), {"as_of": "2026-04-01"}).content.decode()
    assert "owed from the first moment of their due date" in page
    bad = client.get(reverse("compliance:arrears"), {"as_of": "April"})
    assert bad.status_code == 400
    assert "Enter a valid date" in bad.content.decode()

    response = client.post(
        reverse("compliance:arrears"), {"action": "dry_run", "as_of": "2026-04-01"}
    )
    job = Job.objects.get()
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert "would change 1 member(s)" in job.outcome["message"]
    assert f"{member.member_number} {member.full_name}: Suspension." in job.outcome["errors"][0]
    rows = list(csv.reader(io.StringIO(job.result.read().decode())))
    assert rows[1][:5] == [
        member.member_number,
        member.full_name,
        "Suspension",
        "active",
        "suspended",
    ]
    member.refresh_from_db()
    assert member.status == "active"  # a dry run

    assert job.outcome["next_url"] == reverse("compliance:arrears_apply", args=[job.pk])
    client.post(reverse("compliance:arrears_apply", args=[job.pk]), {"confirm": "yes"})
    member.refresh_from_db()
    assert member.status == "suspended"
    page = client.get(reverse("compliance:arrears")).content.decode()
    assert "Latest decisions" in page and "suspended at 3" in page


def test_a_day_in_the_future_is_refused(client, officer, policy):
    client.force_login(officer)
    response = client.post(
        reverse("compliance:arrears"), {"action": "dry_run", "as_of": "2099-01-01"}, follow=True
    )
    assert "Choose today or a past day" in response.content.decode()
    assert not Job.objects.exists()


def test_a_hold_is_kept_and_a_bad_member_number_said(client, officer, policy, member):
    client.force_login(officer)
    client.post(
        reverse("compliance:arrears"),
        {"action": "hold", "member": member.member_number, "reason": "Laid off"},
    )
    assert StandingHold.objects.get().member == member
    response = client.post(
        reverse("compliance:arrears"),
        {"action": "hold", "member": "nobody", "reason": "x"},
        follow=True,
    )
    assert "No member has number" in response.content.decode()
    assert StandingHold.objects.count() == 1


def test_the_eligibility_csv_is_the_frozen_list_and_an_audit_event(client, officer, policy, member):
    elist = eligibility_list_publish(
        elist=eligibility_list_create(title="Vote", record_date=D(2026, 4, 1), actor=officer),
        actor=officer,
    )
    client.force_login(officer)
    page = client.get(reverse("compliance:eligibility_detail", args=[elist.pk])).content.decode()
    assert elist.sha256 in page
    response = client.get(
        reverse("compliance:eligibility_detail", args=[elist.pk]), {"format": "csv"}
    )
    assert b"".join(response.streaming_content).decode() == elist.snapshot
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, model_label="compliance.eligibilitylist", actor=officer
    ).exists()


def test_the_eligibility_page_costs_the_same_queries_for_more_members(
    client, officer, policy, journeyman
):
    client.force_login(officer)

    def queries(n: int) -> int:
        MemberFactory.create_batch(n, classification=journeyman, join_date=D(2020, 1, 1))
        elist = eligibility_list_create(title=f"{n}", record_date=D(2026, 4, 1), actor=officer)
        url = reverse("compliance:eligibility_detail", args=[elist.pk])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    assert queries(2) == queries(30)


def test_per_capita_csv_in_the_affiliates_column_order(client, officer, policy, member):
    affiliate = AffiliateFactory(code="IO", csv_columns="amount,category,count,month")
    PerCapitaRate.objects.create(
        affiliate=affiliate, amount=Decimal("24.50"), effective_date=D(2020, 1, 1)
    )
    per_capita_report_work_out(affiliate=affiliate, year=2026, month=3, actor=officer)
    client.force_login(officer)
    response = client.get(
        reverse("compliance:per_capita"),
        {"month": "2026-03", "affiliate": affiliate.pk, "format": "csv"},
    )
    assert csv_rows(response) == [
        ["amount", "category", "count", "month"],
        ["24.50", "JW", "1", "2026-03"],
    ]
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, model_label="compliance.percapitareport"
    ).exists()
    page = client.get(reverse("compliance:per_capita"), {"month": "2026-03"}).content.decode()
    assert "Roll-forward" in page


def test_per_capita_submission_refused_shows_why(client, officer, policy, member, journeyman):
    affiliate = AffiliateFactory(code="IO", opening_count=5)
    client.force_login(officer)
    client.post(
        reverse("compliance:per_capita"),
        {"month": "2026-03", "affiliate": affiliate.pk, "action": "work_out"},
    )
    response = client.post(
        reverse("compliance:per_capita"),
        {"month": "2026-03", "affiliate": affiliate.pk, "action": "submit"},
        follow=True,
    )
    assert "roll-forward does not hold: 5 last month" in response.content.decode()


def test_lm_page_and_csv_to_the_cent(client, officer, policy):
    client.force_login(officer)
    page = client.get(reverse("compliance:lm"), {"year": "2025"}).content.decode()
    assert "LM-4" in page
    rows = dict(
        map(
            tuple, csv_rows(client.get(reverse("compliance:lm"), {"year": "2025", "format": "csv"}))
        )
    )
    assert rows["form"] == "LM-4"
    assert rows["total_receipts"] == "0.00"
    assert client.get(reverse("compliance:lm"), {"year": "twenty"}).status_code == 400
