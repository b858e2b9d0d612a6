"""The office's home lists the work waiting for it, each with its count and the page to do
it (appkit.work_items): suspense lines, late employers, autopay collections that failed,
contact details members changed themselves. What is done leaves the list."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from checkoff.models import SuspenseStatus
from checkoff.services import suspense_return
from dues.tests.factories import periods
from members.services import member_contact_update
from members.tests.factories import MemberFactory, UserFactory
from payments.models import AutopayCollection, CollectionStatus

from .factories import AuthorizationFactory, EmployerFactory
from .test_suspense import posted  # noqa: F401 (a batch posted with one line in suspense)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)


def _work_list(client) -> dict[str, tuple[int, str]]:
    """The work list on the office's home: label -> (count, link)."""
    home = client.get(reverse("admin:index")).content.decode()
    assert "Waiting for the office" in home
    block = home.split('class="module uh-panel uh-work-list"', 1)[1].split("</section>", 1)[0]
    found = re.findall(r'<a href="([^"]+)"><strong>(\d+)</strong> ([^<]+)</a>', block)
    return {unescape(label): (int(count), unescape(url)) for url, count, label in found}


def test_the_office_sees_what_waits_and_where_to_do_it(
    client,
    posted,  # noqa: F811 (the fixture imported above)
    journeyman,
    officer,
    monkeypatch,
):
    monkeypatch.setattr(timezone, "localdate", lambda *args: TODAY)
    batch, ana = posted
    # Beta was due to remit November's dues on December 1st and has not.
    late = EmployerFactory(code="BETA", name="Beta Power", due_day=1)
    AuthorizationFactory(member=MemberFactory(classification=journeyman), employer=late)
    [period] = periods(2026, [11])
    AutopayCollection.objects.create(
        member=ana, period=period, amount=Decimal("45.00"), status=CollectionStatus.NEEDS_REVIEW
    )
    own = UserFactory(role=roles.MEMBER)
    mover = MemberFactory(user=own, classification=journeyman)
    member_contact_update(member=mover, actor=own, changes={"phone": "(312) 555-0101"})

    client.force_login(officer)
    work = _work_list(client)
    assert work["remittance lines in suspense, to apply or return"] == (
        1,
        reverse("admin:checkoff_remittanceline_changelist") + "?suspense=open",
    )
    assert work["employers late with last month's remittance"] == (
        1,
        reverse("checkoff:employers") + "?month=2026-11",
    )
    review = "autopay collections held for review (Stripe reported another amount or currency)"
    assert work[review][0] == 1
    assert work["members changed their own contact details (last 14 days)"][0] == 1
    for _, url in work.values():
        assert client.get(url).status_code == 200

    suspense_return(
        line=batch.lines.get(suspense=SuspenseStatus.OPEN), note="Not ours", actor=officer
    )
    assert "remittance lines in suspense, to apply or return" not in _work_list(client)


def test_staff_see_only_the_work_they_may_do_and_nothing_reads_as_waiting(client):
    client.force_login(UserFactory(role=roles.STAFF))
    home = client.get(reverse("admin:index")).content.decode()
    assert "Nothing is waiting." in home
    assert "audit" not in home.split("uh-work-list", 1)[1].split("</section>", 1)[0]
    assert "Import members" not in home  # staff add members but may not import them
