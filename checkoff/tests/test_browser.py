"""A remittance through the office's screens in Chromium: upload, the job's page, the
preview with its totals and exceptions, posting, and resolving the suspense line."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts import roles
from checkoff.models import SuspenseStatus
from dues.models import Payment
from members.tests.factories import PASSWORD, MemberFactory, UserFactory

from .factories import AuthorizationFactory, remittance_csv

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_uploads_previews_posts_and_resolves_suspense(
    page, live_server, tmp_path, acme, journeyman, charged_2026
):
    for number in ("1001", "1002"):
        member = MemberFactory(member_number=number, classification=journeyman)
        AuthorizationFactory(member=member, employer=acme)
    MemberFactory(member_number="2002", last_name="Okafor", classification=journeyman)
    charged_2026()
    UserFactory(username="treasurer", role=roles.OFFICER)
    remittance = tmp_path / "acme-october.csv"
    remittance.write_bytes(
        remittance_csv(
            "1001,Nunez,Ana,,,2026-09,,,45.00",
            "1002,Brown,Ben,,,2026-09,,,40.00",
            ",Okafor,Chidi,A-9,,2026-09,,,45.00",
        )
    )

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/admin/checkoff/remittancebatch/add/")
    page.fill("#id_username", "treasurer")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    page.select_option("#id_employer", label=str(acme))
    page.set_input_files("#id_file", str(remittance))
    page.fill("#id_received_on", "2026-10-10")
    page.fill("#id_control_total", "130.00")
    page.get_by_role("button", name="Check and preview").click()

    expect(page.get_by_text("3 lines read, $130.00 in all")).to_be_visible()
    page.get_by_role("link", name="Preview and post").click()
    totals = page.get_by_role("table", name="Totals")
    expect(totals).to_contain_text("Matched (to members' ledgers)")
    expect(totals).to_contain_text("UNMATCHED")
    expect(totals).to_contain_text("SHORT")
    expect(page.locator(".uh-preview")).to_contain_text("Okafor")
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []
    assert not Payment.objects.exists()

    page.get_by_role("link", name="Post 2 payments and 1 to suspense").click()
    expect(page.get_by_text("record 2 payroll-deduction payments, $85.00")).to_be_visible()
    page.get_by_role("button", name="Post: 2 payments ($85.00) and 1 line to suspense").click()
    expect(
        page.get_by_text("Posted: 2 payments ($85.00); 1 line to suspense ($45.00)")
    ).to_be_visible()
    page.get_by_role("link", name="To the remittance", exact=True).click()
    page.get_by_role("link", name="Apply or return").click()
    page.get_by_label("Applied to a member").check()
    page.get_by_label("Find the member: name or member number").fill("2002")
    page.get_by_role("button", name="Find").click()
    page.get_by_label("Applied to a member").check()
    page.get_by_label("2002").check()
    page.fill("#id_note", "New hire: card signed October 2nd")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Applied $45.00 to member 2002")).to_be_visible()
    assert Payment.objects.filter(member__member_number="2002").count() == 1
    assert not acme.batches.get().lines.filter(suspense=SuspenseStatus.OPEN).exists()


def _no_serious_accessibility_problems(page) -> None:
    results = Axe().run(page)
    serious = [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], page.url


def test_a_clerk_uploads_for_an_employer_matches_a_line_by_name_and_confirms_the_post(
    page, live_server, tmp_path, acme, journeyman, charged_2026
):
    """The employers' report, the upload for Acme, the preview, a line matched to its member
    by name, and the confirmation that says what posting will do."""
    for number, first, last, employee in (
        ("1001", "Ana", "Nunez", "A-1"),
        ("1002", "Ben", "Brown", "A-2"),
        ("2002", "Chidi", "Okafor", "A-9"),
    ):
        member = MemberFactory(
            member_number=number, first_name=first, last_name=last, classification=journeyman
        )
        AuthorizationFactory(member=member, employer=acme, employee_id=employee)
    MemberFactory(member_number="2003", first_name="Ada", last_name="Okafor")
    charged_2026()
    UserFactory(username="clerk", role=roles.OFFICER)
    remittance = tmp_path / "acme-september.csv"
    # Okafor's employee id is mistyped (C-9 for A-9): no member is found for his row.
    remittance.write_bytes(
        remittance_csv(
            "1001,Nunez,Ana,,,2026-09,,,45.00",
            "1002,Brown,Ben,,,2026-09,,,45.00",
            ",Okafor,Chidi,C-9,,2026-09,,,45.00",
        )
    )

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/dues/reports/employers/?month=2026-09")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    expect(page.get_by_role("columnheader", name="In suspense, 2026-09 (open)")).to_be_visible()
    expect(page.get_by_role("columnheader", name="In suspense, all months (open)")).to_be_visible()
    _no_serious_accessibility_problems(page)

    page.get_by_role("link", name="Upload a remittance from ACME").click()
    expect(page.get_by_role("heading", name="Upload a remittance from ACME")).to_be_visible()
    expect(page.locator("#id_employer option:checked")).to_have_text(str(acme))
    page.set_input_files("#id_file", str(remittance))
    page.fill("#id_received_on", "2026-10-10")
    page.fill("#id_control_total", "135.00")
    page.get_by_role("button", name="Check and preview").click()
    page.get_by_role("link", name="Preview and post").click()
    expect(page.get_by_role("table", name="Totals")).to_contain_text("UNMATCHED")
    expect(page.get_by_role("link", name="Post 2 payments and 1 to suspense")).to_be_visible()
    _no_serious_accessibility_problems(page)

    page.get_by_role("link", name="Match to a member (row 4)").click()
    # It opens searching for the line's last name: both Okafors, the one with a card at Acme
    # said so.
    expect(page.get_by_label("2002 Chidi Okafor")).to_be_visible()
    expect(page.get_by_label("2003 Ada Okafor")).to_be_visible()
    page.get_by_label("Find the member: name or member number").fill("chidi okafor")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_label("2003 Ada Okafor")).to_have_count(0)
    expect(page.locator(".uh-member-choices")).to_contain_text("authorized at ACME")
    _no_serious_accessibility_problems(page)
    page.get_by_label("2002 Chidi Okafor").check()
    page.get_by_label("Note").fill("C-9 is a typo for A-9: his card")
    page.get_by_role("button", name="Match this line to the member chosen").click()

    expect(
        page.get_by_text("Row 4 is matched to 2002 Chidi Okafor: posting will credit them $45.00.")
    ).to_be_visible()
    assert not Payment.objects.exists()
    page.get_by_role("link", name="Post 3 payments and 0 to suspense").click()
    credited = page.get_by_role("table", name="Members credited")
    expect(credited).to_contain_text("2002 Chidi Okafor")
    expect(credited).to_contain_text("person")
    expect(page.get_by_text("record 3 payroll-deduction payments, $135.00")).to_be_visible()
    _no_serious_accessibility_problems(page)
    assert not Payment.objects.exists()

    page.get_by_role("button", name="Post: 3 payments ($135.00) and 0 lines to suspense").click()
    expect(page.get_by_text("Posted: 3 payments ($135.00)")).to_be_visible()
    okafor = Payment.objects.get(member__member_number="2002")
    assert (
        okafor.reference
        == f"Check-off ACME remittance #{acme.batches.get().pk}, work month 2026-09"
    )
