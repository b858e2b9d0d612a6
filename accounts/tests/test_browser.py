"""The office's login page, in a real browser (Chromium): a forgotten password is reset
from it, in the site's own pages."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts import roles
from members.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]


def test_a_staff_user_asks_for_a_reset_from_the_offices_login(live_server, page, mailoutbox):
    UserFactory(username="deskclerk", email="desk@local.example", role=roles.STAFF)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Forgotten your password?").click()

    expect(page).to_have_url(re.compile(r"/admin/password-reset/$"))
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert _serious(page) == []
    page.fill("#id_email", "desk@local.example")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["desk@local.example"]
    page.get_by_role("link", name="Back to the office's log in").click()
    expect(page).to_have_url(re.compile(r"/admin/login/"))
