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

    page.get_by_role("button", name="Post 2 payments and 1 to suspense").click()
    expect(
        page.get_by_text("Posted: 2 payments ($85.00); 1 lines to suspense ($45.00)")
    ).to_be_visible()
    page.get_by_role("link", name="To the remittance").click()
    page.get_by_role("link", name="Apply or return").click()
    page.get_by_label("Applied to a member").check()
    page.fill("#id_member_number", "2002")
    page.fill("#id_note", "New hire: card signed October 2nd")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Applied 45.00 to member 2002")).to_be_visible()
    assert Payment.objects.filter(member__member_number="2002").count() == 1
    assert not acme.batches.get().lines.filter(suspense=SuspenseStatus.OPEN).exists()
