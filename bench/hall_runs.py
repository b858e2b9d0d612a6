"""The hall's morning (issue 28): the referral run over a morning's requests, proposed and
confirmed, and the day book page of the dispatches it made, each beside what the database
alone needs (bench/__main__.py).

Everything happens in one transaction thrown away after (the local stays as it was): the
requests' employer, the requirement a few of them ask for and the members who hold it, the
dispatcher who reads the day book. Each timed run receives its requests afresh (through the
service, on a clock set to the business day before the run's, in office hours, so that their
referral day is the run's) and is rolled back after, as the nightly drop's row is
(bench/hall.py), alternating with its floor."""

from __future__ import annotations

import datetime
import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

# A morning of the large hall: 100 requests over 11 books, two positions each (a by-name
# request one); a few ask for a requirement held by a third of the lists' tops.
REQUESTS, BOOKS = 100, 11
WITH_REQUIREMENT = (3, 28, 53, 78)
BY_NAME = (10, 60)
# A by-name request names a member on its book's list below those the book's earlier requests
# take (one already offered that morning cannot take it, and the run reads the whole list).
NAMED_AT = 40
QUALIFIED_READ = 400


@contextmanager
def _clock(start: datetime.datetime) -> Iterator[None]:
    """timezone.now() from `start`, moving with the real clock (as the tests' clock is set:
    referral/tests/conftest.py), so that requests get their referral day and dispatches
    their instants as on the day chosen."""
    real, began = timezone.now, time.perf_counter()
    timezone.now = lambda: start + datetime.timedelta(seconds=time.perf_counter() - began)
    try:
        yield
    finally:
        timezone.now = real


def hall_run_rows(runs: int, *, label: str = "hall") -> list:
    from bench.workloads import rolled_back

    rows: list = []
    rolled_back(lambda: rows.extend(_morning(runs, label)))()
    return rows


def _morning(runs: int, label: str) -> list:
    from bench.__main__ import Row, median_ms
    from bench.workloads import _page_row, rolled_back, sql
    from referral.day_book import local_day_bounds
    from referral.models import OPEN_REQUEST_STATUSES, Dispatch, LaborRequest
    from referral.services import referral_run_confirm, referral_run_propose

    setting = _setting()
    received, day = setting["received"], setting["day"]
    morning = timezone.make_aware(datetime.datetime.combine(day, datetime.time(7, 0)))

    def requests() -> list[int]:
        with _clock(received):
            return _requests_received(setting)

    # A run first, untimed: the statements it makes, and what it read and decided, which
    # the floor reads and writes again.
    seen: dict = {}

    def first() -> None:
        ids = requests()
        reset_queries()  # the log keeps the last 9,000: a full one counts none
        with _clock(morning), CaptureQueriesContext(connection) as captured:
            run = referral_run_propose(actor="bench", day=day)
        seen.update(
            ids=ids, run=run, lines=list(run.lines.order_by("order")), queries=len(captured)
        )
        with _clock(morning), CaptureQueriesContext(connection) as confirmed:
            referral_run_confirm(run=run, actor="bench")
        seen.update(confirm_queries=len(confirmed))

    rolled_back(first)()
    run = seen["run"]
    assert {r["id"] for r in run.consulted["requests"]} == set(seen["ids"]), "not the run's day"

    proposed, confirmed, floors, confirm_floors = [], [], [], []

    def ours() -> None:
        requests()
        with _clock(morning):
            started = time.perf_counter()
            made = referral_run_propose(actor="bench", day=day)
            proposed.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            referral_run_confirm(run=made, actor="bench")
            confirmed.append((time.perf_counter() - started) * 1000)

    def floor() -> None:
        ids = dict(zip(seen["ids"], requests(), strict=True))
        propose_floor, confirm_floor = _floors(run, seen["lines"], ids, day, morning)
        floors.append(median_ms(propose_floor, 1))
        confirm_floors.append(median_ms(confirm_floor, 1))

    pair = (rolled_back(ours), rolled_back(floor))
    for i in range(max(1, runs)):
        for work in pair if i % 2 == 0 else pair[::-1]:
            work()

    # The day's dispatches for the day book: one more morning, confirmed and kept (until
    # the whole is rolled back).
    requests()
    open_requests = LaborRequest.objects.filter(status__in=OPEN_REQUEST_STATUSES).count()
    board = _page_row(
        f"{label}: the request board page ({open_requests} open requests)",
        setting["dispatcher"],
        "/referral/board/",
        runs,
        floor=sql(_FLOOR_BOARD, {}),
        note="<= 150 ms",
    )
    with _clock(morning):
        referral_run_confirm(run=referral_run_propose(actor="bench", day=day), actor="bench")
    start, end = local_day_bounds(day)
    dispatches = Dispatch.objects.filter(dispatched_at__gte=start, dispatched_at__lt=end).count()
    lines = seen["lines"]
    offers = sum(1 for line in lines if line.outcome == "offer")
    queries = seen["queries"]
    return [
        Row(
            f"{label}: the morning referral run, proposed ({len(setting['plan'])} requests, "
            f"{len(setting['books'])} books)",
            statistics.median(proposed),
            statistics.median(floors),
            f"{queries} queries, {len(run.consulted['members']):,} members' facts, "
            f"{len(lines):,} lines ({offers} offers), its JSON "
            f"{len(json.dumps(run.consulted)) / 1024:,.0f} KiB; floor: the lists' tops, the "
            "requests and each fact in one query each, the run and its lines in one INSERT; "
            "each run rolled back, alternating; <= 5 s and <= 3x floor",
        ),
        Row(
            f"{label}: the morning referral run, confirmed ({offers} dispatches)",
            statistics.median(confirmed),
            statistics.median(confirm_floors),
            f"{seen['confirm_queries']:,} queries; floor: the same reads again, then the "
            "dispatches, registrations, events, requests' counts, their history and audit "
            "events in one statement; each run rolled back, alternating",
        ),
        board,
        _page_row(
            f"{label}: the day book page ({dispatches} dispatches)",
            setting["dispatcher"],
            f"/referral/day-book/?day={day.isoformat()}",
            runs,
            floor=sql(_FLOOR_DAY_BOOK, {"start": start, "end": end}),
            note="<= 150 ms",
        ),
    ]


