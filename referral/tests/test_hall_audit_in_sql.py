"""A confirmed morning's dispatches and the requests they fill are written to the trail by
the database (audit/in_sql.py): their events say what the Python path would have said of the
same rows (named as str() names them, their member, their values, what changed since the
row's previous history row), and the chain verifies."""

from __future__ import annotations

import datetime

import pytest

from audit.chain import chain_verify
from audit.in_sql import writes_in_sql
from audit.models import AuditEvent
from audit.registry import audited_model, member_numbers
from audit.services import jsonable
from referral.models import Dispatch, LaborRequest
from referral.services import referral_run_confirm, referral_run_propose

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def tracked(obj) -> list:
    return [f for f in type(obj).history.model.tracked_fields if f.editable]


def member_of(obj) -> tuple:
    member_id, number = audited_model(obj._meta.label_lower).member_of(obj)
    return member_id, number or member_numbers([member_id]).get(member_id, "")


def event_of(obj, action: str) -> tuple:
    event = AuditEvent.objects.get(
        model_label=obj._meta.label_lower, object_id=str(obj.pk), action=action
    )
    return event.object_repr, (event.member_id, event.member_number), event.changes


def test_the_hall_morning_takes_the_set_based_path():
    """Else the test below would compare the Python path with itself."""
    assert writes_in_sql(Dispatch) and writes_in_sql(LaborRequest)


def test_a_confirmed_morning_is_in_the_trail_as_python_would_write_it(registered, requested, clock):
    first, _, named = registered(), registered(), registered()
    open_call = requested(positions=2, start_at=datetime.time(6, 30, 15))
    by_name = requested(named_member=named.member, attestation="Not solicited: «foreman» asked")
    clock.set(2026, 12, 9, 7, 0)
    run = referral_run_propose(actor="tests")
    referral_run_confirm(run=run, actor="tests")

    dispatches = list(Dispatch.objects.order_by("pk"))
    assert len(dispatches) == 3
    for dispatch in dispatches:
        values = {f.name: jsonable(getattr(dispatch, f.attname)) for f in tracked(dispatch)}
        assert event_of(dispatch, "create") == (
            str(dispatch),
            member_of(dispatch),
            {name: [None, value] for name, value in values.items() if value not in (None, "")},
        )
    for labor_request in (LaborRequest.objects.get(pk=open_call.pk), by_name):
        labor_request.refresh_from_db()
        after, before = labor_request.history.order_by("-history_id")[:2]
        changed = {
            f.name: [jsonable(getattr(before, f.attname)), jsonable(getattr(after, f.attname))]
            for f in tracked(labor_request)
            if getattr(before, f.attname) != getattr(after, f.attname)
        }
        assert set(changed) == {"filled", "status"}
        assert event_of(labor_request, "update") == (
            str(labor_request),
            member_of(labor_request),
            changed,
        )
    assert member_of(by_name)[1] == named.member.member_number
    assert first.member_id in {d.member_id for d in dispatches}
    assert chain_verify().ok
