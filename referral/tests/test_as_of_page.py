"""The list as it stood at a time the dispatcher types (the local's clock): the past list,
whatever happened after, with the instant said back as the page read it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import MemberFactory
from referral.models import RollOffReason
from referral.services import registration_register, registration_roll_off

pytestmark = pytest.mark.django_db


def _member(first: str, last: str, book):
    return MemberFactory(first_name=first, last_name=last, classification=book.classification)


def test_the_as_of_page_shows_the_past_list_after_later_changes(
    client, user_with_role, book, clock
):
    clock.set(2026, 12, 7, 8, 0)
    ana = registration_register(member=_member("Ana", "Nunez", book), book=book, actor="tests")
    clock.set(2026, 12, 7, 8, 30)
    registration_register(member=_member("Ben", "Brown", book), book=book, actor="tests")
    clock.set(2026, 12, 7, 10, 0)
    registration_roll_off(registration=ana, reason=RollOffReason.QUIT, actor="tests")
    registration_register(member=_member("Cy", "Cole", book), book=book, actor="tests")
    client.force_login(user_with_role(roles.DISPATCHER))
    url = reverse("referral:book_as_of", args=[book.pk])

    page = client.get(url, {"at": "2026-12-07T09:00"})

    assert page.status_code == 200
    lines = page.context["page"].object_list
    assert [(line.position, line.name) for line in lines] == [(1, "Ana Nunez"), (2, "Ben Brown")]
    html = page.content.decode()
    assert "As it stood at Monday, December 7, 2026, 09:00 PST (America/Los_Angeles)" in html
    assert page.context["note"] == ""
    now = client.get(reverse("referral:book_list", args=[book.pk]))
    assert [line.name for line in now.context["lines"]] == ["Ben Brown", "Cy Cole"]


def test_the_as_of_page_opens_at_now_and_says_how_it_read_a_time_that_never_was(
    client, user_with_role, book, clock
):
    clock.set(2026, 3, 8, 12, 0)
    client.force_login(user_with_role(roles.STAFF))
    url = reverse("referral:book_as_of", args=[book.pk])

    opened = client.get(url)
    assert opened.context["form"].initial["at"] == "2026-03-08T12:00"

    # 02:30 on the morning the clocks go forward did not happen on the local's clock.
    page = client.get(url, {"at": "2026-03-08 02:30"})
    assert page.status_code == 200
    assert "did not happen on Mar 08, 2026 (the clocks moved forward): read as 03:30 PDT" in (
        page.content.decode()
    )
    twice = client.get(url, {"at": "2026-11-01 01:30"})
    assert "happened twice on Nov 01, 2026" in twice.content.decode()
    assert "read as the first, 01:30 PDT" in twice.content.decode()


@pytest.mark.parametrize(
    "typed", ["yesterday", "2026-13-01 09:00", "", "0001-01-01 00:00", "x" * 40]
)
def test_a_time_the_page_cannot_read_is_a_form_error(client, user_with_role, book, typed):
    client.force_login(user_with_role(roles.STAFF))
    page = client.get(reverse("referral:book_as_of", args=[book.pk]), {"at": typed})
    assert page.status_code == 400
    assert page.context["form"].errors["at"]
