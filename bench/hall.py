"""A large hiring hall, built straight in SQL beside the bench's local: 40 books, ten years
of registrations (400,000, of which 40,000 on the books today) and their events (about 5
million: each registration's registering, a re-sign every 30 days while it lasted, its
end). Built once (a marker table says so) and kept; `hall_rows` measures it.

The rows are the ledger's alone: the audit trail of a hall this old is the audit bench's
business (bench/audit_throughput.py), not what these reads and the nightly drop touch."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

from django.db import connection

MARKER = "bench_hall"
BOOKS = 40
REGISTRATIONS_PER_BOOK = 10_000
ACTIVE_PER_BOOK = 1_000
YEARS = 10


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
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM members_member")
        members = cursor.fetchone()[0]
        params = {
            "books": books,
            "per_book": per_book,
            "active": active,
            "members": members,
            "days": YEARS * 365,
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
    log(f"  hall built in {time.perf_counter() - started:.0f} s")


# Registration k of a book (1 = the oldest): the last `active` are on the book today,
# registered within the last 600 days; the others lasted 30 to 600 days, spread over the
# years before. Day numbers of APNs as the vendor counts them (from 1899-12-30).
_STEPS = (
    (
        "region, rules and books",
        """
        INSERT INTO referral_region (code, name, opens_at, closes_at)
          VALUES ('BENCH', 'Bench region', '08:00', '16:30');
        INSERT INTO referral_ruleset (version, effective_on, notice_given_on, activated_at,
            text, resign_days, reminder_days, check_marks_tolerated, short_call_days,
            short_call_restorations, short_call_uncounted_days, request_cutoff,
            bidding_opens, bidding_closes, bid_refusal_suspension_days, blackout_days,
            exemption_cap_days, dispatch_leaves_other_books, register_out_of_standing,
            created_at)
          VALUES (9001, DATE '2000-01-01', DATE '1999-11-01', now(), 'Bench rules', 30, 7,
            2, 10, 2, 3, '15:00', '17:30', '07:00', 365, 14, 183, false, false, now());
        INSERT INTO referral_book (code, name, classification_id, region_id, tiers,
            contract_code, agreement_type, work_level, supplemental, referral_time,
            referral_order, active)
          SELECT 'HALL-' || lpad(b::text, 2, '0'), 'Bench book ' || b,
                 (SELECT min(id) FROM members_classification),
                 (SELECT id FROM referral_region WHERE code = 'BENCH'), 2, '', 'standard',
                 'journeyman', false, '08:30', 100 + b, true
          FROM generate_series(1, %(books)s) AS b;
        """,
    ),
    (
        "registrations",
        """
        CREATE TEMP TABLE hall_plan ON COMMIT DROP AS
        SELECT b.id AS book_id, k,
               k > %(per_book)s - %(active)s AS active,
               CASE WHEN k > %(per_book)s - %(active)s
                    THEN now() - mod(k * 7919 + b.id, 600) * interval '1 day'
                    ELSE now() - (600 + ((%(days)s - 600) *
                         (%(per_book)s - %(active)s - k))
                         / (%(per_book)s - %(active)s)) * interval '1 day'
                         - mod(k * 31, 600) * interval '1 minute'
               END AS registered_at,
               30 + mod(k * 104729 + b.id, 570) AS lasted
        FROM referral_book b, generate_series(1, %(per_book)s) AS k
        WHERE b.code LIKE 'HALL-%%';
        INSERT INTO referral_registration (member_id, book_id, tier, tier_reason, apn,
            sequence, status, registered_at, resign_due, check_marks, short_calls_used,
            ended_at, roll_off_reason, rule_set_id)
        SELECT m.id, p.book_id, 1 + (mod(p.k, 5) = 0)::int, '',
               ((p.registered_at AT TIME ZONE 'UTC')::date - DATE '1899-12-30')
                 + least(row_number() OVER (PARTITION BY p.book_id,
                          (p.registered_at AT TIME ZONE 'UTC')::date ORDER BY p.k), 99) / 100.0,
               p.k,
               CASE WHEN p.active THEN 'registered' ELSE 'rolled_off' END,
               p.registered_at,
               CASE WHEN p.active
                    THEN (p.registered_at + 30 * (floor(extract(epoch FROM
                          now() - p.registered_at) / 86400 / 30) + 1) * interval '1 day')::date
                    ELSE (p.registered_at + p.lasted * interval '1 day')::date END,
               0, 0,
               CASE WHEN p.active THEN NULL
                    ELSE p.registered_at + p.lasted * interval '1 day' END,
               CASE WHEN p.active THEN '' ELSE 'resign_missed' END,
               (SELECT id FROM referral_ruleset WHERE version = 9001)
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
               r.registered_at + 30 * n * interval '1 day', '', '', r.rule_set_id,
               'registered', r.tier, r.apn, r.sequence, 'bench'
        FROM referral_registration r
        JOIN referral_book b ON b.id = r.book_id AND b.code LIKE 'HALL-%%',
        LATERAL generate_series(0, floor(extract(epoch FROM
               coalesce(r.ended_at, now()) - r.registered_at) / 86400 / 30)::int) AS n
        WHERE r.registered_at + 30 * n * interval '1 day' < coalesce(r.ended_at, now());
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


def five_years_ago() -> datetime.datetime:
    from django.utils import timezone

    return timezone.now() - datetime.timedelta(days=5 * 365)


def hall_rows(office, runs: int) -> list:
    """The hall's reads, its pages and its nightly drop, each beside what the database alone
    needs."""
    from django.utils import timezone

    from bench.__main__ import Row, median_ms
    from bench.workloads import _page_row, rolled_back, sql
    from referral.models import Registration
    from referral.selectors import book_list, book_list_as_of, registration_position
    from referral.services import registrations_drop_missed

    book = hall_book()
    on_book = book_list(book)
    middle = on_book[on_book.count() // 2]
    position_floor = sql(
        "SELECT count(*) FROM referral_registration WHERE book_id = %s"
        " AND status IN ('registered', 'exempt') AND (tier, apn, sequence) < (%s, %s, %s)",
        [book.pk, middle.tier, middle.apn, middle.sequence],
    )
    instant = five_years_ago()
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
            "hall: a book's list page (first 100)",
            office,
            f"/referral/books/{book.pk}/",
            runs,
            floor=list_floor,
            note="<= 150 ms",
        ),
        _page_row(
            "hall: a book's list as of 5 years ago, page",
            office,
            f"/referral/books/{book.pk}/as-of/?at={at.replace(' ', '%20')}",
            runs,
            floor=as_of_floor,
            note="<= 300 ms",
        ),
    ]
    drop = rolled_back(lambda: registrations_drop_missed(actor="bench", now=night))
    drop_runs = max(1, min(runs, 3))
    return [
        *pages,
        Row(
            f"hall: a member's position (book of {on_book.count():,})",
            median_ms(lambda: registration_position(middle), runs),
            median_ms(position_floor, runs),
            "<= 20 ms",
        ),
        Row(
            f"hall: a book's list as of 5 years ago ({events / 1e6:.1f}M events)",
            median_ms(lambda: book_list_as_of(book, instant), runs),
            median_ms(as_of_floor, runs),
            f"{listed} listed; <= 300 ms",
        ),
        Row(
            f"hall: nightly drop of {due:,} missed re-signs",
            median_ms(drop, drop_runs),
            median_ms(drop_floor, drop_runs),
            "history, audit events and notices in both; <= 2x floor",
        ),
    ]


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
