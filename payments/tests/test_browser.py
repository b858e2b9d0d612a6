"""A member pays online in a real browser (Chromium), Stripe's side answered locally."""

from __future__ import annotations

import json
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
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


def test_a_member_sets_up_autopay_sees_it_and_cancels_it(
    live_server, page, member_login, fake_stripe
):
    page.route(
        re.compile(r"https://checkout\.stripe\.com/.*"),
        lambda route: route.fulfill(
            body="<h1>Stripe Checkout (test)</h1>", content_type="text/html"
        ),
    )
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "lparsons")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")

    page.goto(f"{live_server.url}/dues/my/")
    autopay = page.get_by_role("region", name="Autopay")
    autopay.get_by_role("button", name="Set up autopay").click()
    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_"))
    session_id = page.url.rsplit("/", 1)[1]
    fake_stripe.complete_setup(session_id, last4="4444", brand="mastercard")

    # Stripe sends the member back (the webhook may come later).
    page.goto(f"{live_server.url}/dues/payments/autopay/done/?session_id={session_id}")
    expect(page.get_by_text("Autopay is on, with Mastercard •••• 4444.")).to_be_visible()
    autopay = page.get_by_role("region", name="Autopay")
    expect(autopay).to_contain_text("Mastercard •••• 4444")
    expect(autopay).to_contain_text("Next collection")
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []

    autopay.get_by_role("button", name="Cancel autopay").click()
    expect(
        page.get_by_text("Autopay is cancelled: nothing more will be collected.")
    ).to_be_visible()
    expect(page.get_by_role("region", name="Autopay")).to_contain_text("Set up autopay")


def test_a_member_downloads_their_receipt_from_the_payment_message(
    live_server, page, member_login, fake_stripe, settings
):
    settings.LOCAL_NAME = "IBEW Local 000"
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
    page.locator("tr", has_text="2026-09").get_by_role("button", name="Pay Now Online").click()
    expect(page).to_have_url(re.compile(r"^https://checkout\.stripe\.com/c/pay/cs_test_"))
    session_id = page.url.rsplit("/", 1)[1]
    fake_stripe.complete(session_id)

    # Stripe sends the member back; the page asks Stripe, which says paid.
    page.goto(f"{live_server.url}/dues/payments/success/?session_id={session_id}")
    expect(
        page.get_by_role("heading", name=re.compile("your payment was received"))
    ).to_be_visible()
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Download receipt (PDF)").click()
    saved = download.value
    assert re.fullmatch(r"receipt-R-\d{6}\.pdf", saved.suggested_filename)
    with open(saved.path(), "rb") as pdf:
        assert pdf.read().startswith(b"%PDF")
