"""A member who opens the office's pages (/admin/) in a real browser (Chromium) is sent,
kindly, to their own."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts import roles
from members.tests.factories import PASSWORD, MemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_at_the_office_door_finds_the_way_to_their_dues(live_server, page):
    MemberFactory(user=UserFactory(username="lparsons", role=roles.MEMBER))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "lparsons")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Your pages are this way")).to_be_visible()
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    page.get_by_role("link", name="Go to your dues").click()
    expect(page).to_have_url(re.compile(r"/dues/my/$"))
