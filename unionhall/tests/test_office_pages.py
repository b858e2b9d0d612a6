"""Every page of the office outside the admin's own (dues, governance, check-off) goes
through the admin site's admin_view, as the admin's pages do: staff status is asked for the
same way everywhere, then the page's own permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts import roles
from members.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _office_pages(patterns=None, prefix: str = "") -> list[tuple[str, str]]:
    """(URL pattern, permission) of every view made with appkit.admin.office_view."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            found += _office_pages(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and hasattr(entry.callback, "office_permission"):
            found.append((prefix + str(entry.pattern), entry.callback.office_permission))
    return found


def _url(pattern: str) -> str:
    return "/" + pattern.replace("<int:member_id>", "1").replace("<int:pk>", "1")


PAGES = _office_pages()


def test_the_office_pages_are_found():
    assert {"dues/", "compliance/arrears/", "dues/reports/employers/"} <= {p for p, _ in PAGES}


@pytest.mark.parametrize(("pattern", "permission"), PAGES)
def test_an_office_page_asks_for_staff_then_its_permission(client, pattern, permission):
    url = _url(pattern)
    assert client.get(url)["Location"].startswith(reverse("admin:login"))

    app_label, codename = permission.split(".")
    granted = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    # The page's permission without staff status (a member given it by mistake): refused.
    member = UserFactory(role=roles.MEMBER)
    member.user_permissions.add(granted)
    client.force_login(member)
    refused = client.get(url)
    assert refused.status_code == 403 and "Your pages are this way" in refused.content.decode()

    # Staff without the page's permission: refused.
    client.force_login(UserFactory(is_staff=True))
    assert client.get(url).status_code == 403

    # Staff with it: past both checks (the page itself may then find no such member).
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(granted)
    client.force_login(staff)
    assert client.get(url).status_code in (200, 404)
