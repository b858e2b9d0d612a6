"""Money from a member's admin page: record a payment, refund or adjustment for that member
and come back to them; the record forms are the admin's own forms, errors said plainly."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import roles
from dues.models import Payment
from dues.selectors import member_dues_summary
from dues.services import payment_record, refund_record
from members.models import MemberNote
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _buttons(client, member) -> dict[str, str]:
    html = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    return {
        label: href.replace("&amp;", "&")
        for href, label in re.findall(r'<a href="([^"]+)" class="addlink">([^<]+)</a>', html)
    }


def test_an_officer_records_a_check_from_the_members_page_and_is_back_there(
    client, user_with_role, member
):
    client.force_login(user_with_role(roles.OFFICER))
    buttons = _buttons(client, member)
    assert {"Record a payment", "Record a refund", "Record an adjustment"} <= set(buttons)

    form = client.get(buttons["Record a payment"])
    html = form.content.decode()
    assert f'<option value="{member.pk}" selected>' in html  # the member, filled in
    assert "admin/css/forms.css" in html
    assert '<label for="id_amount" class="required">' in html
    key = form.context["form"].initial["idempotency_key"]

    done = client.post(
        buttons["Record a payment"],
        {
            "member": member.pk,
            "amount": "45.00",
            "method": "check",
            "received_date": "2026-06-30",
            "reference": "Check 1001",
            "idempotency_key": key,
        },
    )
    assert done.status_code == 302
    assert done["Location"] == reverse("admin:members_member_change", args=[member.pk])
    assert Payment.objects.get(member=member).reference == "Check 1001"


def test_a_wrong_amount_says_to_correct_it_and_records_nothing(client, user_with_role, member):
    client.force_login(user_with_role(roles.OFFICER))
    url = reverse("admin:dues_adjustment_add") + f"?member={member.pk}"
    page = client.get(url)
    assert "<h1>Record an adjustment</h1>" in page.content.decode()
    key = page.context["form"].initial["idempotency_key"]
    wrong = client.post(
        url, {"member": member.pk, "amount": "abc", "reason": "x", "idempotency_key": key}
    )
    html = wrong.content.decode()
    assert wrong.status_code == 200
    assert "Please correct the error below." in html
    assert "Enter a number." in html


def test_next_leads_only_back_into_this_site(client, user_with_role, member):
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("admin:dues_payment_add") + "?next=https://evil.example/&member=" + str(member.pk)
    key = client.get(url).context["form"].initial["idempotency_key"]
    done = client.post(
        url,
        {
            "member": member.pk,
            "amount": "45.00",
            "method": "cash",
            "received_date": "2026-06-30",
            "idempotency_key": key,
        },
    )
    assert done["Location"] == reverse("admin:dues_payment_change", args=[Payment.objects.get().pk])


def test_a_refund_from_the_members_page_offers_only_their_payments(client, user_with_role, member):
    mine = payment_record(
        member=member,
        amount="45",
        method="check",
        received_date=datetime.date(2026, 6, 30),
        actor="tests",
    )
    theirs = payment_record(
        member=MemberFactory(),
        amount="45",
        method="check",
        received_date=mine.received_date,
        actor="tests",
    )
    client.force_login(user_with_role(roles.OFFICER))
    form = client.get(_buttons(client, member)["Record a refund"]).context["form"]
    assert list(form.fields["payment"].queryset) == [mine]
    assert theirs not in form.fields["payment"].queryset
    assert mine.amount == Decimal("45.00")


def test_a_note_added_from_the_members_page_returns_to_the_member(client, user_with_role, member):
    client.force_login(user_with_role(roles.OFFICER))
    done = client.post(
        reverse("admin:members_membernote_add") + f"?member={member.pk}",
        {
            "member": member.pk,
            "text": "Called about dues.",
            "visibility": "all_authorized",
            "category": "general",
        },
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    assert done["Location"] == reverse("admin:members_member_change", args=[member.pk])
    assert MemberNote.objects.get(member=member).text == "Called about dues."


def test_a_receipt_prints_for_the_office_and_its_member_and_nobody_else(
    client, user_with_role, member
):
    payment = payment_record(
        member=member,
        amount="1250",
        method="check",
        received_date=datetime.date(2026, 6, 30),
        actor="tests",
    )
    url = reverse("dues:receipt", args=[payment.pk])
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(url).content.decode()
    assert f"Receipt {payment.receipt}" in html and "$1,250.00" in html
    assert member.full_name in html and "window.print()" in html
    payment_page = client.get(reverse("admin:dues_payment_change", args=[payment.pk]))
    page = payment_page.content.decode()
    assert f'href="{url}"' in page
    assert "idempotency" not in page.lower()
    assert page.count(payment.receipt) >= 1 and "Receipt number" not in page

    owner = user_with_role(roles.MEMBER)
    member.user = owner
    member.save(update_fields=["user"])
    client.force_login(owner)
    assert client.get(url).status_code == 200
    assert f'href="{url}"' in client.get(reverse("dues:my")).content.decode()

    client.force_login(user_with_role(roles.MEMBER))  # another member
    assert client.get(url).status_code == 404


def test_a_receipt_is_emailed_as_a_pdf_when_recorded_and_again_on_request(
    client, user_with_role, member, mailoutbox
):
    member.email = "dolores@example.org"
    member.first_name = "Łucja"  # the PDF's fonts know Latin-1: still a receipt
    member.save(update_fields=["email", "first_name"])
    client.force_login(user_with_role(roles.OFFICER))
    url = reverse("admin:dues_payment_add") + f"?member={member.pk}"
    key = client.get(url).context["form"].initial["idempotency_key"]
    client.post(
        url,
        {
            "member": member.pk,
            "amount": "45.00",
            "method": "cash",
            "received_date": "2026-06-30",
            "email_receipt": "on",
            "idempotency_key": key,
        },
    )
    payment = Payment.objects.get(member=member)
    [sent] = mailoutbox
    assert sent.to == ["dolores@example.org"] and payment.receipt in sent.subject
    assert "$45.00" in sent.body
    [(name, pdf, kind)] = sent.attachments
    assert (name, kind) == (f"receipt-{payment.receipt}.pdf", "application/pdf")
    assert pdf.startswith(b"%PDF-")

    again = reverse("admin:dues_payment_email_receipt", args=[payment.pk])
    assert client.get(again).status_code == 405
    client.post(again)
    assert len(mailoutbox) == 2 and mailoutbox[1].attachments[0][0] == name


def test_a_receipt_is_not_emailed_to_nobody(client, user_with_role, member, mailoutbox):
    member.email = ""
    member.save(update_fields=["email"])
    payment = payment_record(
        member=member,
        amount="45",
        method="check",
        received_date=datetime.date(2026, 6, 30),
        actor="tests",
    )
    client.force_login(user_with_role(roles.STAFF))
    page = client.post(reverse("admin:dues_payment_email_receipt", args=[payment.pk]), follow=True)
    assert "no email address" in page.content.decode()
    assert mailoutbox == []


def test_a_statement_runs_from_what_was_owed_before_to_what_is_owed_after(
    client, user_with_role, member
):
    """The fixture's member is charged 45.00 a month, January to June 2026."""
    paid = payment_record(
        member=member,
        amount="100",
        method="check",
        received_date=datetime.date(2026, 3, 15),
        actor="tests",
    )
    refund_record(
        payment=paid,
        amount="10",
        reason="Overpaid",
        refunded_date=datetime.date(2026, 4, 2),
        actor="tests",
    )
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("dues:statement", args=[member.pk])
    page = client.get(url, {"start": "2026-03-01", "end": "2026-04-30"})
    statement = page.context["statement"]
    assert statement.opening == Decimal("90.00")  # January and February, due before March
    assert [line.what for line in statement.lines] == [
        f"Payment {paid.receipt}, check",
        "Dues 2026-03",
        f"Refund on {paid.receipt}",
        "Dues 2026-04",
    ]
    assert statement.closing == Decimal("90.00")  # 90 - 100 + 45 + 10 + 45
    html = page.content.decode()
    assert "$90.00" in html and "Refund on" in html and "window.print()" in html

    whole = client.get(url, {"start": "2000-01-01", "end": "2100-12-31"}).context["statement"]
    assert whole.closing == member_dues_summary(member).balance  # the ledger's own answer

    backwards = client.get(url, {"start": "2026-05-01", "end": "2026-04-01"})
    assert backwards.status_code == 400
    assert "The first day comes after the last." in backwards.content.decode()


def test_a_statement_is_the_members_own_or_the_offices(client, user_with_role, member):
    url = reverse("dues:statement", args=[member.pk])
    owner = user_with_role(roles.MEMBER)
    member.user = owner
    member.save(update_fields=["user"])
    client.force_login(owner)
    assert client.get(url).status_code == 200
    assert url in client.get(reverse("dues:my")).content.decode()
    client.force_login(user_with_role(roles.MEMBER))
    assert client.get(url).status_code == 404
    client.force_login(user_with_role(roles.ORGANIZER))
    assert client.get(url).status_code == 404
