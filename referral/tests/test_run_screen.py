"""The referral run screen in the admin (referral/admin/runs.py): a dispatcher runs the
morning referral from the runs' list and lands on the run's page, which shows, book by book,
the list as the run read it and each request's offers and skips with the reasons in words,
the rule version and the list hash; "Confirm" says how many it dispatches and marks, then
confirms; a refusal ("propose it again") is a message, never a 500; staff may look, not run
or confirm; the page's queries are the same for a run of 2 lines as of 20."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from referral.models import (
    CheckMark,
    Dispatch,
    ReferralRun,
    ReferralRunStatus,
    Requirement,
)
from referral.services import exemption_start, referral_run_propose

pytestmark = pytest.mark.django_db

LIST = reverse("admin:referral_referralrun_changelist")
PROPOSE = reverse("admin:referral_referralrun_propose")
WEDNESDAY = datetime.date(2026, 12, 9)


def _page(run) -> str:
    return reverse("admin:referral_referralrun_change", args=[run.pk])


def _confirm(run) -> str:
    return reverse("admin:referral_referralrun_confirm", args=[run.pk])


@pytest.fixture
def dispatcher(client, user_with_role):
    client.force_login(user_with_role(roles.DISPATCHER))
    return client


def _exempt(registration):
    exemption_start(
        registration=registration,
        kind="medical",
        starts_on=datetime.date(2026, 12, 1),
        actor="tests",
    )


def _morning(clock):
    clock.set(2026, 12, 9, 7, 0)


def test_running_the_morning_referral_leads_to_the_runs_page(
    dispatcher, registered, requested, clock
):
    on_list = [registered() for _ in range(3)]
    _exempt(on_list[0])
    osha = Requirement.objects.get(code="OSHA-30")
    labor_request = requested(positions=1)
    unfilled = requested(requirements=[osha])
    _morning(clock)

    assert 'href="' + PROPOSE + '"' in dispatcher.get(LIST).content.decode()
    response = dispatcher.post(PROPOSE, {"day": "2026-12-09"})

    run = ReferralRun.objects.get()
    assert response.status_code == 302 and response["Location"] == _page(run)
    page = dispatcher.get(_page(run))
    html = page.content.decode()
    assert page.status_code == 200
    assert run.list_hash in html and f"Rules v{run.rule_set.version}" in html
    books = page.context["books"]
    assert [book.code for book in books] == ["WIRE-N"]
    listed = books[0].listed
    assert [(e.position, e.registration_id, e.status) for e in listed] == [
        (1, on_list[0].pk, "Exempt"),
        (2, on_list[1].pk, "Registered"),
        (3, on_list[2].pk, "Registered"),
    ]
    assert on_list[1].member.full_name in html
    first, second = books[0].requests
    assert first.request_id == labor_request.pk
    assert [(line.position, line.offered, line.reason) for line in first.lines] == [
        (1, False, "Exempt"),
        (2, True, ""),
    ]
    assert second.request_id == unfilled.pk and second.unfilled == 1
    assert "Skipped: Lacks a requirement of the request" in html
    assert "Skipped: Exempt" in html
    assert _confirm(run) in html


def test_confirming_says_what_it_does_then_dispatches(dispatcher, registered, requested, clock):
    on_list = [registered() for _ in range(3)]
    _exempt(on_list[0])
    osha = Requirement.objects.get(code="OSHA-30")
    requested(positions=1)
    requested(requirements=[osha])
    _morning(clock)
    run = referral_run_propose(actor="tests")

    page = dispatcher.get(_confirm(run))

    html = page.content.decode()
    assert page.status_code == 200
    # One offer; on the unfilled request, registrations 2 and 3 passed over (lacking the
    # requirement; 2 was offered the first request, so already out): one mark.
    assert page.context["submit"] == "Dispatch 1 and give 1 check mark"
    assert "1 member offered a call is dispatched" in html
    assert not Dispatch.objects.exists()

    response = dispatcher.post(_confirm(run))

    assert response.status_code == 302 and response["Location"] == _page(run)
    run.refresh_from_db()
    assert run.status == ReferralRunStatus.CONFIRMED
    assert [d.registration_id for d in Dispatch.objects.all()] == [on_list[1].pk]
    assert [m.registration_id for m in CheckMark.objects.all()] == [on_list[2].pk]
    again = dispatcher.get(_page(run))
    assert _confirm(run) not in again.content.decode()
    # Confirmed once: its confirmation page leads back to it, saying why.
    back = dispatcher.get(_confirm(run), follow=True)
    assert any("only a proposed run" in str(m) for m in back.context["messages"])
    assert Dispatch.objects.count() == 1


def test_a_run_whose_lists_changed_is_refused_as_a_message(
    dispatcher, registered, requested, clock
):
    first = registered()
    requested()
    _morning(clock)
    run = referral_run_propose(actor="tests")
    _exempt(first)

    response = dispatcher.post(_confirm(run), follow=True)

    assert response.status_code == 200
    said = [str(m) for m in response.context["messages"]]
    assert any("propose it again" in m for m in said), said
    assert not Dispatch.objects.exists()
    run.refresh_from_db()
    assert run.status == ReferralRunStatus.PROPOSED


def test_no_request_waiting_is_a_message_not_a_run(dispatcher, registered, clock):
    registered()
    _morning(clock)
    response = dispatcher.post(PROPOSE, {"day": "2026-12-09"}, follow=True)
    assert response.status_code == 200
    assert any("No open request" in str(m) for m in response.context["messages"])
    assert not ReferralRun.objects.exists()


def test_an_unreadable_day_is_a_form_error(dispatcher, rules, clock):
    for day in ("yesterday", "0001-01-01", "2026-13-01"):
        assert dispatcher.post(PROPOSE, {"day": day}).status_code == 400
    assert not ReferralRun.objects.exists()


def test_staff_see_runs_but_may_not_run_or_confirm(
    client, user_with_role, registered, requested, clock
):
    registered()
    requested()
    _morning(clock)
    run = referral_run_propose(actor="tests")
    client.force_login(user_with_role(roles.STAFF))

    assert client.get(_page(run)).status_code == 200
    assert _confirm(run) not in client.get(_page(run)).content.decode()
    assert PROPOSE not in client.get(LIST).content.decode()
    assert client.get(PROPOSE).status_code == 403
    assert client.post(PROPOSE, {"day": "2026-12-09"}).status_code == 403
    assert client.get(_confirm(run)).status_code == 403
    assert client.post(_confirm(run)).status_code == 403
    run.refresh_from_db()
    assert run.status == ReferralRunStatus.PROPOSED and not Dispatch.objects.exists()


def _queries(client, url: str) -> int:
    client.get(url)  # warm: permissions, content types
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_run_page_costs_the_same_queries_for_2_lines_as_for_20(
    dispatcher, registered, requested, clock
):
    small = [registered() for _ in range(2)]
    for registration in small:
        _exempt(registration)
    requested()
    _morning(clock)
    two = referral_run_propose(actor="tests")
    assert two.lines.count() == 2
    # Measured while it is proposed: the next proposal of the day supersedes it.
    page_of_two = _queries(dispatcher, _page(two))
    confirm_of_two = _queries(dispatcher, _confirm(two))

    for _ in range(18):
        _exempt(registered())
    requested()
    _morning(clock)
    twenty = referral_run_propose(actor="tests")
    # Two requests, each passing all 20 over.
    assert twenty.lines.count() == 40

    assert _queries(dispatcher, _page(twenty)) == page_of_two
    assert _queries(dispatcher, _confirm(twenty)) == confirm_of_two


def test_a_large_morning_is_confirmed_by_a_worker(
    dispatcher, registered, requested, clock, settings
):
    from jobs.models import Job, JobStatus
    from jobs.services import job_run
    from jobs.tests.helpers import database_queue
    from referral.for_jobs import CONFIRMED_IN_REQUEST

    database_queue(settings)  # queued for a worker: nothing is dispatched in the request
    for _ in range(CONFIRMED_IN_REQUEST + 1):
        registered()
    requested(positions=CONFIRMED_IN_REQUEST + 1)
    _morning(clock)
    run = referral_run_propose(actor="tests")
    page = dispatcher.get(_confirm(run)).content.decode()
    assert "take a worker a while" in page

    response = dispatcher.post(_confirm(run))

    job = Job.objects.get()
    assert response["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert not Dispatch.objects.exists()  # nothing inside the request
    assert dispatcher.post(_confirm(run))["Location"] == response["Location"]  # pressed twice
    job_run(job.pk)  # as the worker does
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.outcome["dispatched"] == CONFIRMED_IN_REQUEST + 1
    assert Dispatch.objects.count() == CONFIRMED_IN_REQUEST + 1
    run.refresh_from_db()
    assert run.status == ReferralRunStatus.CONFIRMED
    job_page = dispatcher.get(response["Location"]).content.decode()
    assert _page(run) in job_page  # leads back to the run
