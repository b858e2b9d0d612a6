"""A large hiring hall, built straight in SQL beside the bench's local: 40 books, ten years
of registrations (400,000, of which 40,000 on the books today) and their events (5.1
million: each registration's registering, a re-sign every 30 days while it lasted, its
drop). Built once (a marker table says so) and kept; `hall_rows` measures it, and the demo
hall `seed_demo` builds (bench/hall_demo.py).

Dates are the local's, as the hall's rules have them (referral.rules, docs/design.md §11):
a registration is made in office hours on the local's wall clock, its APN's whole part is
the day number of its local date, each re-sign falls on a local date 30 days after the last
and its registration is dropped at 00:15 local the night after a re-sign day missed.

The rows are the ledger's alone: the audit trail of a hall this old is the audit bench's
business (bench/audit_throughput.py), not what these reads and the nightly drop touch."""

from __future__ import annotations

import datetime
import statistics
import time
import tracemalloc
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils import timezone

MARKER = "bench_hall"
BOOKS = 40
REGISTRATIONS_PER_BOOK = 10_000
ACTIVE_PER_BOOK = 1_000
YEARS = 10
RESIGN_DAYS = 30
# A registration rolled off made 0 to 22 re-signs first (11 on average: on its book about a
# year); with the 40,000 on the books, about 5.1 million events in all.
MOST_RESIGNS = 22
# Registrations on the books today were made in the last 600 days; those rolled off, from
# ten years ago to 700 days ago (so the longest-lasting was dropped before today).
ACTIVE_DAYS, ROLLED_OFF_UNTIL = 600, 700


def hall_built() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [MARKER])
        return cursor.fetchone()[0] is not None


def hall_build(log: Callable[[str], None], *, small: bool = False) -> None:
    """Write the hall (the local's members must exist); `small`: 2 books of 200, for the
    smoke run."""
    started = time.perf_counter()
    books, per_book, active = (
        (2, 200, 50) if small else (BOOKS, REGISTRATIONS_PER_BOOK, ACTIVE_PER_BOOK)
    )
    rule_set = _hall_configured(books)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_member")
        members = cursor.fetchone()[0]
        params = {
            "per_book": per_book,
            "active": active,
            "members": members,
            "days": YEARS * 365,
            "active_days": ACTIVE_DAYS,
            "rolled_off_until": ROLLED_OFF_UNTIL,
            "resign_days": RESIGN_DAYS,
            "most_resigns": MOST_RESIGNS,
            "rule_set": rule_set.pk,
            "tz": settings.TIME_ZONE,
        }
        for label, statement in _STEPS:
            step = time.perf_counter()
            cursor.execute(statement, params)
            log(f"  hall: {label} ({time.perf_counter() - step:.1f} s)")
        cursor.execute(f"CREATE TABLE {MARKER} (built_at timestamptz)")
        cursor.execute(f"INSERT INTO {MARKER} VALUES (now())")
        cursor.execute(
            "ANALYZE referral_registration; ANALYZE referral_registrationevent; "
            "ANALYZE referral_book"
        )
        cursor.execute("SELECT count(*) FROM referral_registrationevent")
        events = cursor.fetchone()[0]
    log(f"  hall built in {time.perf_counter() - started:.0f} s ({events:,} events)")


def _hall_configured(books: int):
    """The hall's region, rules and books, by the ORM (each field the models' defaults
    unless said here), without history: the ledger's configuration, not its audit trail."""
    from members.models import Classification
    from referral.models import Book, Region, RuleSet

    region = Region.objects.bulk_create([Region(code="BENCH", name="Bench region")])[0]
    (rule_set,) = RuleSet.objects.bulk_create(
        [
            RuleSet(
                version=9001,
                effective_on=datetime.date(2000, 1, 1),
                notice_given_on=datetime.date(1999, 11, 1),
                activated_at=timezone.now(),
                text="Bench rules",
                resign_days=RESIGN_DAYS,
            )
        ]
    )
    classification = Classification.objects.order_by("pk").first()
    Book.objects.bulk_create(
        Book(
            code=f"HALL-{b:02d}",
            name=f"Bench book {b}",
            classification=classification,
            region=region,
            tiers=2,
            referral_time=datetime.time(8, 30),
            referral_order=100 + b,
        )
        for b in range(1, books + 1)
    )
    return rule_set


