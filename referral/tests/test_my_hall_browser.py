"""A member on their phone and at a desk, in Chromium: they open their page of the hall in
the evening, see their place on the book and tonight's call, bid on it with one tap and see
their bid, then re-sign; no serious accessibility problem, and no sideways scroll at 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts import roles
from members.tests.factories import PASSWORD, MemberFactory, UserFactory
from referral.models import Bid
from referral.tests.test_browser import (
    SCREENS,
    _no_serious_accessibility_problems,
    _no_sideways_scroll,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("screen", SCREENS)
def test_a_member_bids_on_tonights_call_and_re_signs(
    page, live_server, book, registered, requested, clock, screen
):
    for _ in range(2):
        registered()
    user = UserFactory(username="rosa", role=roles.MEMBER)
    member = MemberFactory(
        first_name="Rosa María",
        last_name="Delgado-Fitzgerald",
        user=user,
        classification=book.classification,
    )
    registered(member=member)
    call = requested(positions=3, worksite="Sound Transit Operations & Maintenance Facility East")
    clock.set(2026, 12, 8, 18, 5)

    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server.url}/referral/my/")
    page.fill("#id_username", "rosa")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    expect(page.get_by_role("article", name=f"Book {book.code}")).to_contain_text(
        "3 on the list, 2 ahead of you"
    )
    expect(page.get_by_text("bidding is open")).to_be_visible()
    _no_serious_accessibility_problems(page)
    if screen == "phone":
        _no_sideways_scroll(page)

    page.get_by_role("button", name=f"Bid on #{call.pk}").click()
    expect(page.get_by_text(f"Your bid on request #{call.pk}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Bid on #{call.pk}")).to_have_count(0)
    assert Bid.objects.filter(member=member, labor_request=call).count() == 1
    _no_serious_accessibility_problems(page)
    if screen == "phone":
        _no_sideways_scroll(page)

    page.get_by_role("button", name=f"Re-sign on {book.code}").click()
    expect(page.get_by_text(f"Re-signed on {book.code}")).to_be_visible()