def _setting() -> dict:
    """The morning's books, employer, requirement and its holders, the requests' plan, the
    business day they are received on (09:00) and the run's day, and a dispatcher signed
    in: all written in the caller's transaction."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from accounts import roles
    from bench.hall import hall_book
    from checkoff.models import Employer
    from members.models import Member
    from referral import rules
    from referral.models import ON_LIST_STATUSES, Book, Qualification, Registration, Requirement
    from referral.selectors import LIST_ORDER

    first = hall_book()
    books = list(
        Book.objects.filter(code__startswith="HALL-", region_id=first.region_id).order_by("code")[
            :BOOKS
        ]
    )
    # The tiny hall of the smoke run (2 books of 50 on the list) takes a morning its size.
    count = REQUESTS if len(books) >= BOOKS else 5 * len(books)
    employer = Employer.objects.create(code="BENCH-HALL", name="Bench hall employer")
    requirement = Requirement.objects.create(code="BENCH-OSHA30", name="OSHA 30 (bench)")
    plan = []
    for k in range(count):
        book = books[k % len(books)]
        named = None
        if k in BY_NAME:
            listed = (
                Registration.objects.filter(
                    book=book, status__in=ON_LIST_STATUSES, member__status="active"
                )
                .order_by(*LIST_ORDER)
                .values_list("member_id", flat=True)[: NAMED_AT + 1]
            )
            named = Member.objects.get(pk=list(listed)[-1])
        plan.append((book, named, k in WITH_REQUIREMENT))
    asking = {book.pk for book, _, asks in plan if asks}
    holders = set()
    for book_id in asking:
        top = (
            Registration.objects.filter(book_id=book_id, status__in=ON_LIST_STATUSES)
            .order_by(*LIST_ORDER)
            .values_list("pk", "member_id")[:QUALIFIED_READ]
        )
        holders |= {member for pk, member in top if pk % 3 == 0}
    Qualification.objects.bulk_create(
        Qualification(member_id=member, requirement=requirement) for member in sorted(holders)
    )
    today = timezone.localdate()
    received_on = today
    while not rules.is_business_day(received_on, ()):
        received_on -= datetime.timedelta(days=1)
    received = timezone.make_aware(datetime.datetime.combine(received_on, datetime.time(9, 0)))
    day = rules.business_day_on_or_after(received_on + datetime.timedelta(days=1), ())
    user = get_user_model().objects.create(username="bench-dispatcher", is_staff=True)
    user.groups.add(*Group.objects.filter(name=roles.DISPATCHER))
    dispatcher = Client()
    dispatcher.force_login(user)
    return {
        "books": books,
        "employer": employer,
        "requirement": requirement,
        "plan": plan,
        "received": received,
        "day": day,
        "dispatcher": dispatcher,
    }


def _requests_received(setting: dict) -> list[int]:
    from referral.services import labor_request_receive

    made = []
    for k, (book, named, asks) in enumerate(setting["plan"]):
        made.append(
            labor_request_receive(
                employer=setting["employer"],
                book=book,
                positions=1 if named else 2,
                start_on=setting["day"],
                start_at=datetime.time(7, 0),
                worksite=f"{k} Bench St",
                report_to="Gate 1",
                wage=Decimal("52.10"),
                requirements=[setting["requirement"]] if asks else [],
                short_call=False,
                agreement_type="standard",
                actor="bench",
                named_member=named,
                attestation="Not solicited (bench)." if named else "",
            ).pk
        )
    return made


def _floors(
    run, lines, ids: dict[int, int], day: datetime.date, at: datetime.datetime
) -> tuple[Callable[[], None], Callable[[], None]]:
    """What the database alone needs for the run: the requests with their requirements, each
    book's list top as far as the run read it, each fact of the members it read, one query
    each; then, proposing, the run (its JSON as it wrote it) and its lines in one INSERT;
    confirming (the same reads again, as the service checks them), its dispatches and all
    they change in one statement (_FLOOR_CONFIRM)."""
    from django.conf import settings

    consulted = run.consulted
    books = [book["id"] for book in consulted["books"]]
    reads = [len(book["list"]) for book in consulted["books"]]
    members = sorted(int(m) for m in consulted["members"])
    facts = {"m": members, "day": day}
    statements = [
        (_FLOOR_REQUESTS, {"day": day}),
        (_FLOOR_LISTS, {"books": books, "reads": reads}),
        ("SELECT id, status FROM members_member WHERE id = ANY(%(m)s)", facts),
        (
            "SELECT DISTINCT member_id FROM referral_dispatch WHERE member_id = ANY(%(m)s)"
            " AND status IN ('dispatched', 'checked_in', 'working')",
            facts,
        ),
        (
            "SELECT member_id, employer_id FROM referral_blackout WHERE member_id = ANY(%(m)s)"
            " AND starts_on <= %(day)s AND ends_on >= %(day)s",
            facts,
        ),
        (
            "SELECT q.member_id, r.code FROM referral_qualification q JOIN referral_requirement"
            " r ON r.id = q.requirement_id WHERE q.member_id = ANY(%(m)s)"
            " AND (q.expires_on IS NULL OR q.expires_on >= %(day)s) ORDER BY r.code",
            facts,
        ),
        (
            "SELECT member_id FROM referral_biddingsuspension WHERE member_id = ANY(%(m)s)"
            " AND starts_on <= %(day)s AND ends_on >= %(day)s",
            facts,
        ),
    ]
    proposed = (
        _FLOOR_RUN,
        {
            "day": day,
            "rule_set": run.rule_set_id,
            "consulted": json.dumps(consulted),
            "hash": run.list_hash,
            "requests": [ids[line.labor_request_id] for line in lines],
            "registrations": [line.registration_id for line in lines],
            "members": [line.member_id for line in lines],
            "books": [line.book_id for line in lines],
            "outcomes": [line.outcome for line in lines],
            "reasons": [line.reason for line in lines],
            "positions": [line.position for line in lines],
        },
    )
    by_name = {r["id"] for r in consulted["requests"] if r["named_member"]}
    offers = [line for line in lines if line.outcome == "offer"]
    confirmed = (
        _FLOOR_CONFIRM,
        {
            "requests": [ids[line.labor_request_id] for line in offers],
            "registrations": [line.registration_id for line in offers],
            "methods": [
                "by_name" if line.labor_request_id in by_name else "morning_referral"
                for line in offers
            ],
            "at": at,
            "tz": settings.TIME_ZONE,
            "rule_set": run.rule_set_id,
            "note": f"Morning referral of {day:%Y-%m-%d} (floor)",
        },
    )

    def executed(*last) -> Callable[[], None]:
        def run_floor() -> None:
            with connection.cursor() as cursor:
                for statement, params in (*statements, *last):
                    cursor.execute(statement, params)
                    if cursor.description:
                        cursor.fetchall()

        return run_floor

    return executed(proposed), executed(confirmed)


_FLOOR_REQUESTS = """
SELECT r.id, r.book_id, r.positions - r.filled, r.employer_id, r.named_member_id,
       coalesce(array_agg(q.code ORDER BY q.code) FILTER (WHERE q.code IS NOT NULL), '{}')
