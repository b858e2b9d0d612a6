"""A member's own page of the hall (/referral/my/): their place on each book (the number the
dispatchers' list gives them), how many are ahead, re-sign where the rules allow it online,
exemption; the open calls on their books with a Bid button inside the window only, a bid
sent twice from the page taken once; their bids and dispatches. Only their own: another
member's registration is not there, a login without a member record is told so."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import roles
from members.tests.factories import MemberFactory, UserFactory
from referral import reports
from referral.models import Bid, EventKind, RuleSet
from referral.services import dispatch_make, exemption_start, registration_register
from referral.tests.factories import BookFactory

pytestmark = pytest.mark.django_db

URL = "/referral/my/"


@pytest.fixture
def member_login(registered, book):
    """A member with their own login, registered on `book` behind `ahead` others."""

    def go(ahead: int = 0):
        for _ in range(ahead):
            registered()
        user = UserFactory(role=roles.MEMBER)
        member = MemberFactory(classification=book.classification, user=user)
        registration = registered(member=member)
        client = Client()
        client.force_login(user)
        return registration, client

    return go


def page(client) -> str:
    answer = client.get(URL)
    assert answer.status_code == 200
    return answer.content.decode()


def said(client, answer) -> str:
    """The message the page shows after a POST came back to it."""
    assert answer.status_code == 302 and answer.url == URL
    return " ".join(m.message for m in answer.wsgi_request._messages)


def test_a_member_sees_their_place_as_the_dispatchers_list_gives_it(member_login, book, clock):
    registration, client = member_login(ahead=3)
    listed = [r.pk for r in reports.book_list_with_exemptions(book)]
    assert listed.index(registration.pk) + 1 == 4
    text = page(client)
    assert "<strong>4</strong> on the list, 3 ahead of you" in text
    assert f"APN {registration.apn}" in text
    assert f"{registration.resign_due:%a %b} {registration.resign_due.day}, " in text


def test_an_exempt_registrant_keeps_their_place_and_sees_why(member_login, clock):
    registration, client = member_login(ahead=1)
    exemption_start(
        registration=registration,
        kind="medical",
        starts_on=datetime.date(2026, 12, 1),
        actor="tests",
    )
    text = page(client)
    assert "Medical since Dec 1, 2026" in text and "<strong>2</strong> on the list" in text


def test_a_member_re_signs_online_where_the_rules_allow_it(member_login, clock):
    registration, client = member_login()
    clock.set(2026, 12, 10, 12, 0)
    answer = client.post(f"/referral/my/resign/{registration.pk}/")
    registration.refresh_from_db()
    assert registration.resign_due > datetime.date(2027, 1, 1)
    assert "Re-signed on" in said(client, answer)
    assert registration.events.filter(kind=EventKind.RESIGNED).count() == 1


def test_no_re_sign_button_where_the_rules_take_them_in_person(member_login, clock):
    registration, client = member_login()
    RuleSet.objects.update(resign_online=False)
    text = page(client)
    assert "/referral/my/resign/" not in text and "Re-sign at the hall or by phone" in text
    answer = client.post(f"/referral/my/resign/{registration.pk}/")
    assert "not online" in said(client, answer)
    assert not registration.events.filter(kind=EventKind.RESIGNED).exists()


def test_another_members_registration_is_not_there(member_login, registered, clock):
    _, client = member_login()
    someone_else = registered()
    answer = client.post(f"/referral/my/resign/{someone_else.pk}/")
    assert answer.status_code == 404
    assert not someone_else.events.filter(kind=EventKind.RESIGNED).exists()


def test_a_bid_button_inside_the_window_only_and_a_double_tap_is_one_bid(
    member_login, requested, clock
):
    registration, client = member_login()
    call = requested(positions=2)
    clock.set(2026, 12, 8, 17, 29, 59)
    text = page(client)
    assert f"#{call.pk}, {call.book.code}" in text and f"/referral/my/bid/{call.pk}/" not in text

    clock.set(2026, 12, 8, 17, 30)
    text = page(client)
    key = re.search(r'name="key" value="([0-9a-f]+)"', text).group(1)
    first = client.post(f"/referral/my/bid/{call.pk}/", {"key": key})
    assert "Your bid on request" in said(client, first)
    again = client.post(f"/referral/my/bid/{call.pk}/", {"key": key})
    assert "Your bid on request" in said(client, again)
    assert Bid.objects.filter(member=registration.member).count() == 1
    text = page(client)
    assert f"/referral/my/bid/{call.pk}/" not in text and "position 1" in text


def test_a_bid_outside_the_window_is_refused_with_the_reason(member_login, requested, clock):
    _, client = member_login()
    call = requested()
    clock.set(2026, 12, 9, 7, 0)
    answer = client.post(f"/referral/my/bid/{call.pk}/", {"key": "k"})
    assert "Bids are taken from 17:30 to 07:00" in said(client, answer)
    assert not Bid.objects.exists()


def test_a_call_on_a_book_the_member_is_not_on_is_not_theirs_to_bid(member_login, requested, clock):
    _, client = member_login()
    elsewhere = BookFactory(code="INSIDE-2")
    call = requested(book=elsewhere)
    clock.set(2026, 12, 8, 18, 0)
    assert f"#{call.pk}," not in page(client)
    answer = client.post(f"/referral/my/bid/{call.pk}/", {"key": "k"})
    assert "is not on book INSIDE-2" in said(client, answer)
    assert not Bid.objects.exists()


def test_their_dispatches_show_and_a_dispatched_member_is_told_why_no_bids(
    member_login, requested, employer, clock
):
    registration, client = member_login()
    first, second = requested(), requested()
    clock.set(2026, 12, 8, 10, 0)
    dispatch_make(labor_request=first, registration=registration, method="in_person", actor="tests")
    clock.set(2026, 12, 8, 18, 0)
    text = page(client)
    assert employer.name in text and "In person" in text
    assert "You are on a dispatch" in text
    assert f"/referral/my/bid/{second.pk}/" not in text


def test_a_login_without_a_member_record_is_told_so(db):
    client = Client()
    client.force_login(UserFactory(role=roles.MEMBER))
    answer = client.get(URL)
    assert answer.status_code == 404 and b"not linked to a member record" in answer.content


def test_signed_out_goes_to_the_login(db):
    answer = Client().get(URL)
    assert answer.status_code == 302 and "/login" in answer.url


def test_the_page_reads_the_same_few_queries_however_much_a_member_holds(
    member_login, requested, book, clock
):
    registration, client = member_login()
    requested()
    clock.set(2026, 12, 8, 18, 0)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        page(client)
    member = registration.member
    for k in range(4):
        other = BookFactory(code=f"MORE-{k}", classification=book.classification)
        registration_register(member=member, book=other, actor="tests")
        for _ in range(3):
            requested(book=other)
    clock.set(2026, 12, 8, 18, 0)
    with CaptureQueriesContext(connection) as many:
        page(client)
    # One count per registration on a list (its place): nothing else grows.
    assert len(many) == len(few) + 4
