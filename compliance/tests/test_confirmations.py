"""Governance's irreversible steps are said before they are done (docs/style.md): applying the
arrears policy applies exactly what its dry run listed, once confirmed, or nothing if the
records changed since; publishing an eligibility list says what it freezes first; per
capita for a month not over warns before it counts."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from compliance.models import ChangeKind, EligibilityList, PerCapitaReport, StandingChange
from compliance.services import (
    eligibility_list_create,
    eligibility_list_publish,
    standing_hold,
    standing_hold_release,
)
from dues.models import Adjustment, PaymentMethod
from dues.services import payment_record
from jobs.models import Job
from members.tests.factories import MemberFactory

from .factories import AffiliateFactory

pytestmark = pytest.mark.django_db
D = datetime.date
DAY = "2026-04-01"


JANUARY = D(2026, 1, 1)


def pay(member, amount: str, day: datetime.date = JANUARY) -> None:
    payment_record(
        member=member,
        amount=Decimal(amount),
        method=PaymentMethod.CHECK,
        received_date=day,
        actor="tests",
    )


@pytest.fixture
def local(policy, journeyman, in_advance_2026, officer):
    """On April 1st 2026 (dues in advance): Adams owes four months (suspended, $30 fee);
    Baker and Cole owe one (a notice; Cole has no email); Dunn owes four but is held."""
    adams = MemberFactory(member_number="1001", first_name="Ann", last_name="Adams")
    baker = MemberFactory(member_number="1002", first_name="Bob", last_name="Baker")
    cole = MemberFactory(member_number="1003", first_name="Cy", last_name="Cole", email="")
    dunn = MemberFactory(member_number="1004", first_name="Di", last_name="Dunn")
    for m in (adams, baker, cole, dunn):
        m.classification = journeyman
        m.join_date = D(2015, 1, 1)
        m.save()
    in_advance_2026()
    pay(baker, "135.00")
    pay(cole, "135.00")
    standing_hold(member=dunn, reason="Laid off, appealing", actor=officer)
    return adams, baker, cole, dunn


def dry_run(client) -> Job:
    response = client.post(reverse("compliance:arrears"), {"action": "dry_run", "as_of": DAY})
    job = Job.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-2]))
    assert job.status == "succeeded", job.error
    return job


def statuses(*members) -> list[str]:
    return [type(m).objects.get(pk=m.pk).status for m in members]


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_applying_straight_from_the_page_applies_nothing(client, officer, local):
    client.force_login(officer)
    response = client.post(
        reverse("compliance:arrears"), {"action": "apply", "as_of": DAY}, follow=True
    )
    assert "Nothing was applied. List what the policy changes first" in text(response)
    assert not Job.objects.exists()
    assert statuses(*local) == ["active"] * 4
    page = client.get(reverse("compliance:arrears"), {"as_of": DAY}).content.decode()
    assert 'value="apply"' not in page and 'value="dry_run"' in page


def test_the_dry_run_offers_its_list_and_the_confirmation_says_what_will_happen(
    client, officer, local
):
    client.force_login(officer)
    job = dry_run(client)
    confirm = reverse("compliance:arrears_apply", args=[job.pk])
    assert (job.outcome["next_url"], job.outcome["next_label"]) == (confirm, "Apply exactly these")
    job_page = client.get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    assert f'href="{confirm}">Apply exactly these' in job_page

    response = client.get(confirm)
    assert response.status_code == 200
    page = text(response)
    assert "Suspension 1 $180.00" in page  # Adams: four months of $45.00
    assert "Notice before suspension 2 $90.00" in page
    assert "Total 3" in page
    assert "A reinstatement fee of $30.00 is charged to each of the 1 member suspended" in page
    assert "1 member is emailed a notice before suspension: 1002 Bob Baker." in page
    assert "1 member given a notice has no email address" in page
    assert "1 member held by an officer is left as they are: 1004 Di Dunn" in page
    assert 'value="Yes, apply these 3 changes"' in response.content.decode()
    # Saying it changed nothing.
    assert statuses(*local) == ["active"] * 4
    assert not StandingChange.objects.exists() and mail.outbox == []


def test_posting_the_confirmation_without_confirming_does_nothing(client, officer, local):
    client.force_login(officer)
    job = dry_run(client)
    confirm = reverse("compliance:arrears_apply", args=[job.pk])
    response = client.post(confirm, follow=True)
    assert "Nothing was applied: confirm with the button below." in text(response)
    assert Job.objects.count() == 1
    assert statuses(*local) == ["active"] * 4
    assert not StandingChange.objects.exists()


def test_confirming_applies_exactly_the_listed_members(
    client, officer, local, django_capture_on_commit_callbacks
):
    adams, baker, cole, dunn = local
    client.force_login(officer)
    job = dry_run(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("compliance:arrears_apply", args=[job.pk]), {"confirm": "yes"}
        )
    applied = Job.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("admin:jobs_job_change", args=[applied.pk])
    assert applied.status == "succeeded", applied.error
    assert applied.params["plan_job"] == job.pk
    assert statuses(adams, baker, cole, dunn) == ["suspended", "active", "active", "active"]
    assert sorted(StandingChange.objects.values_list("member__member_number", "kind")) == [
        ("1001", ChangeKind.SUSPEND),
        ("1002", ChangeKind.NOTICE),
        ("1003", ChangeKind.NOTICE),
    ]
    assert [m.to for m in mail.outbox] == [[baker.email]]
    assert Adjustment.objects.get().amount == Decimal("30.00")


def test_when_a_member_not_listed_is_now_proposed_nothing_is_applied(
    client, officer, local, django_capture_on_commit_callbacks
):
    dunn = local[3]
    client.force_login(officer)
    job = dry_run(client)
    standing_hold_release(hold=dunn.standing_holds.get(), actor=officer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("compliance:arrears_apply", args=[job.pk]), {"confirm": "yes"})
    applied = Job.objects.exclude(pk=job.pk).get()
    assert applied.status == "failed"
    assert "The records changed since the dry run for 2026-04-01" in applied.error
    assert "1004 Di Dunn (suspension) is proposed but was not listed" in applied.error
    assert "Nothing was applied" in applied.error
    assert statuses(*local) == ["active"] * 4
    assert not StandingChange.objects.exists() and mail.outbox == []


def test_when_a_listed_member_is_no_longer_proposed_nothing_is_applied(client, officer, local):
    baker = local[1]
    client.force_login(officer)
    job = dry_run(client)
    pay(baker, "45.00", D(2026, 4, 1))  # April paid on the day: no notice any more
    client.post(reverse("compliance:arrears_apply", args=[job.pk]), {"confirm": "yes"})
    applied = Job.objects.exclude(pk=job.pk).get()
    assert applied.status == "failed"
    assert "1002 (notice before suspension) is no longer proposed" in applied.error
    assert statuses(*local) == ["active"] * 4
    assert not StandingChange.objects.exists()


def test_a_refused_application_offers_a_new_dry_run_not_a_retry(client, officer, local):
    """The list no longer matches: nothing was written, and the same job would refuse again.
    Its page says so and leads to the arrears policy on that day, where a new dry run is
    listed; a retry asked anyway is refused."""
    baker = local[1]
    client.force_login(officer)
    job = dry_run(client)
    pay(baker, "45.00", D(2026, 4, 1))
    client.post(reverse("compliance:arrears_apply", args=[job.pk]), {"confirm": "yes"})
    applied = Job.objects.exclude(pk=job.pk).get()
    assert (applied.status, applied.refused) == ("failed", True)

    page = client.get(reverse("admin:jobs_job_change", args=[applied.pk])).content.decode()
    arrears_on_the_day = reverse("compliance:arrears") + f"?as_of={DAY}"
    assert '<strong class="job-status">Refused</strong>' in page
    assert re.search(r'<form [^>]*class="job-retry" hidden>', page)
    assert f'href="{arrears_on_the_day}">Start again from the arrears policy</a>' in page
    status = client.get(reverse("admin:jobs_job_status", args=[applied.pk])).json()
    assert status["retryable"] is False
    retried = client.post(reverse("admin:jobs_job_retry", args=[applied.pk]), follow=True)
    assert "refused, not stopped" in text(retried)
    assert Job.objects.get(pk=applied.pk).status == "failed"
    assert not StandingChange.objects.exists()
    # Where it leads: the day's policy, and its button that lists the changes again.
    assert 'value="dry_run"' in client.get(arrears_on_the_day).content.decode()


def test_a_list_applied_twice_changes_nothing_the_second_time(client, officer, local):
    client.force_login(officer)
    job = dry_run(client)
    confirm = reverse("compliance:arrears_apply", args=[job.pk])
    client.post(confirm, {"confirm": "yes"})
    client.post(confirm, {"confirm": "yes"})
    second = Job.objects.exclude(pk=job.pk).order_by("-pk").first()
    assert second.status == "succeeded", second.error
    assert second.outcome["applied"] == 0
    assert StandingChange.objects.count() == 3


def test_the_confirmation_is_only_for_a_dry_run_and_for_officers(
    client, officer, local, user_with_role
):
    client.force_login(officer)
    job = dry_run(client)
    client.post(reverse("compliance:arrears_apply", args=[job.pk]), {"confirm": "yes"})
    applied = Job.objects.exclude(pk=job.pk).get()
    assert client.get(reverse("compliance:arrears_apply", args=[applied.pk])).status_code == 404
    assert client.get(reverse("compliance:arrears_apply", args=[99999])).status_code == 404
    client.force_login(user_with_role("Staff"))
    confirm = reverse("compliance:arrears_apply", args=[job.pk])
    assert client.get(confirm).status_code == 403
    assert client.post(confirm, {"confirm": "yes"}).status_code == 403
    assert Job.objects.count() == 2


def test_a_dry_run_with_nothing_to_apply_offers_nothing(client, officer, policy, member):
    client.force_login(officer)
    job = dry_run(client)
    assert job.outcome["next_url"] == reverse("compliance:arrears") + f"?as_of={DAY}"
    response = client.get(reverse("compliance:arrears_apply", args=[job.pk]), follow=True)
    assert "lists no change to apply" in text(response)


# --- Publishing an eligibility list -------------------------------------------------------


@pytest.fixture
def draft(local, officer):
    return eligibility_list_create(title="Officers 2026", record_date=D(2026, 4, 1), actor=officer)


def test_publishing_says_what_it_freezes_and_asks_first(client, officer, draft):
    client.force_login(officer)
    detail = reverse("compliance:eligibility_detail", args=[draft.pk])
    publish = reverse("compliance:eligibility_publish", args=[draft.pk])
    assert f'href="{publish}"' in client.get(detail).content.decode()
    # The old button's post, and the confirmation's post without its yes, publish nothing.
    assert client.post(detail, {"action": "publish"})["Location"] == publish
    response = client.post(publish, follow=True)
    assert "Nothing was published: confirm with the button below." in text(response)
    draft.refresh_from_db()
    assert not draft.is_published

    page = text(client.get(publish))
    assert "4 members on record date 2026-04-01" in page
    assert "Eligible 0" in page
    assert "Not eligible: owed dues on the record date 4" in page
    assert "Total 4" in page
    assert "Nobody is emailed" in page
    assert "before its record date had ended" not in page
    assert 'value="Yes, publish and freeze the list of 4"' in client.get(publish).content.decode()
    draft.refresh_from_db()
    assert not draft.is_published

    response = client.post(publish, {"confirm": "yes"}, follow=True)
    draft.refresh_from_db()
    assert draft.is_published and draft.sha256 in response.content.decode()
    assert "Published: the list is frozen." in text(response)


def test_a_draft_worked_out_before_its_day_ended_is_said(client, officer, local):
    today = datetime.date.today()
    elist = eligibility_list_create(title="Today", record_date=today, actor=officer)
    client.force_login(officer)
    page = text(client.get(reverse("compliance:eligibility_publish", args=[elist.pk])))
    assert "before its record date had ended" in page


def test_a_published_list_is_not_published_again(client, officer, draft):
    draft = eligibility_list_publish(elist=draft, actor=officer)
    client.force_login(officer)
    response = client.post(
        reverse("compliance:eligibility_publish", args=[draft.pk]), {"confirm": "yes"}, follow=True
    )
    assert "already published" in text(response)
    assert EligibilityList.objects.get().sha256 == draft.sha256


def test_a_refused_second_inspection_is_said_at_the_top(client, officer, draft):
    eligibility_list_publish(elist=draft, actor=officer)
    client.force_login(officer)
    url = reverse("compliance:eligibility_detail", args=[draft.pk])
    client.post(url, {"action": "inspect", "candidate": "1001"})
    response = client.post(url, {"action": "inspect", "candidate": "1001"})
    assert response.status_code == 400
    html = response.content.decode()
    top = html.index('<ul class="messagelist">')
    said = html.index("once within 30 days")
    assert top < said < html.index("Record date")  # above the page's own content
    assert draft.inspections.count() == 1


# --- Per capita, LM ---------------------------------------------------------------------


def test_per_capita_for_a_month_not_ended_warns_before_it_counts(client, officer, policy):
    affiliate = AffiliateFactory(code="IO")
    today = datetime.date.today()
    month = f"{today:%Y-%m}"
    client.force_login(officer)
    assert "has not ended" in text(client.get(reverse("compliance:per_capita"), {"month": month}))
    post = {"month": month, "affiliate": affiliate.pk, "action": "work_out"}
    response = client.post(reverse("compliance:per_capita"), post)
    assert response.status_code == 200
    assert f"{month} has not ended" in text(response)
    assert 'value="Count it now anyway, as a draft"' in response.content.decode()
    assert not PerCapitaReport.objects.exists()
    client.post(reverse("compliance:per_capita"), {**post, "confirm": "yes"})
    assert PerCapitaReport.objects.get().label == month


def test_per_capita_for_an_ended_month_counts_straight_away(client, officer, policy):
    affiliate = AffiliateFactory(code="IO")
    client.force_login(officer)
    page = text(client.get(reverse("compliance:per_capita"), {"month": "2025-03"}))
    assert "has not ended" not in page
    client.post(
        reverse("compliance:per_capita"),
        {"month": "2025-03", "affiliate": affiliate.pk, "action": "work_out"},
    )
    assert PerCapitaReport.objects.get().label == "2025-03"


def test_the_lm_page_opens_on_the_latest_year_with_receipts(client, officer, policy, member):
    client.force_login(officer)
    last_year = datetime.date.today().year - 1
    assert f"Fiscal year {last_year} " in text(client.get(reverse("compliance:lm")))
    pay(member, "45.00", D(2024, 5, 1))
    response = client.get(reverse("compliance:lm"))
    assert "Fiscal year 2024 " in text(response)
    html = response.content.decode()
    assert 'href="?year=2024&amp;format=csv" class="button"' in html
    assert re.search(r"<tfoot><tr><th scope=\"row\">Total \(item 20\)", html)


def test_the_lm_page_names_the_categorys_vote_apart_from_the_eligibility_list(client, officer):
    # Schedule 13 gives a category's rule; an eligibility list excludes a retired member of
    # a category that may vote. The page names which is which, so the two never contradict.
    client.force_login(officer)
    page = text(client.get(reverse("compliance:lm")))
    assert "Category may vote" in page
    assert "a retired member of a category that may vote is listed as not eligible" in page
