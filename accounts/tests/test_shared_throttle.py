"""Throttles count in a cache every worker shares: requests served by two processes add up
to one count (with a per-process cache, each would count on its own)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.cache import caches
from django.urls import reverse
from rest_framework.test import APIClient

from unionhall.tests.process import run_python

# Another server process: its own Python, its own Django, the same database.
OTHER_WORKER = """
import django, json
django.setup()
from django.test import Client
client = Client(REMOTE_ADDR="203.0.113.9")
codes = [
    client.post("/api/v1/auth/token/", {"username": f"worker1-{i}", "password": "x"},
                content_type="application/json").status_code
    for i in range(6)
]
print(json.dumps(codes))
"""


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_share_one_login_throttle():
    done = run_python(
        "-c",
        OTHER_WORKER,
        env={
            "DATABASE_URL": _database_url(),
            "SECRET_KEY": "tests-only",
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",
        },
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [401] * 6

    here = APIClient(REMOTE_ADDR="203.0.113.9")
    codes = [
        here.post(reverse("api:token"), {"username": f"worker2-{i}", "password": "x"}).status_code
        for i in range(5)
    ]
    assert codes == [401, 401, 401, 401, 429]  # 10 a minute, counted across both
    caches["default"].clear()


def test_the_shared_cache_is_the_database_by_default_and_redis_when_configured():
    default = run_python(
        "-c",
        "import django; django.setup(); from django.core.cache import caches; "
        "c = caches['default']; c.set('k', 'v'); print(type(c).__name__, c.get('k'))",
        env={"DEBUG": "1", "DATABASE_URL": "", "CACHE_URL": ""},
    )
    # The embedded default needs no server: a table `migrate` makes in the app's database.
    assert "DatabaseCache" in default.stdout or "no such table" in default.stderr
    redis = run_python(
        "-c",
        "import django; django.setup(); from django.core.cache import caches; "
        "c = caches['default']; c.set('unionhall-test', 'v', 5); "
        "print(type(c).__name__, c.get('unionhall-test'))",
        env={"DEBUG": "1", "DATABASE_URL": "", "CACHE_URL": "redis://127.0.0.1:6379/15"},
    )
    assert redis.returncode == 0, redis.stderr
    assert redis.stdout.split() == ["RedisCache", "v"]
