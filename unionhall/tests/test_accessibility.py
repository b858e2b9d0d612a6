"""axe-core in Chromium on every page of the office and of the member: each admin list, the
add form and a record's page of every model the office keeps, every office page outside the
admin, and the member's own pages. No serious or critical problem on any of them."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib import admin
from django.urls import reverse

from accounts import roles
from dues.services import adjustment_record, dues_charges_generate, payment_record
from dues.tests.factories import DuesRateFactory, periods
from members.services import member_note_create
from members.tests.factories import PASSWORD, ClassificationFactory, MemberFactory, UserFactory
from unionhall.tests.test_office_pages import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def local():
    """A member with charges, a payment, an adjustment and a note; their login."""
    journeyman = ClassificationFactory(code="JW", name="Journeyman Wireman")
    DuesRateFactory(classification=journeyman, monthly_amount=Decimal("45.00"))
    login = UserFactory(username="lparsons", role=roles.MEMBER)
    member = MemberFactory(user=login, classification=journeyman, member_number="1886")
    officer = UserFactory(username="officer1", role=roles.OFFICER)
    for period in periods(2026, range(1, 4)):
        dues_charges_generate(period=period, actor="tests")
    payment = payment_record(
        member=member,
        amount=Decimal("45.00"),
        method="check",
        received_date=datetime.date(2026, 1, 20),
        actor=officer,
    )
    adjustment_record(member=member, amount=Decimal("-5.00"), reason="Waiver", actor=officer)
    member_note_create(
        member=member, text="Called about the strike fund", visibility="officers", actor=officer
    )
    return member, payment


def _office_urls(member, payment) -> list[str]:
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        if model_admin.has_add_permission(_superuser_request()):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    for pattern, _ in PAGES:
        url = "/" + pattern.replace("<int:member_id>", str(member.pk))
        if "<" not in url:  # a page of a record this local does not have (a list, a job)
            urls.append(url)
    urls.append(reverse("dues:receipt", args=[payment.pk]))
    return urls


def _superuser_request():
    class Request:
        user = UserFactory.build(is_superuser=True, is_staff=True, is_active=True)

    return Request()


def _problems(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
        f"{', '.join(str(n['target'][0]) for n in v['nodes'][:3])}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _signed_in(browser, live_server, login: str, username: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}{login}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    return page


def test_no_page_of_the_office_or_the_member_has_a_serious_accessibility_problem(
    live_server, browser, local
):
    member, payment = local
    UserFactory(username="admin1", role=roles.ADMIN, is_superuser=True)
    problems, walked = [], 0

    page = _signed_in(browser, live_server, "/admin/", "admin1")
    for url in _office_urls(member, payment):
        answer = page.goto(f"{live_server.url}{url}")
        assert answer.status < 400, f"{url} answered {answer.status}"
        problems += _problems(page)
        walked += 1
    page.context.close()

    page = _signed_in(browser, live_server, "/accounts/login/", "lparsons")
    for url in [
        "/",
        reverse("dues:my"),
        reverse("dues:statement", args=[member.pk]),
        reverse("dues:receipt", args=[payment.pk]),
        reverse("contact_update"),
        reverse("referral:my"),
    ]:
        answer = page.goto(f"{live_server.url}{url}")
        assert answer.status < 400, f"{url} answered {answer.status}"
        problems += _problems(page)
        walked += 1
    page.context.close()

    assert walked > 60
    assert problems == [], "\n".join(problems)
