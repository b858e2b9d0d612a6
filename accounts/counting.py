"""Counting attempts atomically, in the one place every worker on every machine shares: the
API's login throttle and the failed-login lockout count here.

A count is one add-and-read: "add one to this key and tell me the new count" never lets
two workers read the same count (a read, then a write, does: Django's cache.incr is
exactly that on the database cache, and 30 concurrent requests each saw a count under the
limit). A key's window starts at its first attempt and lasts `seconds`; the next attempt
after it starts a new window at one.

- Redis (the shared cache, when CACHE_URL names Redis): one script, which Redis runs whole
  (SET NX EX then INCR: a key never lives without its expiry).
- Otherwise the database (the default, beside the database cache): one statement on
  AttemptCount, INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on PostgreSQL and SQLite.
  It runs in the request's transaction, so the key's row stays locked until the request
  ends: concurrent attempts on one key (a username, an address) take their turns, and an
  attempt that fails on an error counts nothing.
"""

from __future__ import annotations

import datetime

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils import timezone

from .models import AttemptCount

_REDIS_ADD = """
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""
_REDIS_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0
"""
# Rows whose window ended, swept a batch at a time (see attempt_count_give_back).
SWEEP_BATCH = 1000


def _redis() -> RedisCache | None:
    cache = caches["default"]
    return cache if isinstance(cache, RedisCache) else None


def _redis_run(cache: RedisCache, script: str, key: str, *args: int) -> int:
    key = cache.make_and_validate_key(key)
    # Django's Redis cache has no call for a script: its own client (and pool) runs it.
    client = cache._cache.get_client(key, write=True)
    return int(client.eval(script, 1, key, *args))


def _table() -> tuple[str, dict[str, str]]:
    meta = AttemptCount._meta
    quote = connection.ops.quote_name
    columns = {f.name: quote(f.column) for f in meta.concrete_fields}
    return quote(meta.db_table), columns


def _when(moment: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def attempt_count_add(key: str, *, seconds: int) -> int:
    """Add one attempt to `key`'s count and return the count with it, atomically."""
    cache = _redis()
    if cache is not None:
        return _redis_run(cache, _REDIS_ADD, key, seconds)
    table, c = _table()
    now = timezone.now()
    # Every expression of SET reads the row as it was: the window is over, or it is not.
    sql = (
        f"INSERT INTO {table} ({c['key']}, {c['count']}, {c['ends_at']}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({c['key']}) DO UPDATE SET "
        f"{c['count']} = CASE WHEN {table}.{c['ends_at']} <= %s THEN 1 "
        f"ELSE {table}.{c['count']} + 1 END, "
        f"{c['ends_at']} = CASE WHEN {table}.{c['ends_at']} <= %s "
        f"THEN excluded.{c['ends_at']} ELSE {table}.{c['ends_at']} END "
        f"RETURNING {c['count']}"
    )
    ends = _when(now + datetime.timedelta(seconds=seconds))
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, ends, _when(now), _when(now)])
        return cursor.fetchone()[0]


def attempt_count_give_back(key: str) -> None:
    """Take back one attempt from `key`'s count, in its current window only (an attempt
    that turned out not to count: a login that succeeded); then sweep ended windows."""
    cache = _redis()
    if cache is not None:
        _redis_run(cache, _REDIS_GIVE_BACK, key)
        return
    table, c = _table()
    now = _when(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {c['count']} = {c['count']} - 1 "
            f"WHERE {c['key']} = %s AND {c['ends_at']} > %s",
            [key, now],
        )
        # Swept here, once the request holds every row it counts on: the sweep skips rows
        # another request holds, and this request waits for nothing after it.
        skip = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
        cursor.execute(
            f"DELETE FROM {table} WHERE {c['key']} IN (SELECT {c['key']} FROM {table} "
            f"WHERE {c['ends_at']} <= %s LIMIT {SWEEP_BATCH}{skip})",
            [now],
        )


def attempt_count_prolong(key: str, *, seconds: int) -> None:
    """Start `key`'s window again from now, its count kept: a lockout lasts while the
    attempts go on."""
    cache = _redis()
    if cache is not None:
        cache.touch(key, seconds)
        return
    AttemptCount.objects.filter(key=key).update(
        ends_at=timezone.now() + datetime.timedelta(seconds=seconds)
    )