# Registration k of a book (1 = the oldest): the last `active` are on the book today,
# registered 1 to 600 days ago and re-signed every 30 days since (the last before today);
# the others made 0 to MOST_RESIGNS re-signs and were dropped after the next re-sign day,
# spread over the years before. Each is made between 08:00 and 16:30 on the local's clock;
# its APN is the day number of its local date (days from 1899-12-30, as the vendor counts)
# with its order in the book's day, its sequence its order in the book.
_STEPS = (
    (
        "registrations",
        """
        CREATE TEMP TABLE hall_plan ON COMMIT DROP AS
        SELECT book_id, k, active, registered_on,
               (registered_on + time '08:00' + mod(k * 31, 510) * interval '1 minute')
                 AT TIME ZONE %(tz)s AS registered_at,
               CASE WHEN active THEN (today - registered_on - 1) / %(resign_days)s
                    ELSE mod(k * 104729 + book_id, %(most_resigns)s + 1)::int END AS resigns
        FROM (
          SELECT b.id AS book_id, k, today,
                 k > %(per_book)s - %(active)s AS active,
                 CASE WHEN k > %(per_book)s - %(active)s
                      THEN today - 1 - mod(k * 7919 + b.id, %(active_days)s)::int
                      ELSE today - %(rolled_off_until)s
                           - ((%(days)s - %(rolled_off_until)s)
                              * (%(per_book)s - %(active)s - k))
                             / (%(per_book)s - %(active)s)
                 END AS registered_on
          FROM referral_book b, generate_series(1, %(per_book)s) AS k,
               (SELECT (now() AT TIME ZONE %(tz)s)::date AS today) AS local
          WHERE b.code LIKE 'HALL-%%'
        ) AS plan;
        INSERT INTO referral_registration (member_id, book_id, tier, tier_reason, apn,
            sequence, status, registered_at, resign_due, check_marks, short_calls_used,
            ended_at, roll_off_reason, rule_set_id)
        SELECT m.id, p.book_id, 1 + (mod(p.k, 5) = 0)::int, '',
               (p.registered_on - DATE '1899-12-30')
                 + least(row_number() OVER (PARTITION BY p.book_id, p.registered_on
                                            ORDER BY p.registered_at, p.k), 99) / 100.0,
               row_number() OVER (PARTITION BY p.book_id ORDER BY p.registered_at, p.k),
               CASE WHEN p.active THEN 'registered' ELSE 'rolled_off' END,
               p.registered_at,
               p.registered_on + %(resign_days)s * (p.resigns + 1),
               0, 0,
               CASE WHEN p.active THEN NULL
                    ELSE (p.registered_on + %(resign_days)s * (p.resigns + 1) + 1
                          + time '00:15') AT TIME ZONE %(tz)s END,
               CASE WHEN p.active THEN '' ELSE 'resign_missed' END,
               %(rule_set)s
        FROM hall_plan p
        JOIN members_member m ON m.id = (SELECT min(id) FROM members_member)
             + mod(p.book_id * 997 + p.k, %(members)s);
        """,
    ),
    (
        "events (registered, a re-sign every 30 days, rolled off)",
        """
        INSERT INTO referral_registrationevent (registration_id, book_id, member_id, kind, at,
            reason, note, rule_set_id, status, tier, apn, sequence, recorded_by_name)
        SELECT r.id, r.book_id, r.member_id,
               CASE WHEN n = 0 THEN 'registered' ELSE 'resigned' END,
               ((r.registered_at AT TIME ZONE %(tz)s) + %(resign_days)s * n * interval '1 day')
                 AT TIME ZONE %(tz)s,
               '', '', r.rule_set_id, 'registered', r.tier, r.apn, r.sequence, 'bench'
        FROM referral_registration r
        JOIN referral_book b ON b.id = r.book_id AND b.code LIKE 'HALL-%%',
        LATERAL generate_series(0, (r.resign_due - (r.registered_at AT TIME ZONE %(tz)s)::date)
                                   / %(resign_days)s - 1) AS n;
        INSERT INTO referral_registrationevent (registration_id, book_id, member_id, kind, at,
            reason, note, rule_set_id, status, tier, apn, sequence, recorded_by_name)
        SELECT r.id, r.book_id, r.member_id, 'rolled_off', r.ended_at, 'resign_missed', '',
               r.rule_set_id, 'rolled_off', r.tier, r.apn, r.sequence, 'bench'
        FROM referral_registration r
        JOIN referral_book b ON b.id = r.book_id AND b.code LIKE 'HALL-%%'
        WHERE r.ended_at IS NOT NULL;
        """,
    ),
)


