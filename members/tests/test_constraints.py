"""What the database itself refuses, whatever the code above it does."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction

from members.models import Member
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def refused_by(*names: str):
    """The refusal of this constraint, by its name as the database reports it (PostgreSQL
    names the constraint, SQLite a unique column as `table.column`), not any other."""
    return pytest.raises(IntegrityError, match="|".join(re.escape(n) for n in names))


UNIQUE_NUMBER = ("members_member_member_number_key", "members_member.member_number")
UNIQUE_CUSTOMER = ("members_member_stripe_customer_id_key", "members_member.stripe_customer_id")


def test_duplicate_member_number_is_refused_by_the_database():
    MemberFactory(member_number="1001")
    with refused_by(*UNIQUE_NUMBER), transaction.atomic():
        MemberFactory(member_number="1001")
    assert Member.objects.filter(member_number="1001").count() == 1


def test_many_members_may_have_no_stripe_customer():
    MemberFactory(stripe_customer_id=None)
    MemberFactory(stripe_customer_id=None)
    assert Member.objects.filter(stripe_customer_id__isnull=True).count() == 2


def test_a_stripe_customer_belongs_to_one_member():
    MemberFactory(stripe_customer_id="cus_123")
    with refused_by(*UNIQUE_CUSTOMER), transaction.atomic():
        MemberFactory(stripe_customer_id="cus_123")


def test_blank_stripe_customer_id_is_refused_so_null_means_none():
    with refused_by("member_stripe_customer_id_not_blank"), transaction.atomic():
        MemberFactory(stripe_customer_id="")


def test_unknown_status_is_refused_by_the_database_even_past_the_orm_checks():
    member = MemberFactory()
    with refused_by("member_status_valid"), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(status="expelled")
    member.refresh_from_db()
    assert member.status == "active"


def test_blank_member_number_is_refused():
    with refused_by("member_number_not_blank"), transaction.atomic():
        MemberFactory(member_number="")


@pytest.mark.postgres
def test_member_search_uses_the_trigram_index():
    from django.db import connection

    MemberFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        query = Member.objects.filter(last_name__icontains="owal").query
        sql, params = query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "member_last_name_trgm_idx" in plan
