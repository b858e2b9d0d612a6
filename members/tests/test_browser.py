"""Real Chromium against a live server: what an officer and a member actually see."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts import roles
from members.tests.factories import PASSWORD, MemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_officer_logs_into_the_admin_and_finds_a_member_by_part_of_their_name(live_server, page):
    UserFactory(username="officer1", role=roles.OFFICER)
    MemberFactory(first_name="Dolores", last_name="Huerta", member_number="196201")
    MemberFactory(first_name="Cesar", last_name="Chavez", member_number="196202")

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "officer1")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page).to_have_title(re.compile("Union Hall"))
    expect(page.locator("#site-name")).to_have_text("Union Hall")

    page.goto(f"{live_server.url}/admin/members/member/")
    page.fill("#searchbar", "uert")
    page.press("#searchbar", "Enter")
    results = page.locator("#result_list tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Huerta")
    expect(results.first).to_contain_text("196201")


def test_a_member_logs_in_and_sees_their_own_name(live_server, page):
    user = UserFactory(username="lparsons", role=roles.MEMBER)
    MemberFactory(user=user, first_name="Lucy", last_name="Parsons", member_number="1886")

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile("/accounts/login/"))
    page.fill("#id_username", "lparsons")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    expect(page.locator("h1")).to_have_text("Lucy Parsons")
    expect(page.locator(".facts")).to_contain_text("1886")
    # The page's own stylesheet loaded (served locally, no CDN).
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