FROM referral_laborrequest r
LEFT JOIN referral_laborrequest_requirements rq ON rq.laborrequest_id = r.id
LEFT JOIN referral_requirement q ON q.id = rq.requirement_id
WHERE r.status IN ('open', 'partially_filled') AND r.referral_day <= %(day)s
GROUP BY r.id ORDER BY r.received_at, r.id
"""
_FLOOR_LISTS = """
SELECT b.id, top.id, top.member_id, top.status
FROM unnest(%(books)s::bigint[], %(reads)s::int[]) AS b(id, reads)
CROSS JOIN LATERAL (
    SELECT id, member_id, status FROM referral_registration
    WHERE book_id = b.id AND status IN ('registered', 'exempt')
    ORDER BY tier, apn, sequence LIMIT b.reads) AS top
"""
_FLOOR_RUN = """
WITH run AS (
    INSERT INTO referral_referralrun (day, status, rule_set_id, consulted, list_hash,
        proposed_at, proposed_by_name, confirmed_by_name)
    VALUES (%(day)s, 'proposed', %(rule_set)s, %(consulted)s::jsonb, %(hash)s, now(),
        'floor', '')
    RETURNING id
)
INSERT INTO referral_referralline (run_id, labor_request_id, registration_id, member_id,
    book_id, outcome, reason, position, "order")
