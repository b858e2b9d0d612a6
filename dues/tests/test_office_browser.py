"""The office's and the member's main journeys in Chromium, at an office screen (1366x768)
and a phone (390x844): each step's screenshot is kept in test-artifacts/, the member's
pages never scroll sideways, and axe-core finds no serious or critical problem on the
office's home and the member's pages."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts import roles
from dues.services import dues_charges_generate
from dues.tests.factories import DuesRateFactory, periods
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENS = {"office": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def member():
    journeyman = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(
        classification=journeyman,
        monthly_amount=Decimal("45.00"),
        effective_date=datetime.date(2020, 1, 1),
    )
    user = UserFactory(username="dhuerta", role=roles.MEMBER)
    member = MemberFactory(
        user=user,
        classification=journeyman,
        first_name="Dolores",
        last_name="Huerta",
        member_number="196201",
        join_date=datetime.date(2015, 1, 1),
    )
    for period in periods(2026, range(1, 4)):
        dues_charges_generate(period=period, actor="tests")
    return member


def _signed_in(browser, live_server, screen: str, login: str, username: str):
    """A page on this screen, signed in as `username` through the login page at `login`."""
    context = browser.new_context(viewport=SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}{login}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    return page


def _shot(page, screen: str, step: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"journey-{screen}-{step}.png"), full_page=True)


def _no_serious_accessibility_problems(page) -> None:
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}: "
        f"{', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], page.url


def _no_sideways_scroll(page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{page.url} scrolls sideways by {wide}px"


@pytest.mark.parametrize(
    ("role", "screen"),
    [(roles.OFFICER, "office"), (roles.OFFICER, "phone"), (roles.STAFF, "office")],
)
def test_the_office_finds_a_member_records_a_check_prints_the_receipt_and_is_back(
    live_server, browser, member, role, screen
):
    """The officer's day (and the office staff's, who record money too)."""
    UserFactory(username="office1", role=role)
    page = _signed_in(browser, live_server, screen, "/admin/", "office1")

    expect(page.get_by_role("heading", name="Dues at a glance")).to_be_visible()
    _shot(page, f"{role.lower()}-{screen}", "1-office-home")
    _no_serious_accessibility_problems(page)

    # A whole member number opens the member; what they owe is the first thing on the
    # page, in the first screen, and the page does not scroll sideways on a phone.
    page.get_by_label("Member number or name").fill("196201")
    page.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(rf"/admin/members/member/{member.pk}/change/"))
    summary = page.locator(".uh-member-summary")
    expect(summary).to_contain_text("Delinquent")
    expect(summary).to_contain_text("$135.00")
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= SCREENS[screen]["height"], "not in the first screen"
    expect(summary.get_by_role("link", name=re.compile("dues page"))).to_be_visible()
    _no_sideways_scroll(page)
    _no_serious_accessibility_problems(page)
    _shot(page, f"{role.lower()}-{screen}", "2-member")

    page.get_by_role("link", name="Record a payment").click()
    expect(page.get_by_role("heading", name="Record a payment")).to_be_visible()
    page.select_option("#id_method", "check")
    page.fill("#id_amount", "135.00")
    page.fill("#id_reference", "Check 4471")
    _shot(page, f"{role.lower()}-{screen}", "3-record")
    page.get_by_role("button", name="Record a payment").click()

    expect(page).to_have_url(re.compile(rf"/admin/members/member/{member.pk}/change/"))
    expect(page.locator(".messagelist")).to_contain_text("Recorded R-")
    expect(page.locator(".uh-member-summary")).to_contain_text("Good standing")
    # Now with a payment: its table (six columns) scrolls in its own box, not the page.
    # (unionhall/tests/test_member_page_on_a_phone.py: a long record, every table.)
    expect(page.locator(".added-records table")).to_have_count(2)
    _no_sideways_scroll(page)
    _no_serious_accessibility_problems(page)
    _shot(page, f"{role.lower()}-{screen}", "4-back-at-member")

    page.locator(".added-records a", has_text="R-").first.click()
    page.get_by_role("link", name="Print the receipt").click()
    expect(page.get_by_role("heading", name=re.compile("Receipt R-"))).to_be_visible()
    expect(page.locator(".receipt")).to_contain_text("$135.00")
    _shot(page, f"{role.lower()}-{screen}", "5-receipt")
    _no_sideways_scroll(page)

    page.get_by_role("link", name="Back to Dolores Huerta").click()
    expect(page).to_have_url(re.compile(rf"/admin/members/member/{member.pk}/change/"))
    page.context.close()


def test_an_organizer_finds_who_is_in_good_standing_and_sees_no_money(live_server, browser, member):
    UserFactory(username="organizer1", role=roles.ORGANIZER)
    page = _signed_in(browser, live_server, "office", "/admin/", "organizer1")
    page.goto(f"{live_server.url}/admin/members/member/?standing=delinquent")
    expect(page.locator("#result_list")).to_contain_text("196201")
    page.get_by_role("link", name="196201").first.click()
    expect(page.locator(".uh-member-summary")).to_contain_text("Delinquent")
    expect(page.get_by_role("link", name="Record a payment")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("$135.00")
    _shot(page, "office", "organizer-member")
    _no_serious_accessibility_problems(page)
    page.context.close()


@pytest.mark.parametrize("screen", SCREENS)
def test_a_member_sees_what_they_owe_and_their_receipts_without_sideways_scroll(
    live_server, browser, member, screen
):
    page = _signed_in(browser, live_server, screen, "/accounts/login/", "dhuerta")
    _shot(page, screen, "member-1-home")
    _no_serious_accessibility_problems(page)
    _no_sideways_scroll(page)

    page.goto(f"{live_server.url}/dues/my/")
    # Three months at $45.00: the balance, and all of it past due.
    expect(page.locator("dt:text-is('Balance') + dd")).to_have_text("$135.00")
    expect(page.locator("dt:text-is('Past due') + dd")).to_have_text("$135.00")
    _shot(page, screen, "member-2-dues")
    _no_serious_accessibility_problems(page)
    _no_sideways_scroll(page)

    page.get_by_role("link", name="Statement for a date range").click()
    expect(page.locator("tfoot")).to_contain_text("$135.00")
    _shot(page, screen, "member-3-statement")
    _no_serious_accessibility_problems(page)
    _no_sideways_scroll(page)
    page.context.close()
