"""The hall's rows at the demo's size: the demo hall that `seed_demo` builds (referral/demo.py:
11 books, about 4,000 registrations over the last five months), measured as the large hall
is (bench/hall.py's hall_rows). It lives in a scratch database of its own beside the
bench's (the bench's name with "_hall_demo", dropped and made again under the same rule,
bench/scratch.py), seeded by the demo's own code every run: the demo is dated from the day
it is made, so a kept one would have more re-signs missed each day."""

from __future__ import annotations

import datetime
import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from django.db import connection, connections

SUFFIX = "_hall_demo"


def demo_database_url(url: str) -> str:
    """The demo hall's database: the bench's, on the same server, named with SUFFIX."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + SUFFIX))


@contextmanager
def database_named(name: str) -> Iterator[None]:
    """The connection pointed at another database on the same server for a while, as
    Django's test runner points it at its test database (content types' ids are each
    database's own, so their cache is emptied both ways)."""
    from django.contrib.contenttypes.models import ContentType

    def point(at: str) -> None:
        connections.close_all()
        connection.settings_dict["NAME"] = at
        ContentType.objects.clear_cache()

    previous = connection.settings_dict["NAME"]
    point(name)
    try:
        yield
    finally:
        point(previous)


def hall_demo_rows(runs: int, *, drop_database: bool = False) -> list:
    """The demo hall seeded on its scratch database, then the large hall's rows on its
    largest book: its list as of halfway back through its history."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count, Q
    from django.test import Client, override_settings

    from bench.hall import hall_rows
    from bench.scratch import database_name, scratch_database_remake
    from referral.demo import DAYS_BACK
    from referral.models import ON_LIST_STATUSES, Book

    url = demo_database_url(os.environ["DATABASE_URL"])
    scratch_database_remake(url, drop_database=drop_database)
    name = database_name(url)
    with database_named(name):
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        migrated = time.perf_counter()
        seeded = io.StringIO()
        # seed_demo refuses to run without DEBUG (its logins have published passwords): this
        # database is the bench's scratch, made for it.
        with override_settings(DEBUG=True):
            call_command("seed_demo", stdout=seeded)
        said = next(line for line in seeded.getvalue().splitlines() if "hiring hall" in line)
        print(
            f"The demo hall on {name!r} (migrated in {migrated - started:.0f} s, seeded in "
            f"{time.perf_counter() - migrated:.0f} s): {said}"
        )
        office = Client()
        office.force_login(get_user_model().objects.get(username="admin"))
        largest = (
            Book.objects.annotate(
                listed=Count("registrations", filter=Q(registrations__status__in=ON_LIST_STATUSES))
            )
            .order_by("-listed", "code")
            .first()
        )
        back = DAYS_BACK // 2
        return hall_rows(
            office,
            runs,
            label="demo hall",
            book=largest,
            back=datetime.timedelta(days=back),
            back_words=f"{back} days ago",
        )