SELECT run.id, l.request, l.registration, l.member, l.book, l.outcome, l.reason, l.position,
       l.n
FROM run, unnest(%(requests)s::bigint[], %(registrations)s::bigint[], %(members)s::bigint[],
                 %(books)s::bigint[], %(outcomes)s::text[], %(reasons)s::text[],
                 %(positions)s::int[]) WITH ORDINALITY
     AS l(request, registration, member, book, outcome, reason, position, n)
"""
_FLOOR_DAY_BOOK = """
SELECT d.id, d.dispatched_at, m.member_number, m.first_name, m.last_name, b.code, e.code,
       e.name, d.labor_request_id, d.method, d.status
FROM referral_dispatch d
JOIN members_member m ON m.id = d.member_id
JOIN checkoff_employer e ON e.id = d.employer_id
JOIN referral_registration r ON r.id = d.registration_id
JOIN referral_book b ON b.id = r.book_id
WHERE d.dispatched_at >= %(start)s AND d.dispatched_at < %(end)s
ORDER BY d.dispatched_at, d.id
"""
# The board's open requests with their employer, book, named member, requirements and bids.
_FLOOR_BOARD = """
SELECT r.id, r.referral_day, b.code, e.code, e.name, r.positions, r.filled, r.start_on,
       r.start_at, r.short_call, m.member_number, m.first_name, m.last_name, r.status,
       (SELECT string_agg(q.code, ' ' ORDER BY q.code)
        FROM referral_laborrequest_requirements lq
        JOIN referral_requirement q ON q.id = lq.requirement_id WHERE lq.laborrequest_id = r.id),
       (SELECT count(*) FROM referral_bid d WHERE d.labor_request_id = r.id)
