"""The quickstart's SQLite: two requests that write at once (two webhook deliveries, say)
take turns instead of one failing with "database is locked"."""

from __future__ import annotations

import contextlib
import threading
import time

from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper


def _connection(path, options: dict) -> DatabaseWrapper:
    wrapper = DatabaseWrapper(
        {**settings.DATABASES["default"], "NAME": str(path), "OPTIONS": dict(options)}
    )
    wrapper.ensure_connection()
    return wrapper


def _writers_at_once(path, options: dict) -> list[str]:
    """Two connections, each in a transaction (begun as Django begins one) that reads,
    pauses, then writes: what each request would have failed with."""
    setup = _connection(path, options)
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE delivery (id INTEGER PRIMARY KEY, n INTEGER)")
    setup.close()
    errors: list[str] = []
    both_read = threading.Barrier(2)

    def deliver() -> None:
        wrapper = _connection(path, options)
        try:
            with wrapper.cursor() as cursor:
                wrapper._start_transaction_under_autocommit()
                cursor.execute("SELECT count(*) FROM delivery")
                # With a write lock at BEGIN, the other one waits there for this one.
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_read.wait(timeout=0.5)
                time.sleep(0.1)
                cursor.execute("INSERT INTO delivery (n) VALUES (1)")
                cursor.execute("COMMIT")
        except Exception as exc:  # what a request would answer 500 with
            errors.append(str(exc))
        finally:
            wrapper.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def test_two_writers_at_once_take_turns_on_the_quickstart_database(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        assert _writers_at_once(tmp_path / "quickstart.sqlite3", settings.SQLITE_OPTIONS) == []


def test_without_a_write_lock_at_begin_one_of_two_writers_fails(tmp_path, django_db_blocker):
    with django_db_blocker.unblock():
        errors = _writers_at_once(tmp_path / "deferred.sqlite3", {"timeout": 20})
    assert errors == ["database is locked"]
