"""A dispatcher's walk through the hall's pages in Chromium, on a desk and on a phone: the
books, a book's list, a member's history, the list as it stood this morning, and the counts
book by book; no serious accessibility problem on any of them, and no sideways scroll of
the page on a phone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts import roles
from members.tests.factories import PASSWORD, MemberFactory, UserFactory
from referral.models import RollOffReason
from referral.services import registration_register, registration_roll_off

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _no_serious_accessibility_problems(page) -> None:
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], page.url


def _no_sideways_scroll(page) -> None:
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"{sideways}px of sideways scroll on {page.url}"


@pytest.mark.parametrize("screen", SCREENS)
def test_a_dispatcher_walks_from_the_books_to_the_list_as_it_stood_this_morning(
    page, live_server, book, clock, screen
):
    clock.set(2026, 12, 7, 8, 0)
    people = {}
    for first, last in (("Ana", "Nunez"), ("Ben", "Brown"), ("Cy", "Cole")):
        member = MemberFactory(first_name=first, last_name=last, classification=book.classification)
        people[first] = registration_register(member=member, book=book, actor="tests")
    clock.set(2026, 12, 7, 9, 30)
    registration_roll_off(
        registration=people["Ana"], reason=RollOffReason.QUIT, note="Took a job", actor="tests"
    )
    clock.set(2026, 12, 7, 11, 0)
    UserFactory(username="dana", role=roles.DISPATCHER)

    page.set_viewport_size(SCREENS[screen])
    page.goto(f"{live_server.url}/referral/")
    page.fill("#id_username", "dana")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    books = page.get_by_role("table", name="Books")
    expect(books).to_contain_text("WIRE-N")
    _no_serious_accessibility_problems(page)

    page.get_by_role("link", name="WIRE-N", exact=True).click()
    out_of_work = page.get_by_role("table", name="Out-of-work list")
    expect(out_of_work.get_by_role("row")).to_have_count(3)  # the header and two
    expect(out_of_work).to_contain_text("Ben Brown")
    expect(out_of_work).not_to_contain_text("Ana Nunez")
    _no_serious_accessibility_problems(page)
    if screen == "phone":
        _no_sideways_scroll(page)

    page.get_by_role("link", name="Ben Brown").click()
    expect(page.get_by_role("heading", name="WIRE-N: Registered, position 1")).to_be_visible()
    expect(
        page.get_by_role("table", name=f"Events of WIRE-N, APN {people['Ben'].apn}")
    ).to_contain_text("Registered")
    _no_serious_accessibility_problems(page)
    if screen == "phone":
        _no_sideways_scroll(page)

    page.get_by_role("link", name=f"{book}").click()
    page.get_by_role("link", name="The list at a past time").click()
    page.get_by_label("As of (local time)").fill("2026-12-07T09:00")
    page.get_by_role("button", name="Show the list").click()
    expect(
        page.get_by_role("heading", name="As it stood at Monday, December 7, 2026, 09:00 PST")
    ).to_be_visible()
    then = page.get_by_role("table", name="Out-of-work list as it stood")
    expect(then).to_contain_text("Ana Nunez")
    expect(then.get_by_role("row")).to_have_count(4)
    _no_serious_accessibility_problems(page)
    if screen == "phone":
        _no_sideways_scroll(page)

    page.get_by_role("link", name="Out of work by book").first.click()
    counts = page.get_by_role("table", name="Out of work by book")
    expect(counts.get_by_role("row", name="WIRE-N")).to_contain_text("2")
    expect(counts.get_by_role("row", name="All books")).to_be_visible()
    _no_serious_accessibility_problems(page)
    if screen == "phone":
        _no_sideways_scroll(page)