FROM referral_laborrequest r
JOIN referral_book b ON b.id = r.book_id
JOIN checkoff_employer e ON e.id = r.employer_id
LEFT JOIN members_member m ON m.id = r.named_member_id
WHERE r.status IN ('open', 'partially_filled')
ORDER BY r.referral_day, b.referral_order, b.code, r.received_at, r.id
"""
# The confirmation by hand, set-based: the dispatches, their registrations dispatched with
# their events, each request's count filled once (the service saves it once a position),
# every row's history and an audit event for each, with stand-in hashes linked after the
# head (as bench/hall.py's drop floor does).
_FLOOR_CONFIRM = """
WITH offer AS (
    SELECT * FROM unnest(%(requests)s::bigint[], %(registrations)s::bigint[],
                         %(methods)s::text[]) WITH ORDINALITY AS o(request, registration, method, n)
), requests AS (
    UPDATE referral_laborrequest r SET filled = r.filled + c.taken,
           status = CASE WHEN r.filled + c.taken = r.positions THEN 'filled'
                         ELSE 'partially_filled' END
    FROM (SELECT request, count(*) AS taken FROM offer GROUP BY request) c
    WHERE r.id = c.request
    RETURNING r.*
), registrations AS (
    UPDATE referral_registration g SET status = 'dispatched'
    FROM offer o WHERE g.id = o.registration
    RETURNING g.*
), dispatches AS (
    INSERT INTO referral_dispatch (method, status, short_call, dispatched_at, report_by,
        termination_reason, note, restored, dispatched_by_name, employer_id, labor_request_id,
        member_id, registration_id, rule_set_id)
    SELECT o.method, 'dispatched', r.short_call, %(at)s,
           (r.start_on + r.start_at) AT TIME ZONE %(tz)s, '', %(note)s, false, 'floor',
           r.employer_id, r.id, g.member_id, g.id, %(rule_set)s
    FROM offer o
    JOIN referral_laborrequest r ON r.id = o.request
    JOIN referral_registration g ON g.id = o.registration
    ORDER BY o.n
    RETURNING *
), events AS (
    INSERT INTO referral_registrationevent (registration_id, book_id, member_id, kind, at,
        reason, note, rule_set_id, status, tier, apn, sequence, recorded_by_name)
    SELECT g.id, g.book_id, g.member_id, 'dispatched', %(at)s, o.method,
           'Request #' || o.request, %(rule_set)s, 'dispatched', g.tier, g.apn, g.sequence,
           'floor'
    FROM offer o JOIN registrations g ON g.id = o.registration
    RETURNING *
), request_history AS (
    INSERT INTO referral_historicallaborrequest (id, positions, start_on, start_at,
        referral_day, worksite, report_to, wage, short_call, agreement_type, attestation,
        attested_by_name, status, filled, received_at, received_by_name, ended_at,
        cancel_reason, idempotency_key, book_id, employer_id, named_member_id, received_by_id,
        rule_set_id, history_date, history_type)
    SELECT id, positions, start_on, start_at, referral_day, worksite, report_to, wage,
           short_call, agreement_type, attestation, attested_by_name, status, filled,
           received_at, received_by_name, ended_at, cancel_reason, idempotency_key, book_id,
           employer_id, named_member_id, received_by_id, rule_set_id, %(at)s, '~'
    FROM requests
    RETURNING history_id, id, NULL::bigint AS member_id
), registration_history AS (
    INSERT INTO referral_historicalregistration (id, member_id, book_id, tier, tier_reason,
        apn, sequence, status, registered_at, resign_due, check_marks, short_calls_used,
        ended_at, roll_off_reason, rule_set_id, history_date, history_type)
    SELECT id, member_id, book_id, tier, tier_reason, apn, sequence, status, registered_at,
           resign_due, check_marks, short_calls_used, ended_at, roll_off_reason, rule_set_id,
           %(at)s, '~'
    FROM registrations
    RETURNING history_id, id, member_id
), dispatch_history AS (
    INSERT INTO referral_historicaldispatch (id, method, status, short_call, dispatched_at,
        report_by, checked_in_at, working_since, terminated_on, termination_reason, note,
        restored, dispatched_by_name, idempotency_key, dispatched_by_id, employer_id,
        labor_request_id, member_id, registration_id, rule_set_id, history_date, history_type)
    SELECT id, method, status, short_call, dispatched_at, report_by, checked_in_at,
           working_since, terminated_on, termination_reason, note, restored,
           dispatched_by_name, idempotency_key, dispatched_by_id, employer_id,
           labor_request_id, member_id, registration_id, rule_set_id, %(at)s, '+'
    FROM dispatches
    RETURNING history_id, id, member_id
), event_history AS (
    INSERT INTO referral_historicalregistrationevent (id, registration_id, book_id,
        member_id, kind, at, reason, note, rule_set_id, status, tier, apn, sequence,
        recorded_by_name, history_date, history_type)
    SELECT id, registration_id, book_id, member_id, kind, at, reason, note, rule_set_id,
           status, tier, apn, sequence, recorded_by_name, %(at)s, '+'
    FROM events
    RETURNING history_id, id, member_id
), changes AS (
    SELECT history_id, id, member_id, 'referral.laborrequest' AS model, 'update' AS action,
           jsonb_build_object('filled', jsonb_build_array(0, 1)) AS changes
    FROM request_history
    UNION ALL
    SELECT history_id, id, member_id, 'referral.registration', 'update',
           jsonb_build_object('status', jsonb_build_array('registered', 'dispatched'))
    FROM registration_history
    UNION ALL
    SELECT history_id, id, member_id, 'referral.dispatch', 'create',
           jsonb_build_object('status', jsonb_build_array(null, 'dispatched'))
    FROM dispatch_history
    UNION ALL
    SELECT history_id, id, member_id, 'referral.registrationevent', 'create',
           jsonb_build_object('kind', jsonb_build_array(null, 'dispatched'))
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
SELECT %(at)s, 'floor', n.action, n.model, n.id::text, n.model || ' ' || n.id, n.member_id,
       coalesce(m.member_number, ''), n.changes, '', '', n.history_id, n.seq,
       coalesce(lag(n.hash) OVER (ORDER BY n.seq), (SELECT hash FROM head)), n.hash
FROM numbered n LEFT JOIN members_member m ON m.id = n.member_id
"""
