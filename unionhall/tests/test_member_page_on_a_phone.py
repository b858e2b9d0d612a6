"""The officer's page of a member with a long record, on a phone (390 px) in Chromium: the
page does not scroll sideways, every table on it (the records other apps add, the notes)
can be read whole inside its own box, and axe-core finds no serious or critical problem.

A member with payments, a refund, charges, adjustments, notes and a check-off authorization
with a remittance posted: the record an officer opens most days, not a new member's."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from accounts import roles
from checkoff.services import remittance_check, remittance_post
from checkoff.tests.factories import AuthorizationFactory, EmployerFactory, remittance_csv
from dues.services import adjustment_record, dues_charges_generate, payment_record, refund_record
from dues.tests.factories import DuesRateFactory, periods
from members.services import member_note_create
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
OFFICE = {"width": 1366, "height": 768}


@pytest.fixture
def long_record():
    """A member of ten years with every kind of record the member's page shows."""
    journeyman = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    officer = UserFactory(username="officer1", role=roles.OFFICER)
    member = MemberFactory(
        classification=journeyman,
        member_number="20160412",
        first_name="Maria Guadalupe",
        last_name="Villanueva-Castellanos",
        email="maria.guadalupe.villanueva-castellanos@electrical-workers-local.example.org",
    )
    employer = EmployerFactory(
        code="TRICOUNTY",
        name="Tri-County Electrical Contractors & Industrial Maintenance, Inc.",
    )
    AuthorizationFactory(member=member, employer=employer, employee_id="EMP-2016-000412-NIGHTSHIFT")
    for period in periods(2026, range(1, 11)):
        dues_charges_generate(period=period, actor="tests")

    check = payment_record(
        member=member,
        amount=Decimal("135.00"),
        method="check",
        received_date=datetime.date(2026, 2, 10),
        reference="Check 0004471 drawn on First Community Credit Union of the Upper Valley",
        actor=officer,
    )
    refund_record(
        payment=check,
        amount=Decimal("20.00"),
        reason="Overpaid: February's dues were also deducted by the employer",
        actor=officer,
    )
    payment_record(
        member=member,
        amount=Decimal("90.00"),
        method="ach",
        received_date=datetime.date(2026, 4, 30),
        reference="ACH trace 091000019-2026043000012345 from the member's credit union",
        actor=officer,
    )
    payment_record(
        member=member,
        amount=Decimal("45.00"),
        method="money_order",
        received_date=datetime.date(2026, 6, 2),
        reference="USPS money order 25123456789",
        actor=officer,
    )
    batch = remittance_check(
        employer=employer,
        content=remittance_csv(f"{member.member_number},Villanueva,Maria,,,2026-09,,,45.00"),
        file_name="tricounty-september-2026-payroll-deductions.csv",
        received_on=datetime.date(2026, 10, 10),
        reference="TRICOUNTY payroll ACH 2026-10-09 batch 000123456",
        actor=officer,
    ).batch
    remittance_post(batch=batch, actor=officer)

    adjustment_record(
        member=member,
        amount=Decimal("-45.00"),
        reason="Hardship waiver approved by the executive board at its regular meeting of "
        "March 12, 2026 (minutes, item 7b): one month of dues forgiven",
        actor=officer,
    )
    adjustment_record(
        member=member, amount=Decimal("12.50"), reason="Reinstatement fee", actor=officer
    )
    member_note_create(
        member=member,
        text="Called about the strike fund; sent the form to "
        "https://forms.electrical-workers-local.example.org/strike-fund/2026/application-for-benefits",
        visibility="officers",
        category="dues",
        actor=officer,
    )
    member_note_create(
        member=member,
        text="Grievance 2026-017 filed with Tri-County over the night-shift premium; steward "
        "Okafor has the file.",
        visibility="all_authorized",
        category="grievance",
        actor=officer,
    )
    return member


def _signed_in_officer(page, live_server, screen: dict) -> None:
    page.set_viewport_size(screen)
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.fill("#id_username", "officer1")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()


# Each cell that reaches past the window's right edge, unless a box that scrolls sideways
# (overflow-x auto or scroll) and itself fits the window holds it: those a reader cannot get
# to. A box that clips (overflow hidden) does not count: what it cuts off is lost.
_CELLS_OUT_OF_REACH = """() => {
  const out = [];
  for (const cell of document.querySelectorAll("#content td, #content th")) {
    if (cell.getBoundingClientRect().right <= window.innerWidth + 0.5) continue;
    let box = cell.parentElement, held = false;
    while (box && box !== document.body) {
      const x = getComputedStyle(box).overflowX;
      const fits = box.getBoundingClientRect().right <= window.innerWidth + 0.5;
      if ((x === "auto" || x === "scroll") && fits) {
        held = true;
        break;
      }
      box = box.parentElement;
    }
    if (!held) out.push(cell.textContent.trim().slice(0, 40));
  }
  return out;
}"""


def _serious_accessibility_problems(page) -> list[str]:
    return [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target'][0]) for n in v['nodes'][:3])})"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_officers_member_page_does_not_scroll_sideways_on_a_phone(
    live_server, page, long_record
):
    _signed_in_officer(page, live_server, PHONE)
    page.goto(f"{live_server.url}{reverse('admin:members_member_change', args=[long_record.pk])}")

    # The long record is all there: every table the page has for this member.
    records = page.locator(".added-records")
    for title in ("Payments", "Charges", "Adjustments"):
        expect(records.filter(has=page.get_by_role("heading", name=title))).to_have_count(1)
    expect(page.locator(".added-records table")).to_have_count(3)
    expect(page.locator("#content")).to_contain_text("Partially refunded")
    expect(page.locator("#content")).to_contain_text("Hardship waiver")
    expect(page.locator("#content")).to_contain_text("Check-off at TRICOUNTY")
    expect(page.locator("#content")).to_contain_text("Grievance 2026-017")

    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"the member's page scrolls sideways by {sideways}px at 390px"
    assert page.evaluate(_CELLS_OUT_OF_REACH) == []
    assert _serious_accessibility_problems(page) == []


def test_the_officers_member_page_keeps_its_tables_whole_on_an_office_screen(
    live_server, page, long_record
):
    """On an office screen nothing needs a scroll box: each table is on the page whole."""
    _signed_in_officer(page, live_server, OFFICE)
    page.goto(f"{live_server.url}{reverse('admin:members_member_change', args=[long_record.pk])}")
    expect(page.locator(".added-records table")).to_have_count(3)
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll("#content table")]
          .filter(t => t.getBoundingClientRect().right > window.innerWidth)
          .map(t => t.closest("fieldset")?.querySelector("h2")?.textContent)"""
    )
    assert overflowing == []
    assert _serious_accessibility_problems(page) == []
