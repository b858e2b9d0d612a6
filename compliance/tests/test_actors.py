"""Every write names who did it: the officer who applies the arrears policy is named on the
member's status change as on the decision, whether the work runs in their request or in a
worker; work the scheduler starts is its kind's, a named system actor; and nothing that
runs as a job is left to "unknown"."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from audit.context import UNKNOWN_ACTOR, acting_as
from audit.models import AuditEvent
from compliance.services import arrears_policy_apply
from dues.models import DuesPeriod, PaymentMethod
from dues.services import payment_record
from jobs.models import JobStatus
from jobs.scheduling import SCHEDULER
from jobs.services import job_kind, job_start

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def behind(policy, member, in_advance_2026):
    """January paid; February, March and April not (suspended on April 1st)."""
    in_advance_2026()
    payment_record(
        member=member,
        amount=Decimal("45.00"),
        method=PaymentMethod.CHECK,
        received_date=D(2026, 1, 1),
        actor="tests",
    )
    return member


@pytest.fixture
def since():
    """Events written from here on."""
    first = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    return lambda: AuditEvent.objects.filter(seq__gt=first)


def status_change(member) -> AuditEvent:
    (event,) = [
        event
        for event in AuditEvent.objects.filter(model_label="members.member", object_id=member.pk)
        if event.action == "update" and "status" in event.changes
    ]
    return event


def run_job(kind: str, actor, **params):
    job = job_start(kind=job_kind(kind), key="", label=kind, actor=actor, params=params)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    return job


def test_the_officer_applying_the_policy_is_named_on_the_members_status_change(
    behind, officer, since
):
    arrears_policy_apply(day=D(2026, 4, 1), actor=officer)  # no request: as a worker runs it
    event = status_change(behind)
    assert (event.actor, event.actor_label) == (officer, "officer")
    assert event.changes["status"] == ["active", "suspended"]
    assert not since().filter(actor_label=UNKNOWN_ACTOR).exists()


def test_the_policy_applied_as_the_officers_job_is_the_officers(behind, officer, since):
    run_job("compliance.apply_arrears_policy", officer, as_of="2026-04-01")
    assert status_change(behind).actor == officer
    assert set(since().values_list("actor_label", flat=True)) == {"officer"}


def test_the_nightly_policy_is_named_by_its_kind(behind, since):
    run_job("compliance.apply_arrears_policy", SCHEDULER, as_of="2026-04-01")
    event = status_change(behind)
    assert (event.actor, event.actor_label) == (None, "compliance.apply_arrears_policy")
    assert set(since().values_list("actor_label", flat=True)) == {"compliance.apply_arrears_policy"}


def test_no_job_leaves_a_write_to_unknown(behind, officer, since):
    """The jobs that write, each as an officer would start it or as the scheduler does."""
    with acting_as(officer):
        later = DuesPeriod.objects.create(year=2026, month=7, due_date=D(2026, 7, 1))
    run_job("dues.generate_charges", officer, period_id=later.pk)
    run_job("compliance.eligibility_list", officer, title="Vote", record_date="2026-05-01")
    run_job("compliance.apply_arrears_policy", SCHEDULER, as_of="2026-07-01")
    run_job("dues.ledger_check", SCHEDULER)
    run_job("audit.verify", SCHEDULER)
    written = since()
    assert written.exists()
    assert not written.filter(actor_label=UNKNOWN_ACTOR).exists(), list(
        written.filter(actor_label=UNKNOWN_ACTOR).values_list("model_label", "action")
    )
