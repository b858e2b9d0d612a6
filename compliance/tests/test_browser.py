"""An election's eligibility list through the office's screens in Chromium: worked out by
a job, read with its reasons, published with its hash, a candidate's inspection recorded
and a second one refused."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from accounts import roles
from compliance.models import EligibilityList
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
    page.get_by_role("link", name="To the list").click()
    expect(page.get_by_role("row", name="1002")).to_contain_text(
        "Owed 4 month(s) of dues ($180.00)"
    )
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == []

    page.get_by_role("button", name="Publish and freeze").click()
    elist = EligibilityList.objects.get()
    expect(page.locator(".uh-hash")).to_have_text(elist.sha256)
    page.fill("#id_candidate", "1001")
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.get_by_text("The inspection is recorded.")).to_be_visible()
    page.fill("#id_candidate", "1001")
    page.get_by_role("button", name="Record the inspection").click()
    expect(page.locator(".errorlist")).to_contain_text("once within 30 days")
    assert elist.inspections.count() == 1