def hall_book():
    from referral.models import Book

    return Book.objects.filter(code__startswith="HALL-").order_by("code").first()


def hall_rows(
    office,
    runs: int,
    *,
    label: str = "hall",
    book=None,
    back: datetime.timedelta = datetime.timedelta(days=5 * 365),
    back_words: str = "5 years ago",
) -> list:
    """The hall's reads, its pages and its nightly drop, each beside what the database alone
    needs: on `book` (the large hall's first by default), its list as of `back` ago, and the
    drop three nights ahead (so that some re-signs have been missed)."""
    from bench.__main__ import Row, median_ms
    from bench.workloads import _page_row, rolled_back, sql
    from referral.models import Registration
    from referral.selectors import book_list, book_list_as_of, registration_position
    from referral.services import registrations_drop_missed

    book = book or hall_book()
    on_book = book_list(book)
    middle = on_book[on_book.count() // 2]
    position_floor = sql(
        "SELECT count(*) FROM referral_registration WHERE book_id = %s"
        " AND status IN ('registered', 'exempt') AND (tier, apn, sequence) < (%s, %s, %s)",
        [book.pk, middle.tier, middle.apn, middle.sequence],
    )
    instant = timezone.now() - back
    as_of_floor = sql(
        """
        SELECT * FROM (
          SELECT DISTINCT ON (e.registration_id) e.registration_id, e.status, e.tier, e.apn,
                 e.sequence
          FROM referral_registration r
          JOIN referral_registrationevent e ON e.registration_id = r.id AND e.at <= %s
          WHERE r.book_id = %s AND r.registered_at <= %s
            AND (r.ended_at IS NULL OR r.ended_at > %s)
          ORDER BY e.registration_id, e.at DESC, e.id DESC) last
        WHERE status IN ('registered', 'exempt') ORDER BY tier, apn, sequence
        """,
        [instant, book.pk, instant, instant],
    )
    listed = len(book_list_as_of(book, instant))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM referral_registrationevent")
        events = cursor.fetchone()[0]
    night = timezone.now() + datetime.timedelta(days=3)
    due = Registration.objects.filter(
        status="registered", resign_due__lt=timezone.localdate(night)
    ).count()
    drop_floor = rolled_back(sql(_FLOOR_DROP, {"at": night, "today": timezone.localdate(night)}))
    list_floor = sql(
        "SELECT r.id, r.tier, r.apn, r.sequence, r.registered_at, r.resign_due, r.check_marks,"
        " m.member_number, m.first_name, m.last_name FROM referral_registration r"
        " JOIN members_member m ON m.id = r.member_id WHERE r.book_id = %s"
        " AND r.status IN ('registered', 'exempt') ORDER BY r.tier, r.apn, r.sequence LIMIT 100",
        [book.pk],
    )
    at = timezone.localtime(instant).strftime("%Y-%m-%d %H:%M")
    pages = [
        _page_row(
            f"{label}: a book's list page (first 100)",
            office,
            f"/referral/books/{book.pk}/",
            runs,
            floor=list_floor,
            note="<= 150 ms",
        ),
        _page_row(
            f"{label}: a book's list as of {back_words}, page",
            office,
            f"/referral/books/{book.pk}/as-of/?at={at.replace(' ', '%20')}",
            runs,
            floor=as_of_floor,
            note="<= 300 ms",
        ),
    ]
    drop = rolled_back(lambda: registrations_drop_missed(actor="bench", now=night))
    # Each run rolled back, alternating which goes first (a loaded machine's slow minute
    # falls on both).
    ours, floors = [], []
    pair = ((drop, ours), (drop_floor, floors))
    for i in range(max(1, min(runs, 5))):
        for work, times in pair if i % 2 == 0 else pair[::-1]:
            times.append(median_ms(work, 1))
    # Its Python memory at its peak, in a run of its own (tracing slows what it traces).
    tracemalloc.start()
    drop()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return [
        *pages,
        Row(
            f"{label}: a member's position (book of {on_book.count():,})",
            median_ms(lambda: registration_position(middle), runs),
            median_ms(position_floor, runs),
            "<= 20 ms",
        ),
        Row(
            f"{label}: a book's list as of {back_words} ({_events(events)} events)",
            median_ms(lambda: book_list_as_of(book, instant), runs),
            median_ms(as_of_floor, runs),
            f"{listed} listed; <= 300 ms",
        ),
        Row(
            f"{label}: nightly drop of {due:,} missed re-signs, 3 nights ahead",
            statistics.median(ours),
            statistics.median(floors),
            "history, audit events and notices in both, each run rolled back, alternating; "
            f"its peak Python memory {peak / 2**20:,.1f} MiB; <= 2x floor, memory flat",
        ),
    ]


def _events(count: int) -> str:
    return f"{count / 1e6:.1f}M" if count >= 100_000 else f"{count:,}"


# The nightly drop by hand, set-based: what registrations_drop_missed writes (the rows, their
# history, the events and theirs, the registrants' notices, an audit event for each change
# with stand-in hashes linked after the head, as bench/workloads.py's remittance floor does).
_FLOOR_DROP = """
WITH dropped AS (
    UPDATE referral_registration SET status = 'rolled_off', roll_off_reason = 'resign_missed',
           ended_at = %(at)s
    WHERE status = 'registered' AND resign_due < %(today)s
    RETURNING *
), registration_history AS (
    INSERT INTO referral_historicalregistration (id, member_id, book_id, tier, tier_reason,
        apn, sequence, status, registered_at, resign_due, check_marks, short_calls_used,
        ended_at, roll_off_reason, rule_set_id, history_date, history_type)
    SELECT id, member_id, book_id, tier, tier_reason, apn, sequence, status, registered_at,
           resign_due, check_marks, short_calls_used, ended_at, roll_off_reason, rule_set_id,
           %(at)s, '~'
    FROM dropped
    RETURNING history_id, id, member_id
), events AS (
    INSERT INTO referral_registrationevent (registration_id, book_id, member_id, kind, at,
        reason, note, rule_set_id, status, tier, apn, sequence, recorded_by_name)
    SELECT id, book_id, member_id, 'rolled_off', %(at)s, 'resign_missed', '', rule_set_id,
           'rolled_off', tier, apn, sequence, 'floor'
    FROM dropped
    RETURNING *
), notices AS (
    INSERT INTO referral_notice (key, kind, member_id, registration_id, due_on, "to", subject,
        body, status, created_at, written_by, next_attempt_at, attempts, last_error)
    SELECT 'dropped:' || d.id, 'dropped', d.member_id, d.id, d.resign_due, m.email, '', '',
           'waiting', %(at)s, 'floor', %(at)s, 0, ''
    FROM dropped d JOIN members_member m ON m.id = d.member_id
), event_history AS (
    INSERT INTO referral_historicalregistrationevent (id, registration_id, book_id,
        member_id, kind, at, reason, note, rule_set_id, status, tier, apn, sequence,
        recorded_by_name, history_date, history_type)
    SELECT id, registration_id, book_id, member_id, kind, at, reason, note, rule_set_id,
           status, tier, apn, sequence, recorded_by_name, %(at)s, '+'
    FROM events
    RETURNING history_id, id, member_id
), changes AS (
    SELECT history_id, id, member_id, 'referral.registration' AS model, 'update' AS action,
           jsonb_build_object('status', jsonb_build_array('registered', 'rolled_off'),
                              'roll_off_reason', jsonb_build_array('', 'resign_missed'),
                              'ended_at', jsonb_build_array(null, %(at)s::text)) AS changes
    FROM registration_history
    UNION ALL
    SELECT history_id, id, member_id, 'referral.registrationevent', 'create',
           jsonb_build_object('kind', jsonb_build_array(null, 'rolled_off'),
                              'reason', jsonb_build_array(null, 'resign_missed'))
    FROM event_history
), head AS (
    SELECT seq, hash FROM audit_auditchainhead WHERE id = 1
), numbered AS (
    SELECT c.*, head.seq + row_number() OVER (ORDER BY c.model, c.history_id) AS seq,
           md5(c.history_id::text) || md5(c.model) AS hash
    FROM changes c, head
)
INSERT INTO audit_auditevent (occurred_at, actor_label, action, model_label, object_id,
    object_repr, member_id, member_number, changes, detail, user_agent, history_id, seq,
    prev_hash, hash)
SELECT %(at)s, 'floor', n.action, n.model, n.id::text, 'registration ' || n.id, n.member_id,
       m.member_number, n.changes, '', '', n.history_id, n.seq,
       coalesce(lag(n.hash) OVER (ORDER BY n.seq), (SELECT hash FROM head)), n.hash
FROM numbered n JOIN members_member m ON m.id = n.member_id
"""
