"""Logging in, on every path (the login page, the admin's, the API's token endpoint): the
lockout counts the name authentication resolves, tokens die with a password change or a
deactivation, and throttles count across every worker."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import roles
from audit.models import AuditEvent
from members.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_a_token_opens_the_api_and_a_refresh_token_renews_it(db):
    UserFactory(username="officer1", role=roles.OFFICER)
    client = APIClient()
    tokens = client.post(reverse("api:token"), {"username": "officer1", "password": PASSWORD}).data
    assert set(tokens) == {"access", "refresh"}
    assert client.get(reverse("api:members")).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get(reverse("api:members")).status_code == 200
    renewed = APIClient().post(reverse("api:token-refresh"), {"refresh": tokens["refresh"]})
    assert "access" in renewed.data
    assert AuditEvent.objects.filter(action="login", actor_label="officer1").exists()


def test_a_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get(reverse("api:members")).status_code == 401


def test_a_failed_token_login_is_recorded_without_the_password(db):
    UserFactory(username="officer1", role=roles.OFFICER)
    response = APIClient().post(
        reverse("api:token"),
        {"username": "officer1", "password": "Guess-123"},
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 401
    event = AuditEvent.objects.get(action="login_failed")
    assert (event.actor_label, event.ip_address) == ("officer1", "198.51.100.4")
    assert "Guess-123" not in str(event.changes) + event.detail


def test_repeated_failures_lock_the_username_out_of_the_api_and_the_login_page(
    client, db, settings
):
    settings.LOGIN_LOCKOUT_FAILURES = 3
    UserFactory(username="lparsons", role=roles.MEMBER)
    for _ in range(3):
        assert (
            APIClient()
            .post(reverse("api:token"), {"username": "lparsons", "password": "x"})
            .status_code
            == 401
        )
    locked = APIClient().post(reverse("api:token"), {"username": "lparsons", "password": PASSWORD})
    assert locked.status_code == 429
    assert "paused" in locked.data["detail"]
    page = client.post(reverse("login"), {"username": "lparsons", "password": PASSWORD})
    assert "paused" in page.content.decode()
    assert "_auth_user_id" not in client.session
    refusals = AuditEvent.objects.filter(action="login_failed", detail__startswith="Refused")
    assert refusals.count() == 2


def test_the_token_endpoint_is_rate_limited(db):
    client = APIClient()
    statuses = [
        client.post(reverse("api:token"), {"username": f"u{i}", "password": "x"}).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


# --- One name, however it is typed ----------------------------------------------------------

VARIANTS = [" victim", "victim ", "\uff56\uff49\uff43\uff54\uff49\uff4d", "\u3000victim"]


def _lock_out(settings) -> None:
    settings.LOGIN_LOCKOUT_FAILURES = 3
    UserFactory(username="victim", role=roles.OFFICER)
    for _ in range(3):
        APIClient().post(reverse("api:token"), {"username": "victim", "password": "wrong"})


@pytest.mark.parametrize("typed", VARIANTS)
def test_a_locked_out_user_stays_out_however_the_name_is_typed(client, settings, typed):
    _lock_out(settings)
    api = APIClient().post(reverse("api:token"), {"username": typed, "password": PASSWORD})
    assert api.status_code == 429
    for login_url in (reverse("login"), reverse("admin:login")):
        page = client.post(login_url, {"username": typed, "password": PASSWORD})
        assert "paused" in page.content.decode(), login_url
        assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("typed", VARIANTS)
def test_failures_under_a_variant_count_for_the_user(client, settings, typed):
    settings.LOGIN_LOCKOUT_FAILURES = 3
    UserFactory(username="victim", role=roles.OFFICER)
    for _ in range(3):
        client.post(reverse("login"), {"username": typed, "password": "wrong"})
    locked = APIClient().post(reverse("api:token"), {"username": "victim", "password": PASSWORD})
    assert locked.status_code == 429


def test_a_variant_logs_in_as_the_user_when_nobody_is_locked_out(client):
    UserFactory(username="victim", role=roles.OFFICER)
    response = APIClient().post(
        reverse("api:token"), {"username": VARIANTS[2], "password": PASSWORD}
    )
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="login", actor_label="victim").exists()


# --- Tokens do not outlive the password or the account ----------------------------------------


def _tokens(username: str = "officer1") -> dict:
    return APIClient().post(reverse("api:token"), {"username": username, "password": PASSWORD}).data


def _works(tokens: dict) -> tuple[int, int]:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    access = client.get(reverse("api:members")).status_code
    refresh = APIClient().post(reverse("api:token-refresh"), {"refresh": tokens["refresh"]})
    return access, refresh.status_code


def test_a_password_change_revokes_access_and_refresh_tokens(db):
    user = UserFactory(username="officer1", role=roles.OFFICER)
    tokens = _tokens()
    assert _works(tokens) == (200, 200)
    user.set_password("a-new-and-long-passphrase")
    user.save()
    assert _works(tokens) == (401, 401)


def test_a_deactivation_revokes_access_and_refresh_tokens(db):
    user = UserFactory(username="officer1", role=roles.OFFICER)
    tokens = _tokens()
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _works(tokens) == (401, 401)


def test_a_refreshed_access_token_is_revoked_too(db):
    user = UserFactory(username="officer1", role=roles.OFFICER)
    tokens = _tokens()
    renewed = APIClient().post(reverse("api:token-refresh"), {"refresh": tokens["refresh"]}).data
    user.set_password("a-new-and-long-passphrase")
    user.save()
    assert _works({**tokens, "access": renewed["access"]})[0] == 401
