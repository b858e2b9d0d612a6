"""Input at the edges: whatever a parameter, a body or a file holds, the answer is a clear
refusal (a 400, a form error, a command that names the row), never a 500, and nothing is
half-written."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts import roles
from apikit.tests.client import api_client
from dues.models import Adjustment, DuesCharge, DuesPeriod, Payment
from dues.services import payment_record
from dues.tests.factories import DuesRateFactory
from members.models import Member
from members.tests.factories import ClassificationFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

EVIL = [
    "²",
    "٣",
    "-1",
    "1e9",
    "99999999999999999999999",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "%",
    "' OR 1=1 --",
    "\u202e",
    "x" * 5000,
]


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", role=roles.ADMIN, is_superuser=True)


def _api_lists(member) -> dict[str, list[str]]:
    return {
        reverse("api:members"): ["status", "classification", "search", "standing", "page"],
        reverse("api:dues-payments"): ["member", "method", "status", "cursor", "page_size"],
        reverse("api:audit-events"): [
            "actor",
            "action",
            "model",
            "object_id",
            "member_id",
            "member_number",
            "occurred_from",
            "occurred_to",
            "cursor",
        ],
        reverse("api:dues-rates"): ["page", "page_size"],
        reverse("api:member-notes-of-member", args=[member.pk]): ["page"],
    }


def test_no_api_parameter_answers_500(admin_user):
    member = MemberFactory()
    client = api_client(admin_user)
    for url, params in _api_lists(member).items():
        for name in params:
            for value in EVIL:
                response = client.get(url, {name: value})
                assert response.status_code < 500, (url, name, value)


def test_no_page_parameter_answers_500(client, admin_user):
    member = MemberFactory()
    client.force_login(admin_user)
    pages = {
        reverse("admin:audit_auditevent_changelist"): ["occurred_from", "occurred_to", "q", "p"],
        reverse("admin:audit_auditevent_export"): ["occurred_from", "occurred_to", "q"],
        reverse("admin:members_member_changelist"): ["q", "p", "o", "status__exact"],
        reverse("admin:dues_payment_changelist"): ["q", "received_date__gte", "p"],
        reverse("dues:arrears"): ["months", "status", "page", "format"],
        reverse("dues:collections"): ["year", "format"],
        reverse("dues:member", args=[member.pk]): [],
        reverse("dues:checkout:success"): ["session_id"],
    }
    for url, params in pages.items():
        for name in params:
            for value in EVIL:
                response = client.get(url, {name: value})
                assert response.status_code < 500, (url, name, value)


def test_the_last_day_of_the_calendar_is_a_date_like_any_other(admin_user):
    client = api_client(admin_user)
    response = client.get(reverse("api:audit-events"), {"occurred_to": "9999-12-31"})
    assert response.status_code == 200
    assert response.data["results"]  # the user's own creation is in the trail


def test_huge_ids_in_paths_are_404(admin_user):
    client = api_client(admin_user)
    for name in ("api:member", "api:member-dues", "api:member-note"):
        assert client.get(reverse(name, args=[2**70])).status_code == 404


def test_a_deeply_nested_body_is_a_400_for_the_api_and_the_webhook(admin_user, settings):
    body = "[" * 100_000 + "]" * 100_000
    response = api_client(admin_user).generic(
        "POST", reverse("api:members"), body, content_type="application/json"
    )
    assert response.status_code == 400

    from payments.tests.fake_stripe import sign

    settings.STRIPE_WEBHOOK_SECRETS = ["whsec_edge"]
    webhook = api_client().generic(
        "POST",
        reverse("payments:stripe_webhook"),
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(body, "whsec_edge"),
    )
    assert webhook.status_code == 400


# --- Files -------------------------------------------------------------------------------------

HEADER = "member_number,first_name,last_name,classification,join_date\n"


def test_a_file_no_codec_decodes_is_a_form_error_and_a_command_error(client, tmp_path):
    client.force_login(UserFactory(role=roles.OFFICER))
    garbage = b"\x81\x8d\x8f\x90\x9d" * 10  # undefined in UTF-8 and in Windows-1252 alike
    upload = tmp_path / "members.csv"
    upload.write_bytes(garbage)
    with upload.open("rb") as handle:
        page = client.post(reverse("admin:members_member_import"), {"file": handle})
    assert page.status_code == 200
    assert "not CSV text" in page.content.decode()
    with pytest.raises(CommandError, match="not CSV text"):
        call_command("import_members", str(upload))
    assert not Member.objects.exists()


def test_a_cell_over_the_csv_limit_names_its_row(tmp_path):
    ClassificationFactory(code="JW")
    upload = tmp_path / "members.csv"
    huge = '2,"' + "x" * 200_000 + '",B,JW,2020-01-01\n'
    upload.write_text(HEADER + "1,A,B,JW,2020-01-01\n" + huge)
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_members", str(upload), stderr=err)
    assert "nothing was imported" in str(failure.value)
    assert "Row 3, file: Unreadable CSV: field larger than field limit" in err.getvalue()
    assert not Member.objects.exists()


# --- Money -------------------------------------------------------------------------------------


@pytest.fixture
def member(db):
    journeyman = ClassificationFactory(code="JW")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    return MemberFactory(classification=journeyman)


def _pay(client, member, amount, key=None, **extra):
    body = {
        "member": member.pk,
        "amount": amount,
        "method": "cash",
        "received_date": "2026-11-02",
        **extra,
    }
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(reverse("api:dues-payments"), body, format="json", **headers)


@pytest.mark.parametrize("amount", ["9999999999.99", "1e9", "10000.01", "99999999999999999999"])
def test_an_absurd_cash_payment_is_refused_with_a_clear_message(member, amount):
    response = _pay(api_client(UserFactory(role=roles.STAFF)), member, amount)
    assert response.status_code == 400
    assert "amount" in response.json()
    assert not Payment.objects.exists()


def test_the_ceiling_is_the_locals_to_set(member, settings):
    settings.MANUAL_PAYMENT_MAX = Decimal("50000.00")
    response = _pay(api_client(UserFactory(role=roles.STAFF)), member, "20000.00")
    assert response.status_code == 201


def test_an_absurd_adjustment_is_refused_in_the_admin(client, member):
    client.force_login(UserFactory(role=roles.OFFICER))
    page = client.post(
        reverse("admin:dues_adjustment_add"),
        {"member": member.pk, "amount": "-9999999999.99", "reason": "typo", "idempotency_key": "k"},
    )
    assert "more than one entry by hand may be" in page.content.decode()
    assert not Adjustment.objects.exists()


def test_a_balance_wider_than_any_one_amount_is_still_answered(member):
    # What the database can hold: two charges of the widest amount a column takes.
    for month in (1, 2):
        due = datetime.date(2026, month, 28)
        period = DuesPeriod.objects.create(year=2026, month=month, due_date=due)
        DuesCharge.objects.create(member=member, period=period, amount=Decimal("9999999999.99"))
    response = api_client(UserFactory(role=roles.STAFF)).get(
        reverse("api:member-dues", args=[member.pk])
    )
    assert response.status_code == 200
    assert response.json()["balance"] == "19999999999.98"


@pytest.mark.parametrize("amount", [45.5, 45, 1e2])
def test_money_as_a_json_number_is_a_400_saying_so(member, amount):
    response = _pay(api_client(UserFactory(role=roles.STAFF)), member, amount)
    assert response.status_code == 400
    assert "as a string" in str(response.json()["amount"])
    assert not Payment.objects.exists()


def test_a_dues_rate_as_a_json_number_is_a_400(member):
    response = api_client(UserFactory(role=roles.OFFICER)).post(
        reverse("api:dues-rates"),
        {"classification": "JW", "monthly_amount": 48.1, "effective_date": "2027-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "as a string" in str(response.json())


def test_an_idempotency_key_sent_again_with_other_values_is_a_409(member):
    client = api_client(UserFactory(role=roles.STAFF))
    first = _pay(client, member, "45.00", key="till-7-0042")
    again = _pay(client, member, "45.00", key="till-7-0042")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    for change in ({"amount": "50.00"}, {"method": "check"}, {"reference": "1042"}):
        other = _pay(client, member, change.pop("amount", "45.00"), key="till-7-0042", **change)
        assert other.status_code == 409, change
        assert "idempotency key" in other.json()["detail"]
    assert Payment.objects.count() == 1


# --- Who sees which field ----------------------------------------------------------------------


def test_a_member_does_not_see_the_offices_note_or_a_dispute_flag_on_their_payments(member):
    user = UserFactory(role=roles.MEMBER)
    member.user = user
    member.save()
    payment = payment_record(
        member=member,
        amount="45.00",
        method="cash",
        received_date=datetime.date(2026, 11, 2),
        note="Paid with a torn twenty; watch this one",
        actor="tests",
    )
    Payment.objects.filter(pk=payment.pk).update(flag_reason="Card dispute dp_1 (fraudulent)")
    for url in (reverse("api:me"), reverse("api:member-dues", args=[member.pk])):
        text = json.dumps(api_client(user).get(url).json())
        assert "torn twenty" not in text and "dispute" not in text, url
        assert '"45.00"' in text
    office = json.dumps(
        api_client(UserFactory(role=roles.STAFF))
        .get(reverse("api:member-dues", args=[member.pk]))
        .json()
    )
    assert "torn twenty" in office


def test_an_organizer_reads_the_phone_but_no_date_of_birth_or_address(client, member):
    organizer = UserFactory(role=roles.ORGANIZER)
    data = api_client(organizer).get(reverse("api:member", args=[member.pk])).json()
    assert not set(Member.PERSONAL_FIELDS) & set(data)
    assert data["phone"] == member.phone  # an organizer calls members
    client.force_login(organizer)
    page = client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    assert member.phone in page
    assert member.address_line1 not in page and "date_of_birth" not in page
    staff = api_client(UserFactory(role=roles.STAFF)).get(reverse("api:member", args=[member.pk]))
    assert set(Member.PERSONAL_FIELDS) <= set(staff.json())
