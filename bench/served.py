"""Pages as gunicorn serves them (`gunicorn unionhall.wsgi`, one sync worker, a new
connection per request as behind a proxy), timed from outside the server: what an office
user waits for, beside what the same page costs in-process.

    DATABASE_URL=postgres://postgres@127.0.0.1/unionhall_bench python -m bench.served \\
        [--runs 101] [--other-tree /path/to/another/checkout]

Serves this checkout (and, with --other-tree, another checkout of Union Hall too, on the
same local: requests then alternate between the two servers, so the two medians come from
one run). The session is made in the database for the bench's admin user; the page views'
audit events, the session and the user are undone after (bench/local_state.py)."""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionhall.settings")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ["ALLOWED_HOSTS"] = "testserver"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["CSRF_COOKIE_SECURE"] = "0"

HERE = Path(__file__).resolve().parent.parent


def _serve(tree: Path, port: int) -> subprocess.Popen:
    """gunicorn on `tree`'s code, its static files collected first (a production setup)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "ALLOWED_HOSTS": "127.0.0.1"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=tree,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "unionhall.wsgi",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=tree,
        env=env,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"gunicorn on {tree} did not answer on port {port}")


def _reference_ms() -> float:
    """The machine's own speed during the run (it varies by up to 2x from hour to hour here):
    ten million additions in pure Python, the median of three. A page's time divided by
    this compares across runs; its milliseconds do not."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _get_ms(port: int, path: str, cookie: str) -> float:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status == 200, (port, path, response.status, body[:300])
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.served", description=__doc__)
    parser.add_argument("--runs", type=int, default=101)
    parser.add_argument("--other-tree", type=Path, help="another checkout, served beside")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.local_state import local_restored, local_state
    from bench.workloads import ADMIN, BENCH_USERS
    from members.models import Member

    before = local_state(BENCH_USERS)
    servers: list[subprocess.Popen] = []
    try:
        admin, _ = get_user_model().objects.get_or_create(
            username=ADMIN, defaults={"is_staff": True, "is_superuser": True}
        )
        session = SessionStore()
        session[SESSION_KEY] = str(admin.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        count = Member.objects.count()
        member = Member.objects.filter(status="active").order_by("id")[count // 2]
        page = f"/admin/members/member/{member.pk}/change/"

        trees = {"this checkout": (HERE, 8701)}
        if args.other_tree:
            trees[f"{args.other_tree}"] = (args.other_tree.resolve(), 8702)
        for tree, port in trees.values():
            servers.append(_serve(tree, port))
        times: dict[str, list[float]] = {name: [] for name in trees}
        for _tree, port in trees.values():  # warm
            for _ in range(5):
                _get_ms(port, page, cookie)
        order = list(trees.items())
        for i in range(args.runs):
            for name, (_, port) in order if i % 2 == 0 else reversed(order):
                times[name].append(_get_ms(port, page, cookie))

        # In-process, the same page: its queries and their time, the rest Python.
        from django.test import Client

        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        in_process, sql_ms, queries = [], [], 0
        for _ in range(args.runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(page)
                in_process.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            queries = len(captured)
            sql_ms.append(sum(float(q["time"]) for q in captured) * 1000)
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
            server.wait(10)
        differences = local_restored(before, BENCH_USERS)
    reference = _reference_ms()

    print(f"\nadmin member page {page}, {args.runs} requests to each server, alternating:")
    for name, taken in times.items():
        ordered = sorted(taken)
        print(
            f"  gunicorn, {name}: p50 {statistics.median(taken):.1f} ms, "
            f"p90 {ordered[int(len(ordered) * 0.9)]:.1f} ms "
            f"({statistics.median(taken) / reference:.3f} of the reference)"
        )
    print(
        f"  in-process (this checkout, CaptureQueriesContext on): p50 "
        f"{statistics.median(in_process):.1f} ms, of which SQL {statistics.median(sql_ms):.1f} ms "
        f"in {queries} queries (DEBUG cursor timing: the rest is Python)"
    )
    print(f"  the reference (10,000,000 additions in Python, this machine now): {reference:.0f} ms")
    if differences:
        print("The local is NOT as the run found it:", *differences, sep="\n  ")
        sys.exit(1)
    print("The local is as the run found it.")


if __name__ == "__main__":
    main()
