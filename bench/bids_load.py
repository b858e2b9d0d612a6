"""4,000 web bids in the bidding window's first minute, through the API, on a scratch
PostgreSQL (issue 28's load: p95 ≤ 100 ms, no errors, each bid recorded once).

    DATABASE_URL=postgres://postgres@127.0.0.1/unionhall_bids_bench python -m bench.bids_load

The database named in DATABASE_URL is dropped and made again: its name must say it is scratch
(holding "bench", "scratch" or "smoke", or starting with "test_"), unless --drop-database is
given (bench/scratch.py).

One book of BIDDERS registrants, each a member with their own login, and 40 labor requests
for the referral the window serves; the rule set's window is set to open a minute ago (the
server's clock decides, as always). gunicorn serves the app with 4 sync workers; CLIENTS
threads post every member's bid (`POST /api/v1/referral/bids/`, the member's own
JWT, an Idempotency-Key), spread evenly over the window's first minute, timing each from
outside the server from the moment it was due. Then a tenth of them are sent
again with the same keys: the same bids come back and none is written twice. The floor: the
same bids' rows inserted in SQL alone from 4 connections, one INSERT each (rolled back)."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionhall.settings")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
os.environ["SECURE_SSL_REDIRECT"] = "0"

BIDDERS = int(os.environ.get("BENCH_BIDDERS", "4000"))
REQUESTS = 40
WORKERS = 4
CLIENTS = 32
# The window's first minute: the bids arrive evenly over it.
WINDOW_SECONDS = float(os.environ.get("BENCH_BID_SECONDS", "60"))
PORT = 8731
PATH = "/api/v1/referral/bids/"


def main() -> None:
    from bench.scratch import drop_database_given, scratch_database_remake

    told = drop_database_given(__doc__)
    scratch_database_remake(os.environ.get("DATABASE_URL", ""), drop_database=told)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    tokens, request_ids = _hall_made()
    server = _served()
    try:
        bodies = [
            (tokens[i], json.dumps({"labor_request": request_ids[i % REQUESTS]}), f"bid-{i}")
            for i in range(BIDDERS)
        ]
        started = time.perf_counter()
        placed = _posted_all(bodies, over_seconds=WINDOW_SECONDS)
        elapsed = time.perf_counter() - started
        again = _posted_all(bodies[::10], over_seconds=0)
    finally:
        server.terminate()
        server.wait(timeout=30)
    _report(placed, again, elapsed)


def _hall_made() -> tuple[list[str], list[int]]:
    """BIDDERS members on one book, each with a login and a token; REQUESTS requests for
    the referral tonight's bids serve; the window open since a minute ago."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts import roles
    from appkit.sql import bulk_insert
    from checkoff.models import Employer
    from members.models import Classification, Member
    from referral import rules
    from referral.models import Book, LaborRequest, Region, Registration, RuleSet
    from referral.services import labor_request_receive

    roles.roles_sync()
    now = timezone.localtime()
    today = now.date()
    rule_set = RuleSet.objects.create(
        version=1,
        effective_on=datetime.date(2020, 1, 1),
        notice_given_on=datetime.date(2019, 10, 1),
        activated_at=timezone.now(),
        # The window opened a minute ago and closes in three hours, on the local's clock.
        bidding_opens=(now - datetime.timedelta(minutes=1)).time(),
        bidding_closes=(now + datetime.timedelta(hours=3)).time(),
    )
    jw = Classification.objects.create(code="JW", name="Journeyman Wireman")
    book = Book.objects.create(
        code="WIRE-N",
        name="Inside wireman North",
        classification=jw,
        region=Region.objects.create(code="NORTH", name="North"),
        tiers=2,
    )
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bidder{i}") for i in range(BIDDERS)
    )
    group = roles.group_of(roles.MEMBER) if hasattr(roles, "group_of") else None
    if group is not None:
        for user in users:
            user.groups.add(group)
    members = Member.objects.bulk_create(
        Member(
            member_number=str(200000 + i),
            first_name="Bidder",
            last_name=f"B{i}",
            classification=jw,
            join_date=datetime.date(2015, 1, 1),
            user=users[i],
        )
        for i in range(BIDDERS)
    )
    whole = rules.day_number(today - datetime.timedelta(days=3))
    bulk_insert(
        [
            Registration(
                member=member,
                book=book,
                tier=1,
                apn=Decimal(whole) + Decimal("0.99"),
                sequence=i + 1,
                registered_at=timezone.now() - datetime.timedelta(days=3),
                resign_due=today + datetime.timedelta(days=27),
                rule_set=rule_set,
            )
            for i, member in enumerate(members)
        ]
    )
    employer = Employer.objects.create(code="ACME", name="Acme Electric Co.", due_day=15)
    serves = rules.bidding_referral_day(now, rule_set.bidding_closes, set())
    made = [
        labor_request_receive(
            employer=employer,
            book=book,
            positions=100,
            start_on=serves + datetime.timedelta(days=7),
            start_at=datetime.time(7, 0),
            worksite="Bench site",
            report_to="Gate 1",
            wage=Decimal("52.10"),
            requirements=[],
            short_call=False,
            agreement_type="standard",
            actor="bench",
        )
        for _ in range(REQUESTS)
    ]
    LaborRequest.objects.filter(pk__in=[r.pk for r in made]).update(referral_day=serves)
    tokens = [str(AccessToken.for_user(user)) for user in users]
    return tokens, [r.pk for r in made]


