"""A remittance line over the ceiling (REMITTANCE_LINE_MAX, or more than 3 times the dues
expected of it) is held in suspense as CEILING for an officer, never posted to its member
by itself: checked by the service, the command, the admin and the API, and at posting."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from checkoff.models import LineException, SuspenseStatus
from checkoff.services import remittance_check, remittance_post
from dues.models import Payment
from members.tests.factories import MemberFactory, UserFactory

from .conftest import RECEIVED
from .factories import AuthorizationFactory, remittance_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(acme, journeyman, charged_2026):
    """Expected 45.00 a month (the journeyman's flat dues, no working dues)."""
    member = MemberFactory(member_number="1001", last_name="Nunez", classification=journeyman)
    AuthorizationFactory(member=member, employer=acme)
    charged_2026()
    return member


def check(acme, amount: str, **kwargs):
    return remittance_check(
        employer=acme,
        content=remittance_csv(f"1001,Nunez,Ana,,,2026-09,,,{amount}"),
        file_name=f"acme-{amount}.csv",
        received_on=RECEIVED,
        **{"actor": "tests", **kwargs},
    )


def test_a_line_over_the_ceiling_is_held_not_posted(acme, ana):
    result = check(acme, "999999999.99")
    [line] = result.lines
    assert (line.expected, line.exception) == (Decimal("45.00"), LineException.CEILING)
    posting = remittance_post(batch=result.batch, actor="tests")
    assert (posting.posted, posting.suspense) == (0, 1)
    assert posting.suspense_total == Decimal("999999999.99")
    assert not Payment.objects.filter(member=ana).exists()
    assert result.batch.lines.get().suspense == SuspenseStatus.OPEN


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("45.00", ""),
        ("135.00", LineException.OVER),  # 3 times what is expected: an overpayment
        ("135.01", LineException.CEILING),  # more: a slip, held
    ],
)
def test_far_over_the_dues_expected_is_held(acme, ana, amount, code):
    assert check(acme, amount).lines[0].exception == code


def test_the_locals_ceiling_is_a_setting(acme, ana, settings):
    settings.REMITTANCE_LINE_MAX = Decimal("100.00")
    assert check(acme, "100.00").lines[0].exception == LineException.OVER
    assert check(acme, "100.01").lines[0].exception == LineException.CEILING


def test_an_unexpected_line_is_held_over_the_ceiling_alone(acme, journeyman, settings):
    """No dues rate for the month: nothing is expected to compare with, the ceiling holds."""
    settings.REMITTANCE_LINE_MAX = Decimal("500.00")
    member = MemberFactory(member_number="1001", classification=journeyman)
    AuthorizationFactory(member=member, employer=acme, signed_on=datetime.date(2018, 6, 1))
    result = remittance_check(
        employer=acme,
        content=remittance_csv("1001,,,,,2019-01,,,400.00", "1001,,,,,2019-02,,,500.01"),
        file_name="old.csv",
        received_on=RECEIVED,
        actor="tests",
    )
    assert [(line.expected, line.exception) for line in result.lines] == [
        (None, ""),
        (None, LineException.CEILING),
    ]


def test_a_batch_checked_before_the_ceiling_was_lowered_is_held_at_posting(acme, ana, settings):
    result = check(acme, "1500.00")
    assert result.lines[0].exception == LineException.CEILING  # 3 x 45.00 is 135.00
    settings.REMITTANCE_LINE_MAX = Decimal("1000000.00")
    loose = check(acme, "120.00", control_total=Decimal("120.00"))
    assert loose.lines[0].exception == LineException.OVER
    settings.REMITTANCE_LINE_MAX = Decimal("100.00")
    posting = remittance_post(batch=loose.batch, actor="tests")
    assert (posting.posted, posting.suspense) == (0, 1)
    assert loose.batch.lines.get().exception == LineException.CEILING
    assert not Payment.objects.filter(member=ana).exists()


def test_the_command_holds_it_and_says_so(acme, ana, tmp_path, capsys):
    path = tmp_path / "acme.csv"
    path.write_bytes(remittance_csv("1001,Nunez,Ana,,,2026-09,,,999999999.99"))
    call_command("import_remittance", "ACME", str(path))
    out = capsys.readouterr().out
    assert "CEILING: 1 line, 999999999.99" in out
    assert "0 payments (0.00), 1 line to suspense (999999999.99)" in out
    assert not Payment.objects.filter(member=ana).exists()


def test_the_preview_and_the_api_show_why(client, user_with_role, acme, ana):
    batch = check(acme, "999999999.99").batch
    client.force_login(user_with_role(roles.OFFICER))
    preview = client.get(reverse("admin:checkoff_remittancebatch_change", args=[batch.pk]))
    page = preview.content.decode()
    assert "CEILING" in page and "Over the ceiling: more than one line may carry" in page
    assert "Post 0 payments and 1 to suspense" in page
    api = APIClient()
    api.force_authenticate(UserFactory(username="api-officer", role=roles.OFFICER))
    assert api.get(reverse("api:remittance", args=[batch.pk])).data["exceptions"] == {"CEILING": 1}
