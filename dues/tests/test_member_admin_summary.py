"""A member's admin page answers "what does this member owe?" first: standing as a badge,
balance, past due, paid through and months behind, above the form, with the way to the
member's full dues page; the member list shows standing, balance and phone to those who
may read them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from dues.services import adjustment_record, payment_record
from members.models import MemberStatus
from members.services import member_update
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _page(client, member) -> str:
    answer = client.get(reverse("admin:members_member_change", args=[member.pk]))
    assert answer.status_code == 200
    return answer.content.decode()


def _summary(html: str) -> str:
    return html.split('class="module uh-member-summary"', 1)[1].split("</section>", 1)[0]


def test_what_the_member_owes_is_at_the_top_above_the_form(client, user_with_role, owing):
    client.force_login(user_with_role(roles.OFFICER))
    html = _page(client, owing)

    assert html.index("uh-member-summary") < html.index("<fieldset")
    summary = _summary(html)
    assert '<span class="standing standing-delinquent">Delinquent</span>' in summary
    for label, value in [
        ("Balance", "$270.00"),
        ("Past due", "$225.00"),
        ("Paid through", "2026-01"),
        ("Months behind", "5"),
    ]:
        assert f"<dt>{label}</dt><dd>{value}</dd>" in summary
    dues_page = reverse("dues:member", args=[owing.pk])
    assert f'<a class="button" href="{dues_page}">' in summary


def test_a_credit_reads_as_a_credit_and_nothing_is_past_due(client, user_with_role, owing):
    payment_record(
        member=owing,
        amount=Decimal("300.00"),
        method="check",
        received_date=datetime.date(2026, 12, 1),
        actor="tests",
    )
    client.force_login(user_with_role(roles.OFFICER))
    summary = _summary(_page(client, owing))
    assert "<dt>Balance</dt><dd>$30.00 credit</dd>" in summary
    assert "<dt>Past due</dt><dd>$0.00</dd>" in summary
    assert "Good standing" in summary


@pytest.mark.parametrize("status", [MemberStatus.DROPPED, MemberStatus.SUSPENDED])
def test_a_member_out_of_the_union_never_reads_good_standing(client, user_with_role, status):
    gone = MemberFactory(status=status)  # never charged: owes nothing
    client.force_login(user_with_role(roles.OFFICER))
    summary = _summary(_page(client, gone))
    assert "Good standing" not in summary
    assert f'<span class="standing standing-delinquent">{status.label}</span>' in summary

    listed = client.get(reverse("admin:members_member_changelist")).content.decode()
    assert f'<td class="field-standing">{status.label}</td>' in listed
    assert '<td class="field-standing">Good standing</td>' not in listed


def test_an_organizer_sees_the_standing_but_no_money(client, user_with_role, owing):
    client.force_login(user_with_role(roles.ORGANIZER))
    summary = _summary(_page(client, owing))
    assert "Delinquent" in summary
    assert "Balance" not in summary and "$" not in summary
    assert reverse("dues:member", args=[owing.pk]) not in summary


def test_adjustments_show_beside_payments_and_charges(client, user_with_role, owing):
    officer = user_with_role(roles.OFFICER)
    adjustment_record(
        member=owing, amount=Decimal("-10.00"), reason="Hardship waiver", actor=officer
    )
    client.force_login(officer)
    html = _page(client, owing)
    titles = [
        title for title in ("Payments", "Charges", "Adjustments") if f"<h2>{title}</h2>" in html
    ]
    assert titles == ["Payments", "Charges", "Adjustments"]
    adjustments = html.split("<h2>Adjustments</h2>", 1)[1].split("</fieldset>", 1)[0]
    assert "Hardship waiver" in adjustments and "-$10.00" in adjustments
    assert "<dt>Balance</dt><dd>$260.00</dd>" in _summary(html)


def test_the_list_shows_balance_to_the_office_and_phone_to_whoever_calls(
    client, user_with_role, owing
):
    member_update(member=owing, actor="tests", changes={"phone": "(312) 555-0199"})
    changelist = reverse("admin:members_member_changelist")

    client.force_login(user_with_role(roles.OFFICER))
    listed = client.get(changelist).content.decode()
    assert '<td class="field-balance">$270.00</td>' in listed
    assert "(312) 555-0199" in listed

    client.force_login(user_with_role(roles.ORGANIZER))
    listed = client.get(changelist).content.decode()
    assert "field-balance" not in listed and "$270.00" not in listed
    assert '<td class="field-standing">Delinquent</td>' in listed
    assert "(312) 555-0199" in listed