def _served() -> subprocess.Popen:
    here = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "unionhall.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=here,
        env={**os.environ, "PYTHONPATH": str(here)},
    )
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            connection.request("GET", "/healthz")
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not answer")


_local = threading.local()


def _post(item: tuple[float, str, str, str]) -> tuple[float, int, str]:
    """One bid, sent at its time (`due`, on the perf counter); its time is counted from
    then, so a bid kept waiting by the clients counts its wait too."""
    due, token, body, key = item
    time.sleep(max(0.0, due - time.perf_counter()))
    started = due
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    connection.request(
        "POST",
        PATH,
        body=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "Host": "127.0.0.1",
        },
    )
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    elapsed = (time.perf_counter() - started) * 1000
    bid_id = json.loads(answer).get("id") if response.status in (200, 201) else answer[:200]
    return elapsed, response.status, str(bid_id)


def _posted_all(items, *, over_seconds: float) -> list[tuple[float, int, str]]:
    """Every bid, spread evenly over `over_seconds` (0: all at once)."""
    start = time.perf_counter() + 0.5
    step = over_seconds / len(items)
    timed = [(start + i * step, *item) for i, item in enumerate(items)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(_post, timed))


def _floor_p95_ms() -> float:
    """Each bid's row inserted in SQL alone, from 4 connections at once (rolled back)."""
    import psycopg

    from referral.models import Bid, Registration

    url = os.environ["DATABASE_URL"]
    rows = list(Registration.objects.order_by("pk").values_list("pk", "member_id", "rule_set_id"))
    request_id = Bid.objects.values_list("labor_request_id", flat=True).first()
    times: list[float] = []

    def insert(chunk):
        with psycopg.connect(url) as connection:
            for registration_id, member_id, rule_set_id in chunk:
                started = time.perf_counter()
                connection.execute(
                    f"INSERT INTO {Bid._meta.db_table} (labor_request_id, member_id, "
                    "registration_id, placed_at, position, status, rule_set_id, "
                    "placed_by_name) VALUES (%s, %s, %s, now(), 1, 'placed', %s, 'floor') "
                    "ON CONFLICT DO NOTHING",
                    [request_id, member_id, registration_id, rule_set_id],
                )
                times.append((time.perf_counter() - started) * 1000)
            connection.rollback()

    threads = [threading.Thread(target=insert, args=(rows[i::WORKERS],)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statistics.quantiles(times, n=20)[-1]


def _report(placed, again, elapsed: float) -> None:
    from referral.models import Bid

    times = sorted(ms for ms, _, _ in placed)
    errors = [(status, said) for _, status, said in placed if status != 201]
    p95 = statistics.quantiles(times, n=20)[-1]
    first = {said for _, status, said in placed if status == 201}
    replayed = [said for _, status, said in again if status in (200, 201)]
    recorded = Bid.objects.count()
    floor = _floor_p95_ms()
    print(
        f"{len(placed):,} bids through the API ({WORKERS} gunicorn workers, {CLIENTS} clients), "
        f"due over {WINDOW_SECONDS:.0f} s, all answered in {elapsed:.1f} s: "
        f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms; "
        f"errors {len(errors)}"
    )
    print(
        f"floor (each bid's row inserted in SQL alone, 4 connections): p95 {floor:.2f} ms; "
        f"ratio {p95 / floor:.1f}x"
    )
    print(
        f"sent again with their keys: {len(replayed):,} of {len(again):,} answered with the "
        f"first bid ({sum(1 for said in replayed if said in first):,} the same id); bids "
        f"recorded: {recorded:,} (of {BIDDERS:,})"
    )
    if errors:
        print("first errors:", errors[:5])
    ok = not errors and recorded == BIDDERS and p95 <= 100
    print("target p95 ≤ 100 ms, no errors, each recorded once:", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
