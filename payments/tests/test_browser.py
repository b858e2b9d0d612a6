"""A member pays online in a real browser (Chromium), Stripe's side answered locally."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from members.tests.factories import PASSWORD
from payments.tests.conftest import WEBHOOK_SECRET, post_webhook
from payments.tests.fake_stripe import sign, stripe_event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_pays_a_period_online_and_sees_it_paid(
    live_server, page, member_login, fake_stripe
):
    # Checkout itself is Stripe's page: the browser is answered here, never by the internet.
    page.route(
        re.compile(r"https://checkout\.stripe\.com/.*"),
        lambda route: route.fulfill(
            body="<h1>Stripe Checkout (test)</h1>", content_type="text/html"
        ),
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "lparsons")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/dues/my/")
    expect(page.locator(".facts")).to_contain_text("135.00")
    september = page.locator("tr", has_text="2026-09")
    september.get_by_role("button", name="Pay Now Online").click()

    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_"))
    session_id = page.url.rsplit("/", 1)[1]

    body = json.dumps(stripe_event("checkout.session.completed", fake_stripe.complete(session_id)))
    assert post_webhook(body, sign(body, WEBHOOK_SECRET)).status_code == 200

    page.goto(f"{live_server.url}/dues/my/")
    expect(page.locator(".facts")).to_contain_text("90.00")
    open_periods = page.locator("section", has_text="Open periods")
    expect(open_periods).not_to_contain_text("2026-09")
    expect(page.locator("section", has_text="Payments")).to_contain_text("R-0")
