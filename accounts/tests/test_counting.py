"""Attempts are counted atomically where every worker counts (accounts/counting.py): the
database by default, Redis when the shared cache is Redis. However many requests arrive at
once, exactly the limit passes: the API's login throttle, and the lockout's guesses on the
token endpoint and the login page."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.counting import attempt_count_add, attempt_count_give_back, attempt_count_prolong
from audit.models import AuditEvent
from members.tests.factories import UserFactory

REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/14",
}


@pytest.fixture(params=["database", "redis"])
def shared_cache(request, settings):
    """Each test runs on both: the database's counts (the default) and Redis's."""
    if request.param == "redis":
        from django.core.cache import caches

        settings.CACHES = {"default": REDIS}
        caches["default"].clear()
        yield "redis"
        caches["default"].clear()
    else:
        yield "database"


# --- One count at a time --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_count_lasts_its_window_then_starts_again(shared_cache):
    assert [attempt_count_add("k", seconds=1) for _ in range(3)] == [1, 2, 3]
    time.sleep(1.1)
    assert attempt_count_add("k", seconds=1) == 1


@pytest.mark.django_db
def test_an_attempt_given_back_counts_no_more_but_never_below_a_new_window(shared_cache):
    attempt_count_add("k", seconds=1)
    attempt_count_add("k", seconds=1)
    attempt_count_give_back("k")
    assert attempt_count_add("k", seconds=1) == 2
    time.sleep(1.1)
    attempt_count_give_back("k")  # the window is over: nothing to give back
    assert attempt_count_add("k", seconds=1) == 1


@pytest.mark.django_db
def test_a_prolonged_window_keeps_its_count(shared_cache):
    attempt_count_add("k", seconds=1)
    time.sleep(0.6)
    attempt_count_prolong("k", seconds=1)
    time.sleep(0.6)
    assert attempt_count_add("k", seconds=1) == 2


# --- Many at once -----------------------------------------------------------------------------

AT_ONCE = 30


def _at_once(attempt: Callable[[int], int]) -> list[int]:
    """`attempt(i)` in AT_ONCE threads released together, each on its own connection."""
    UserFactory()  # a trail that has begun (its first event made its head), as any has
    start = threading.Barrier(AT_ONCE)
    results: list[int | None] = [None] * AT_ONCE

    def run(i: int) -> None:
        try:
            start.wait(30)
            results[i] = attempt(i)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert None not in results, results
    return results


def _token(username: str, address: str) -> int:
    response = Client(REMOTE_ADDR=address).post(
        reverse("api:token"),
        {"username": username, "password": "a-wrong-guess"},
        content_type="application/json",
    )
    return response.status_code


def _checked() -> int:
    """Passwords actually checked: Django's failed-login events, not the refusals."""
    failed = AuditEvent.objects.filter(action="login_failed")
    return failed.filter(detail__startswith="Failed login").count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exactly_the_rate_passes_when_token_requests_come_at_once(shared_cache):
    # One address, 10 a minute (API_LOGIN_RATE); each a different name, so no lockout.
    codes = _at_once(lambda i: _token(f"guess-{i}", "203.0.113.7"))
    assert sorted(codes) == [401] * 10 + [429] * 20
    assert _checked() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exactly_the_lockouts_guesses_are_checked_when_they_come_at_once(shared_cache, settings):
    UserFactory(username="victim")
    # Each guess from its own address: neither the throttle nor the address's limit.
    codes = _at_once(lambda i: _token("victim", f"198.51.100.{i + 1}"))
    assert sorted(codes) == [401] * settings.LOGIN_LOCKOUT_FAILURES + [429] * (
        AT_ONCE - settings.LOGIN_LOCKOUT_FAILURES
    )
    assert _checked() == settings.LOGIN_LOCKOUT_FAILURES


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_exactly_the_lockouts_guesses_are_checked_on_the_login_page(shared_cache, settings):
    UserFactory(username="victim")

    def guess(i: int) -> int:
        page = Client(REMOTE_ADDR=f"198.51.100.{i + 1}").post(
            reverse("login"), {"username": "victim", "password": "a-wrong-guess"}
        )
        return int("paused" in page.content.decode())

    refused = _at_once(guess)
    assert sum(refused) == AT_ONCE - settings.LOGIN_LOCKOUT_FAILURES
    assert _checked() == settings.LOGIN_LOCKOUT_FAILURES
