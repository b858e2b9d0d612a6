"""The member list's standing filter (the admin's and the API's `?standing=`) lists exactly
the members dues.ledger.in_standing names, and its counts say as many: good standing is only
ever a member's in the union (never a suspended, dropped or deceased member who owes
nothing, whom the Standing column calls by their status), as standing_label words it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import roles
from apikit.tests.client import api_client
from dues.for_members import STANDING_FILTER
from dues.ledger import STATUSES_OUT_OF_STANDING, Standing, in_standing, standing_label
from dues.models import MemberLedger
from dues.services import member_ledgers_refresh
from dues.tests.factories import DuesPeriodFactory
from members.models import Member, MemberStatus
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db
PAST_DUE_MONTHS = 4  # January to April 2026, each past due (due at its month end)


def _member(journeyman, status: str, months_behind: int, **fields) -> Member:
    """A member of `status` owing `months_behind` months (none: never charged, no ledger)."""
    member = MemberFactory(classification=journeyman, status=status, **fields)
    for month in range(1, months_behind + 1):
        period = DuesPeriodFactory(year=2026, month=month)
        member.dues_charges.create(period=period, amount=Decimal("45.00"))
    if months_behind:
        member_ledgers_refresh([member.pk])  # charged behind the services: kept again
    return member


def _months(member: Member) -> int:
    ledger = MemberLedger.objects.filter(member=member).first()
    return ledger.months_in_arrears if ledger else 0


@pytest.fixture
def local(journeyman):
    """Owing nothing: an active, a retired, a suspended, a dropped and a deceased member;
    a suspended member four months behind, an active member one month behind."""
    return {
        name: _member(journeyman, status, months, last_name=name)
        for name, status, months in (
            ("Active", MemberStatus.ACTIVE, 0),
            ("Retired", MemberStatus.RETIRED, 0),
            ("Suspended", MemberStatus.SUSPENDED, 0),
            ("Dropped", MemberStatus.DROPPED, 0),
            ("Deceased", MemberStatus.DECEASED, 0),
            ("Owing", MemberStatus.SUSPENDED, 4),
            ("Behind", MemberStatus.ACTIVE, 1),
        )
    }


def test_good_standing_lists_no_one_out_of_the_union(client, user_with_role, local):
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("admin:members_member_changelist")
    page = client.get(url, {"standing": "good"}).content.decode()
    listed = {name for name, m in local.items() if m.member_number in page}
    assert listed == {"Active", "Retired"}
    # Each row listed reads as the filter says; the counts beside the filter agree.
    assert page.count('<td class="field-standing">Good standing</td>') == 2
    counted = client.get(url, {"standing": "good", "_facets": "1"}).content.decode()
    assert re.search(r"Good standing \(2\)", counted), "the filter's own count"
    assert re.search(r"In arrears \(1\)", counted) and re.search(r"Delinquent \(1\)", counted)

    api = api_client(user_with_role(roles.OFFICER))
    body = api.get("/api/v1/members/", {"standing": "good"}).json()
    assert body["count"] == len(body["results"]) == 2  # counted from the kept totals
    for status in STATUSES_OUT_OF_STANDING:
        assert api.get("/api/v1/members/", {"standing": "good", "status": status}).json() == {
            "count": 0,
            "next": None,
            "previous": None,
            "results": [],
        }
    # Behind is behind, in the union or out of it: the filter of months behind keeps them.
    delinquent = api.get("/api/v1/members/", {"standing": "delinquent"}).json()
    assert [m["last_name"] for m in delinquent["results"]] == ["Owing"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    members=st.lists(
        st.tuples(
            st.sampled_from(list(MemberStatus)),
            st.integers(min_value=0, max_value=PAST_DUE_MONTHS),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_the_filter_and_its_counts_agree_with_the_ledgers_rule(journeyman, members):
    """Its SQL (members_in_standing), its counts (the kept totals) and the rule in Python
    (dues.ledger.in_standing) give the same members, for every standing and status."""
    for status, months in members:
        _member(journeyman, status, months)
    everyone = [(m.pk, m.status, _months(m)) for m in Member.objects.all()]
    for standing in Standing.values:
        listed = set(STANDING_FILTER.narrow(Member.objects.all(), standing).values_list("pk"))
        ruled = {(pk,) for pk, status, months in everyone if in_standing(standing, status, months)}
        assert listed == ruled, standing
        for status in [None, *MemberStatus.values]:
            expected = sum(
                1
                for _, s, months in everyone
                if (status is None or s == status) and in_standing(standing, s, months)
            )
            assert STANDING_FILTER.count(standing, status) == expected, (standing, status)


@given(status=st.sampled_from(list(MemberStatus)), months=st.integers(min_value=0, max_value=12))
def test_good_standing_is_what_every_page_words_as_good_standing(status, months):
    is_good = in_standing(Standing.GOOD, status, months)
    assert is_good == (standing_label(status, months) == Standing.GOOD.label)
    # A member is in exactly one standing of months behind, whatever their status.
    behind = [
        s for s in (Standing.IN_ARREARS, Standing.DELINQUENT) if in_standing(s, status, months)
    ]
    assert len(behind) == (1 if months else 0)
