"""Governance through the office's screens in Chromium: an election's eligibility list
worked out by a job, read with its reasons, published after a confirmation with its hash, a
candidate's inspection recorded and a second one refused at the top of the page; the arrears
policy's dry run, then its confirmation, then exactly that list applied."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts import roles
from compliance.models import EligibilityList, StandingChange
from dues.models import PaymentMethod
from dues.services import payment_record
from members.tests.factories import PASSWORD, MemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_works_out_publishes_and_logs_an_inspection(
    page, live_server, policy, journeyman, in_advance_2026
):
    paid = MemberFactory(member_number="1001", last_name="Nunez", classification=journeyman)
    MemberFactory(member_number="1002", last_name="Brown", classification=journeyman)
    in_advance_2026()
    payment_record(
        member=paid,
        amount=Decimal("270.00"),
        method=PaymentMethod.CASH,
        received_date=datetime.date(2026, 1, 2),
        actor="tests",
    )
    UserFactory(username="secretary", role=roles.OFFICER)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/compliance/eligibility/")
    page.fill("#id_username", "secretary")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    page.fill("#id_title", "Officers 2026")
    page.fill("#id_record_date", "2026-04-01")
    page.get_by_role("button", name="Work out the list").click()
    expect(page.get_by_text("1 eligible, 1 not, on 2026-04-01")).to_be_visible()
    page.get_by_role("link", name="To the list", exact=True).click()
    expect(page.get_by_role("row", name="1002")).to_contain_text(
        "Owed 4 month(s) of dues ($180.00)"
    )
    assert_no_serious_violations(page)

    page.get_by_role("link", name="Publish and freeze").click()
    expect(page.get_by_role("heading", name="Publish and freeze “Officers 2026”")).to_be_visible()
    expect(page.locator(".uh-confirm-counts").get_by_role("row")).to_have_text(
        ["Eligible 1", "Not eligible: owed dues on the record date 1", "Total 2"],
        use_inner_text=True,
    )
    expect(page.locator(".uh-emailed")).to_contain_text("Nobody is emailed")
    assert_no_serious_violations(page)
    assert not EligibilityList.objects.get().is_published  # asking published nothing
    page.get_by_role("button", name="Yes, publish and freeze the list of 2").click()
    elist = EligibilityList.objects.get()
    expect(page.locator(".uh-hash")).to_have_text(elist.sha256)
    page.fill("#id_candidate", "1001")
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.get_by_text("The inspection is recorded.")).to_be_visible()
    page.fill("#id_candidate", "1001")
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.locator(".messagelist .error")).to_contain_text("once within 30 days")
    assert elist.inspections.count() == 1


def assert_no_serious_violations(page) -> None:
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_an_officer_applies_the_arrears_policy_after_its_dry_run_and_confirmation(
    page, live_server, policy, journeyman, in_advance_2026
):
    behind = MemberFactory(
        member_number="1001", first_name="Ann", last_name="Adams", classification=journeyman
    )
    noticed = MemberFactory(
        member_number="1002", first_name="Bob", last_name="Baker", classification=journeyman
    )
    in_advance_2026()
    payment_record(
        member=noticed,
        amount=Decimal("135.00"),
        method=PaymentMethod.CASH,
        received_date=datetime.date(2026, 1, 2),
        actor="tests",
    )
    UserFactory(username="secretary", role=roles.OFFICER)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/compliance/arrears/?as_of=2026-04-01")
    page.fill("#id_username", "secretary")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    page.get_by_role("button", name="List what it changes").click()
    expect(page.get_by_text("would change 2 member(s)")).to_be_visible()
    page.get_by_role("link", name="Apply exactly these").click()

    expect(page.locator(".uh-confirm-counts tbody tr, .uh-confirm-counts tfoot tr")).to_have_text(
        ["Notice before suspension 1 $45.00", "Suspension 1 $180.00", "Total 2"],
        use_inner_text=True,
    )
    expect(page.get_by_text("A reinstatement fee of $30.00")).to_be_visible()
    expect(page.locator(".uh-emailed")).to_contain_text(
        "1 member is emailed a notice before suspension: 1002 Bob Baker."
    )
    assert_no_serious_violations(page)
    behind.refresh_from_db()
    assert behind.status == "active"  # the confirmation changed nothing

    page.get_by_role("button", name="Yes, apply these 2 changes").click()
    expect(page.get_by_text("changed 2 member(s)")).to_be_visible()
    behind.refresh_from_db()
    assert behind.status == "suspended"
    assert StandingChange.objects.filter(member=noticed, kind="notice").exists()


def test_a_refused_application_leads_to_a_new_dry_run_without_a_retry(
    page, live_server, policy, journeyman, in_advance_2026
):
    noticed = MemberFactory(
        member_number="1002", first_name="Bob", last_name="Baker", classification=journeyman
    )
    in_advance_2026()
    UserFactory(username="secretary", role=roles.OFFICER)

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/compliance/arrears/?as_of=2026-04-01")
    page.fill("#id_username", "secretary")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    page.get_by_role("button", name="List what it changes").click()
    page.get_by_role("link", name="Apply exactly these").click()
    # Paid up meanwhile: the listed suspension is no longer what the records give.
    payment_record(
        member=noticed,
        amount=Decimal("180.00"),
        method=PaymentMethod.CASH,
        received_date=datetime.date(2026, 4, 1),
        actor="tests",
    )
    page.get_by_role("button", name="Yes, apply these 1 change").click()

    expect(page.locator(".job-status")).to_have_text("Refused")
    expect(page.locator(".job-error")).to_contain_text("Nothing was applied")
    expect(page.get_by_role("button", name="Retry")).to_be_hidden()
    assert_no_serious_violations(page)
    page.get_by_role("link", name="Start again from the arrears policy").click()
    expect(page.get_by_role("button", name="List what it changes")).to_be_visible()
    assert page.url.endswith("/compliance/arrears/?as_of=2026-04-01")
    assert not StandingChange.objects.exists()
