"""Fixtures shared by every app's tests: database selection and the real browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _sqlite_test_flush_passes_the_append_only_triggers() -> Iterator[None]:
    """Django empties a SQLite test database with DELETE between transactional tests;
    the audit triggers let that one DELETE through (audit/append_only.py)."""
    from django.db import connection

    from audit.append_only import flush_allowed_in_tests

    if connection.vendor != "sqlite":
        yield  # PostgreSQL's TRUNCATE trigger lets test_ databases through by name.
        return
    operations = type(connection.ops)
    original = operations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with flush_allowed_in_tests():
            return original(self, sql_list)

    operations.execute_sql_flush = execute_sql_flush
    yield
    operations.execute_sql_flush = original


@pytest.fixture(autouse=True)
def _fresh_cache(request: pytest.FixtureRequest) -> None:
    """Rate limits count in the shared cache, a table of the test database: a test in a
    transaction leaves nothing there (it is rolled back); a transactional test starts with
    none used."""
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        from django.core.cache import cache

        request.getfixturevalue("transactional_db")
        cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Real hashing is slow by design; the tests check who may log in, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:
    # Production serves hashed file names from a manifest built by collectstatic;
    # tests render templates without running it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


_failed_key = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    report = yield
    if report.when == "call":
        item.stash[_failed_key] = report.failed
    return report


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: install it with `apt-get install chromium`.")
    # Playwright's sync API runs an event loop; the test's own ORM calls are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(request: pytest.FixtureRequest, browser) -> Iterator:
    """A fresh browser page; a failing test leaves its screenshot in test-artifacts/."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    if request.node.stash.get(_failed_key, False):
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.nodeid.replace('/', '_').replace('::', '-')}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot saved: {path}")
    # Stop the page's own requests (a job page's poll) before the database is flushed. A
    # request already sent may still be served: on the tests' SQLite file (settings.py) the
    # flush waits for it, as any writer waits for another.
    page.goto("about:blank")
    context.close()


@pytest.fixture
def user_with_role(db):
    """Make a user in one of the roles of docs/design.md §3: user_with_role("Officer")."""
    from members.tests.factories import UserFactory

    def make(role: str, **fields):
        return UserFactory(role=role, **fields)

    return make


@pytest.fixture
def race():
    """Run `work` on N threads at once, each with its own database connection (so, on
    PostgreSQL, truly concurrent transactions). Returns (results, errors)."""
    import threading

    from django.db import connections

    def run(work, times: int = 2):
        start = threading.Barrier(times)
        results, errors = [], []

        def one():
            try:
                start.wait()
                results.append(work())
            except Exception as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=one) for _ in range(times)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results, errors

    return run


@pytest.fixture
def ledgers_agree(request: pytest.FixtureRequest):
    """After a test that moved money, every member's kept ledger (dues.MemberLedger) must
    equal the rules worked out afresh, and every kept total (dues.KeptTotal) its table
    summed afresh: the caches are never a second set of rules."""
    yield
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db or request.node.stash.get(_failed_key, False):
        return
    from dues.kept_totals import kept_totals_check
    from dues.services import member_ledgers_check

    assert [str(d) for d in member_ledgers_check()] == []
    assert [str(d) for d in kept_totals_check()] == []
    # kept_totals_check sums the tables with the triggers' own SQL (dues.kept_totals'
    # measures): a wrong measure would agree with itself. Summed here a second way.
    kept, summed = _kept_totals(), _totals_summed_by_the_orm()
    assert [
        f"{total}: kept {kept.get(total)}, summed by the ORM {summed.get(total)}"
        for total in sorted(kept.keys() | summed.keys())
        if kept.get(total) != summed.get(total)
    ] == []


def _total(rows, measure: str, status: str, key: str) -> dict:
    return {
        (measure, row[status] if status else "", int(row[key]) if key else 0): (
            row["n"],
            (row["money"] or 0).quantize(Decimal("0.01")) if "money" in row else Decimal("0.00"),
        )
        for row in rows
        if row["n"]
    }


def _kept_totals() -> dict:
    from django.db.models import Sum

    from dues.models import KeptTotal

    rows = KeptTotal.objects.values("measure", "status", "key").annotate(
        n=Sum("count"), money=Sum("amount")
    )
    totals = {}
    for row in rows:
        # SQLite sums decimals as floats: a total folded to nothing may read -0.00 or 1e-15.
        money = Decimal(str(row["money"] or 0)).quantize(Decimal("0.01"))
        if row["n"] or money:
            totals[(row["measure"], row["status"], row["key"])] = (row["n"], money)
    return totals


def _totals_summed_by_the_orm() -> dict:
    """The kept totals' meaning, in the ORM's words: members by status; members behind
    by months (with what they owe); charges by period; money received and refunded by
    month (YYYYMM)."""
    from django.db.models import Count, Sum
    from django.db.models.functions import ExtractMonth, ExtractYear

    from dues.models import RECEIVED_STATUSES, DuesCharge, MemberLedger, Payment, Refund
    from members.models import Member

    def by_month(column: str):
        return ExtractYear(column) * 100 + ExtractMonth(column)

    received = Payment.objects.filter(status__in=RECEIVED_STATUSES, received_date__isnull=False)
    return {
        **_total(Member.objects.values("status").annotate(n=Count("id")), "members", "status", ""),
        **_total(
            MemberLedger.objects.filter(months_in_arrears__gte=1)
            .values("member_status", "months_in_arrears")
            .annotate(n=Count("pk"), money=Sum("balance")),
            "standing",
            "member_status",
            "months_in_arrears",
        ),
        **_total(
            DuesCharge.objects.values("period_id").annotate(n=Count("id"), money=Sum("amount")),
            "billed",
            "",
            "period_id",
        ),
        **_total(
            received.annotate(month=by_month("received_date"))
            .values("month")
            .annotate(n=Count("id"), money=Sum("amount")),
            "received",
            "",
            "month",
        ),
        **_total(
            Refund.objects.annotate(month=by_month("refunded_date"))
            .values("month")
            .annotate(n=Count("id"), money=Sum("amount")),
            "refunded",
            "",
            "month",
        ),
    }
