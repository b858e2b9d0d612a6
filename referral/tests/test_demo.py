"""The demo hiring hall (referral/demo.py, run by `manage.py seed_demo`): the books have
the local's shape (docs/domain.md §6), its ledger is whole (every registration with its
events, history rows and audit events; the events rebuild each list), and seeding again
adds nothing."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from audit.models import AuditEvent
from dues.models import DuesCharge
from members.models import Member
from referral.models import (
    Book,
    Dispatch,
    EventKind,
    Exemption,
    Holiday,
    Notice,
    NoticeKind,
    NoticeStatus,
    Region,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
    RuleSet,
)
from referral.notices import notices_send, resign_reminders_write
from referral.selectors import book_list, book_list_as_of

pytestmark = pytest.mark.django_db

SIZES = {
    "WIRE-N": 1000,
    "WIRE-S": 1000,
    "WIRE-E": 1000,
    "TECH": 260,
    "STOCK": 54,
    "SHOW": 315,
    "RES": 60,
    "WIRE-N-PLA": 180,
    "WIRE-S-CWA": 110,
    "WIRE-E-TERO": 45,
}


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Member,
            Book,
            Region,
            Holiday,
            RuleSet,
            Registration,
            RegistrationEvent,
            Exemption,
            Notice,
            DuesCharge,
        )
    }


def _members_of(code: str) -> set[int]:
    return set(Registration.objects.filter(book__code=code).values_list("member_id", flat=True))


def test_the_demo_hall_has_the_locals_shape_and_seeding_again_adds_nothing(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo", "--members", "60")
    out = capsys.readouterr().out
    assert "Demo hiring hall: 11 books" in out
    assert "Demo dispatch: 3 dispatched in person today; 7 labor requests" in out
    today = timezone.localdate()

    sizes = dict(Book.objects.annotate(n=Count("registrations")).values_list("code", "n"))
    assert {code: sizes[code] for code in SIZES} == SIZES
    assert set(sizes) == {*SIZES, "APPR"} and sizes["APPR"] > 0
    assert 3900 <= sum(sizes.values()) <= 4200
    first = _members_of("WIRE-N")
    assert len(first & _members_of("WIRE-S") & _members_of("WIRE-E")) == 870  # 87%
    assert Book.objects.filter(supplemental=True).count() == 3
    member_login = get_user_model().objects.get(username="member").member
    assert member_login.pk in first

    on_wire = Registration.objects.filter(book__code__startswith="WIRE")
    assert on_wire.filter(status=RegistrationStatus.EXEMPT).count() > 20
    assert on_wire.filter(status=RegistrationStatus.ROLLED_OFF).count() > 20
    registered = on_wire.filter(status=RegistrationStatus.REGISTERED)
    assert registered.filter(resign_due__lte=today + datetime.timedelta(days=7)).count() > 100
    assert not Registration.objects.filter(
        status=RegistrationStatus.REGISTERED, resign_due__lt=today
    ).exists()  # none the nightly drop would take at once
    assert set(on_wire.values_list("tier", flat=True)) == {1, 2}

    # The ledger is whole: each registration's events, history row and audit event.
    count = Registration.objects.count()
    kinds = dict(RegistrationEvent.objects.values_list("kind").annotate(n=Count("id")).order_by())
    assert kinds[EventKind.REGISTERED] == count
    assert (
        kinds[EventKind.ROLLED_OFF]
        == Registration.objects.filter(status=RegistrationStatus.ROLLED_OFF).count()
    )
    assert kinds[EventKind.EXEMPTION_STARTED] == Exemption.objects.count()
    # Each registration's row once, and once more for each of the morning's dispatches.
    dispatched = Dispatch.objects.count()
    assert Registration.history.count() == count + dispatched
    assert (
        AuditEvent.objects.filter(model_label="referral.registration").count() == count + dispatched
    )
    for book in Book.objects.filter(code__in=["WIRE-N", "SHOW"]):
        rebuilt = [row.registration_id for row in book_list_as_of(book, timezone.now())]
        assert rebuilt == [r.pk for r in book_list(book)]

    # The notices a running hall has sent: the first nightly run and the sender find none
    # to write or send (a member with no email keeps theirs unsent).
    sent = dict(Notice.objects.values_list("kind").annotate(n=Count("id")).order_by())
    assert sent[NoticeKind.DROPPED] == kinds[EventKind.ROLLED_OFF]
    assert sent[NoticeKind.RESIGN_REMINDER] > 100
    assert set(Notice.objects.values_list("status", flat=True)) == {
        NoticeStatus.SENT,
        NoticeStatus.NO_ADDRESS,
    }
    assert resign_reminders_write(actor="tests") == 0
    assert notices_send(actor="tests").sent == 0

    v1, v2 = RuleSet.objects.order_by("version")
    assert v1.active and not v2.active
    assert (v2.effective_on - v2.notice_given_on).days >= settings.REFERRAL_NOTICE_DAYS
    assert dict(Region.objects.annotate(n=Count("holidays")).values_list("code", "n")) == {
        "NORTH": 23,
        "SOUTH": 23,
        "EAST": 23,
    }

    before = _counts()
    call_command("seed_demo", "--members", "60")
    assert "Demo hiring hall: books already there" in capsys.readouterr().out
    assert _counts() == before  # the dues demo charges none of the hall's new members


def test_the_demos_morning_referral_can_be_run(settings, clock):
    from referral.models import LaborRequest
    from referral.services import referral_run_propose

    settings.DEBUG = True
    call_command("seed_demo", "--members", "60")
    today = timezone.localdate()
    clock.set(today.year, today.month, today.day, 9, 0)  # after the bids, at any hour of CI
    assert LaborRequest.objects.filter(referral_day=today).count() == 7
    assert Dispatch.objects.filter(status="dispatched").count() == 3
    run = referral_run_propose(actor="tests")
    offered = run.lines.filter(outcome="offer").count()
    assert offered == 2 * 3 + 1 * 3 + 1  # every position finds someone on a list of 1,000
    assert run.lines.filter(reason="lacks_requirement").exists()
