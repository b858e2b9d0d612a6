"""Labor requests received, cancelled, expired and filled through the services
(referral/services/requests.py): every refusal is a field error and writes nothing; a
by-name request needs the member's attestation, a member on the book's list in good
standing, and no blackout from that employer; a request is never over-filled (the service
refuses, the database refuses, and on PostgreSQL fillers racing past the positions are
refused all but as many as it asks)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts import roles
from apikit.errors import ConflictError
from checkoff.tests.factories import EmployerFactory
from jobs import scheduling
from members.models import MemberStatus
from members.tests.factories import MemberFactory
from referral.for_jobs import NIGHTLY
from referral.models import Blackout, LaborRequest, LaborRequestStatus, Requirement
from referral.selectors import blacked_out
from referral.services import (
    labor_request_cancel,
    labor_request_receive,
    labor_requests_expire,
    registration_register,
)
from referral.services.requests import _filled_by

pytestmark = pytest.mark.django_db

TUESDAY = datetime.date(2026, 12, 8)
WEDNESDAY = datetime.date(2026, 12, 9)


@pytest.fixture
def employer(db):
    return EmployerFactory(code="ACME")


@pytest.fixture
def member(book):
    member = MemberFactory(classification=book.classification)
    registration_register(member=member, book=book, actor="tests")
    return member


@pytest.fixture
def receive(book, employer, clock):
    """Receive a request on Tuesday morning (referral day: Wednesday), with `changes`."""
    clock.set(2026, 12, 8, 9, 0)

    def go(**changes):
        values = {
            "employer": employer,
            "book": book,
            "positions": 2,
            "start_on": WEDNESDAY,
            "start_at": datetime.time(7, 0),
            "worksite": "1 Main St, Bellevue",
            "report_to": "Gate 3",
            "wage": Decimal("52.10"),
            "requirements": Requirement.objects.filter(code__in=["OSHA-30", "DRUG-TEST"]),
            "short_call": False,
            "agreement_type": "standard",
            "actor": "tests",
            **changes,
        }
        return labor_request_receive(**values)

    return go


def test_a_request_received_is_open_for_the_next_working_days_referral(receive, rules):
    made = receive()
    assert made.status == LaborRequestStatus.OPEN and made.filled == 0
    assert made.referral_day == WEDNESDAY
    assert made.rule_set == rules
    assert made.received_by_name and made.received_at
    assert sorted(made.requirements.values_list("code", flat=True)) == ["DRUG-TEST", "OSHA-30"]
    assert made.history.count() == 1


def test_the_requirements_are_rows_seeded_by_the_migration():
    assert {"OSHA-10", "OSHA-30", "DRUG-TEST"} <= set(
        Requirement.objects.values_list("code", flat=True)
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"positions": 0}, "positions"),
        ({"positions": -1}, "positions"),
        ({"wage": Decimal("0.00")}, "wage"),
        ({"wage": Decimal("-5.00")}, "wage"),
        ({"start_on": TUESDAY}, "start_on"),  # before its referral day, Wednesday
        ({"worksite": "  "}, "worksite"),
        ({"agreement_type": "union-ish"}, "agreement_type"),
    ],
)
def test_a_bad_request_is_refused_by_field_and_nothing_is_written(receive, changes, field):
    with pytest.raises(ValidationError) as refused:
        receive(**changes)
    assert field in refused.value.message_dict
    assert not LaborRequest.objects.exists()


def test_a_request_after_the_cutoff_cannot_start_on_the_next_day(receive, clock):
    clock.set(2026, 12, 8, 15, 0)
    with pytest.raises(ValidationError) as refused:
        receive(start_on=WEDNESDAY)
    assert "Thu Dec 10" in refused.value.message_dict["start_on"][0]


def test_a_closed_book_takes_no_request(receive, book):
    book.active = False
    book.save()
    with pytest.raises(ValidationError) as refused:
        receive()
    assert refused.value.message_dict["book"] == [f"Book {book.code} is closed."]


def test_a_by_name_request_records_the_attestation(receive, member):
    made = receive(named_member=member, attestation="Employer: the member did not ask.")
    assert made.named_member == member and made.by_name
    assert made.attestation == "Employer: the member did not ask."
    assert made.attested_by_name


def test_a_by_name_request_without_an_attestation_is_refused(receive, member):
    with pytest.raises(ValidationError) as refused:
        receive(named_member=member, attestation="  ")
    assert "did not solicit" in refused.value.message_dict["attestation"][0]
    assert not LaborRequest.objects.exists()


def test_a_by_name_request_for_a_member_not_on_the_book_is_refused(receive, book):
    stranger = MemberFactory(classification=book.classification)
    with pytest.raises(ValidationError) as refused:
        receive(named_member=stranger, attestation="Not solicited.")
    assert "is not on book" in refused.value.message_dict["named_member"][0]


def test_a_by_name_request_for_a_member_out_of_good_standing_is_refused(receive, member):
    member.status = MemberStatus.SUSPENDED
    member.save()
    with pytest.raises(ValidationError) as refused:
        receive(named_member=member, attestation="Not solicited.")
    assert "good standing" in refused.value.message_dict["named_member"][0]


def test_a_by_name_request_for_a_blacked_out_member_is_refused(receive, member, employer):
    Blackout.objects.create(
        member=member,
        employer=employer,
        starts_on=datetime.date(2026, 12, 1),
        ends_on=WEDNESDAY,  # the referral day is the last day of it
        reason="Quit",
    )
    with pytest.raises(ValidationError) as refused:
        receive(named_member=member, attestation="Not solicited.")
    assert "blacked out" in refused.value.message_dict["named_member"][0]
    assert not LaborRequest.objects.exists()
    # Another employer may ask for them by name; and so may this one once it has ended.
    other = EmployerFactory(code="VOLT", name="Volt Co")
    assert receive(employer=other, named_member=member, attestation="Not solicited.").pk
    assert blacked_out(member, employer, WEDNESDAY + datetime.timedelta(days=1)) is None


def test_receiving_asks_for_the_permission(receive, user_with_role):
    with pytest.raises(PermissionDenied):
        receive(actor=user_with_role(roles.STAFF))
    assert receive(actor=user_with_role(roles.DISPATCHER)).received_by_name


def test_the_same_idempotency_key_gets_the_first_request_back(receive):
    first = receive(idempotency_key="acme-0001")
    assert receive(idempotency_key="acme-0001") == first
    assert LaborRequest.objects.count() == 1
    with pytest.raises(ConflictError):
        receive(idempotency_key="acme-0001", positions=3)
    with pytest.raises(ConflictError):
        receive(idempotency_key="acme-0001", requirements=[])
    assert LaborRequest.objects.count() == 1


# --- Cancel, expire ------------------------------------------------------------------------


def test_cancel_ends_an_open_request_once(receive):
    made = receive()
    cancelled = labor_request_cancel(labor_request=made, reason="Job postponed", actor="tests")
    assert cancelled.status == LaborRequestStatus.CANCELLED
    assert cancelled.cancel_reason == "Job postponed" and cancelled.ended_at
    with pytest.raises(ValidationError, match="only an open one"):
        labor_request_cancel(labor_request=made, reason="Again", actor="tests")


def test_cancel_asks_why_and_for_the_permission(receive, user_with_role):
    made = receive()
    with pytest.raises(ValidationError) as refused:
        labor_request_cancel(labor_request=made, reason=" ", actor="tests")
    assert "reason" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        labor_request_cancel(labor_request=made, reason="x", actor=user_with_role(roles.STAFF))
    made.refresh_from_db()
    assert made.status == LaborRequestStatus.OPEN


def test_requests_whose_referral_day_passed_unfilled_expire_once(receive, clock):
    unfilled = receive()
    partly = receive()
    _filled_by(partly, 1, actor="tests")
    full = receive(positions=1)
    _filled_by(full, 1, actor="tests")
    clock.set(2026, 12, 9, 23, 59)  # the referral day itself: not yet
    assert labor_requests_expire(actor="tests") == 0
    later = receive(start_on=datetime.date(2026, 12, 11))  # for Thursday's referral
    clock.set(2026, 12, 10, 0, 1)
    assert labor_requests_expire(actor="tests") == 2
    assert labor_requests_expire(actor="tests") == 0  # run again: nothing more
    statuses = dict(LaborRequest.objects.values_list("pk", "status"))
    assert statuses == {
        unfilled.pk: LaborRequestStatus.EXPIRED,
        partly.pk: LaborRequestStatus.EXPIRED,
        full.pk: LaborRequestStatus.FILLED,
        later.pk: LaborRequestStatus.OPEN,
    }
    unfilled.refresh_from_db()
    assert unfilled.ended_at == clock.now
    assert unfilled.history.first().history_type == "~"


def test_the_nightly_job_expires_the_requests_of_a_day_gone_by(receive, clock):
    made = receive()
    at = clock.set(2026, 12, 10, 0, 15)  # the night after Wednesday, its referral day
    nightly = next(job for job in scheduling.schedule_due_jobs(now=at) if job.kind == NIGHTLY.name)
    nightly.refresh_from_db()
    assert nightly.outcome["requests_expired"] == 1, nightly.error
    made.refresh_from_db()
    assert made.status == LaborRequestStatus.EXPIRED


# --- Filled, never over-filled --------------------------------------------------------------


def test_filling_moves_the_status_and_never_past_the_positions(receive):
    made = receive(positions=2)
    with pytest.raises(ValidationError, match="1 left, not 2"):
        _filled_by(_filled_by(made, 1, actor="tests"), 2, actor="tests")
    made.refresh_from_db()
    assert (made.filled, made.status) == (1, LaborRequestStatus.PARTIALLY_FILLED)
    made = _filled_by(made, 1, actor="tests")
    assert (made.filled, made.status) == (2, LaborRequestStatus.FILLED)
    with pytest.raises(ValidationError, match="takes no one"):
        _filled_by(made, 1, actor="tests")


def test_a_cancelled_request_is_not_filled(receive):
    made = receive()
    labor_request_cancel(labor_request=made, reason="Postponed", actor="tests")
    with pytest.raises(ValidationError):
        _filled_by(made, 1, actor="tests")


def _refused_by_the_database(update) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        update()


@pytest.mark.postgres
def test_the_database_refuses_over_filling_and_an_unattested_by_name_request(receive, member):
    made = receive(positions=2)
    rows = LaborRequest.objects.filter(pk=made.pk)
    _refused_by_the_database(lambda: rows.update(filled=3))
    _refused_by_the_database(lambda: rows.update(named_member=member))
    by_name = LaborRequest.objects.filter(
        pk=receive(named_member=member, attestation="Not solicited.").pk
    )
    _refused_by_the_database(lambda: by_name.update(attestation=""))
    _refused_by_the_database(lambda: by_name.update(positions=0))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fillers_racing_past_the_positions_are_refused_but_as_many_as_asked(receive, race):
    made = receive(positions=3)
    filled, errors = race(lambda: _filled_by(made, 1, actor="tests"), times=8)
    assert len(filled) == 3
    assert len(errors) == 5 and all(isinstance(e, ValidationError) for e in errors)
    made.refresh_from_db()
    assert (made.filled, made.status) == (3, LaborRequestStatus.FILLED)
