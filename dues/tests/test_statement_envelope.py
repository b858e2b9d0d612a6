"""A statement carries the member's mailing address at the top left, where a window
envelope shows it, under the local's own return address."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts import roles
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _window(html: str) -> str:
    block = re.search(r'<address class="window-address"[^>]*>(.*?)</address>', html, re.S)
    return block.group(1) if block else ""


def test_the_statement_has_the_members_address_block_for_a_window_envelope(
    client, member, settings
):
    settings.LOCAL_NAME, settings.LOCAL_ADDRESS = "IBEW Local 000", ["1234 Main Street"]
    member.address_line1, member.address_line2 = "100 Main St", "Apt 2"
    member.city, member.state, member.postal_code = "Chicago", "IL", "60601"
    member.user = UserFactory(role=roles.MEMBER)
    member.save()
    client.force_login(member.user)
    html = client.get(reverse("dues:statement", args=[member.pk])).content.decode()
    assert _window(html) == (f"{member.full_name}<br>100 Main St<br>Apt 2<br>Chicago, IL 60601")
    assert html.index("window-address") < html.index("<table")  # at the top
    assert "IBEW Local 000<br>1234 Main Street" in html


def test_the_office_prints_it_too(client, member, user_with_role):
    client.force_login(user_with_role(roles.STAFF))
    html = client.get(reverse("dues:statement", args=[member.pk])).content.decode()
    assert "100 Main St" in _window(html) and "Chicago, IL 60601" in _window(html)
