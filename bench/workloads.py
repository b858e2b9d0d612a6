"""The workloads of the scale issue, each beside its floor (see bench/__main__.py)."""

from __future__ import annotations

import csv
import datetime
import io
import resource
import time
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.__main__ import WORKLOADS, Row, median_ms
from bench.hall import hall_rows
from bench.hall_demo import hall_demo_rows
from bench.hall_runs import hall_run_rows
from bench.logins_during_import import USERNAME as LOGIN_USER
from bench.logins_during_import import logins_during_import

ADMIN = "bench-admin"
MEMBER_USER = "bench-member"
BENCH_USERS = (ADMIN, MEMBER_USER, LOGIN_USER)


class _RolledBack(Exception):
    pass


def rolled_back(work: Callable[[], object]) -> Callable[[], None]:
    """Run the work in a transaction that is thrown away (the local stays as it was)."""

    def run() -> None:
        try:
            with transaction.atomic():
                work()
                raise _RolledBack
        except _RolledBack:
            pass

    return run


def sql(statement: str, params=None) -> Callable[[], list]:
    def run() -> list:
        with connection.cursor() as cursor:
            cursor.execute(statement, params or [])
            return cursor.fetchall() if cursor.description else []

    return run


def run_all(
    members: int,
    *,
    runs: int,
    generation_runs: int,
    only: frozenset[str] = frozenset(),
    drop_database: bool = False,
) -> tuple[list[Row], list[str]]:
    """Every workload asked for; then the bench's footprint undone, and what still differs
    from the local as the run found it (nothing: bench/local_state.py). `drop_database`: the
    demo hall's database is dropped even if its name does not mark it scratch."""
    from bench.local_state import local_restored, local_state

    before = local_state(BENCH_USERS)
    try:
        rows = _run_all(members, runs, generation_runs, only, drop_database)
    finally:
        differences = local_restored(before, BENCH_USERS)
    return rows, differences


def _run_all(
    members: int, runs: int, generation_runs: int, only: frozenset[str], drop_database: bool
) -> list[Row]:
    from accounts import roles
    from members.models import Member

    User = get_user_model()
    admin, _ = User.objects.get_or_create(
        username=ADMIN, defaults={"is_staff": True, "is_superuser": True}
    )
    office = Client()
    office.force_login(admin)
    member_user, _ = User.objects.get_or_create(username=MEMBER_USER)
    # The member whose own pages the member user reads: the middle one of those with no
    # login of their own (linked for the run, unlinked after; a member's status may have
    # changed since the last run, so it may be another member this time).
    some = (
        Member.objects.filter(status="active")
        .filter(Q(user__isnull=True) | Q(user=member_user))
        .order_by("id")[members // 2]
    )
    Member.objects.filter(user=member_user).exclude(pk=some.pk).update(user=None)
    Member.objects.filter(pk=some.pk).update(user=member_user)
    member_user.groups.add(*Group.objects.filter(name=roles.MEMBER))
    member_client = Client()
    member_client.force_login(member_user)

    workloads: dict[str, Callable[[], list[Row]]] = {
        "generation": lambda: _generation(generation_runs),
        "standing": lambda: _standing_pages(office, runs),
        "member": lambda: _member_dues(office, member_client, some, runs),
        "api": lambda: _api_lists(office, some, runs),
        "search": lambda: _searches(office, some, runs),
        "changelists": lambda: _changelists(office, some, runs),
        "import": lambda: _import(min(members, 100_000)),
        "remittance": lambda: _remittance(min(members // 2, 10_000)),
        "governance": lambda: _governance(runs),
        "autopay": lambda: _autopay(min(members // 10, 10_000)),
        "logins": lambda: logins_during_import(min(members, 100_000)),
        "hall": lambda: hall_rows(office, runs) + hall_run_rows(runs),
        "hall-demo": lambda: hall_demo_rows(runs, drop_database=drop_database),
    }
    assert tuple(workloads) == WORKLOADS
    rows: list[Row] = []
    for name, workload in workloads.items():
        if not only or name in only:
            rows += workload()
    return rows


# --- Generating a period --------------------------------------------------------------------


def _generation(runs: int) -> list[Row]:
    """Charge the next month, `runs` times, each in a transaction thrown away after (the
    local stays as it was, and every run charges the same month); the floor likewise,
    alternating which goes first."""
    from audit.context import acting_as
    from dues.models import DuesPeriod
    from dues.selectors import charge_order
    from dues.services import dues_charges_generate, dues_period_create

    latest = DuesPeriod.objects.order_by("-year", "-month").first()
    year, m = divmod(latest.year * 12 + latest.month, 12)  # the next month, 0-based
    ours, floors, reruns, rerun_floors = [], [], [], []
    created = 0

    def product() -> None:
        nonlocal created
        period = dues_period_create(year=year, month=m + 1, actor="bench")
        with acting_as("bench"):
            started = time.perf_counter()
            result = dues_charges_generate(period=period, actor="bench")
            ours.append((time.perf_counter() - started) * 1000)
            created = result.created
            started = time.perf_counter()
            dues_charges_generate(period=period, actor="bench")
            reruns.append((time.perf_counter() - started) * 1000)
            rerun_floors.append(median_ms(sql(_FLOOR_FIND_NOTHING, [period.pk]), 1))

    def floor() -> None:
        period = dues_period_create(year=year, month=m + 1, actor="bench")
        params = {
            "period": period.pk,
            "key": period.year * 100 + period.month,
            "due": period.due_date,
            "order": charge_order(period),
        }
        floors.append(median_ms(sql(_FLOOR_GENERATION, params), 1))

    for i in range(runs):
        for work in (product, floor) if i % 2 == 0 else (floor, product):
            rolled_back(work)()
    return [
        Row(
            f"generate one period ({created:,} charges, history, audit, ledgers)",
            sorted(ours)[len(ours) // 2],
            sorted(floors)[len(floors) // 2],
            "floor: INSERT ... SELECT of charges + history + audit rows, UPDATE of the kept "
            "ledgers (kept totals by the same triggers); each run rolled back, "
            f"alternating; the bench's peak memory so far "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB",
        ),
        Row(
            "generate it again, right after (nothing to create)",
            sorted(reruns)[len(reruns) // 2],
            sorted(rerun_floors)[len(rerun_floors) // 2],
            "floor: INSERT ... SELECT that finds nothing",
        ),
    ]


# The same rows as ours: the charges, their history rows, audit events with the same
# content (member number, name, values), and each charged member's kept ledger moved on by
# the charge as dues/services/billing.py's _ledgers_charged does (the kept totals follow by
# the tables' own triggers, for both); only the chain's hashes are left to us (stand-ins,
# linked after the head as the database checks them: audit/chain_guard.py).
_FLOOR_GENERATION = """
WITH made AS (
    INSERT INTO dues_duescharge (member_id, period_id, amount, rate_id, created_at)
    SELECT m.id, %(period)s, r.monthly_amount, r.id, now() FROM members_member m
    JOIN dues_duesrate r ON r.classification_id = m.classification_id
    WHERE m.status = 'active'
    RETURNING id, member_id, period_id, amount, rate_id, created_at
), ledgers AS (
    UPDATE dues_memberledger l SET
        charged = l.charged + made.amount, balance = l.balance + made.amount,
        paid_through = CASE WHEN l.first_uncovered_due IS NULL
            AND ROUND(l.credit - l.charged - made.amount, 2) >= 0 THEN %(key)s
            ELSE l.paid_through END,
        months_in_arrears = l.months_in_arrears + CASE WHEN NOT (l.first_uncovered_due IS NULL
            AND ROUND(l.credit - l.charged - made.amount, 2) >= 0) AND %(due)s < l.as_of
            THEN 1 ELSE 0 END,
        next_due = CASE WHEN NOT (l.first_uncovered_due IS NULL
            AND ROUND(l.credit - l.charged - made.amount, 2) >= 0) AND %(due)s >= l.as_of
            AND (l.next_due IS NULL OR %(due)s < l.next_due) THEN %(due)s ELSE l.next_due END,
        first_uncovered_due = CASE WHEN l.first_uncovered_due IS NULL AND NOT (
            ROUND(l.credit - l.charged - made.amount, 2) >= 0) THEN %(due)s
            ELSE l.first_uncovered_due END,
        last_charge_order = %(order)s
    FROM made WHERE l.member_id = made.member_id
), history AS (
    INSERT INTO dues_historicalduescharge (id, member_id, period_id, amount, rate_id,
        created_at, history_date, history_type)
    SELECT id, member_id, period_id, amount, rate_id, created_at, now(), '+' FROM made
    RETURNING history_id, id, member_id, period_id, amount, rate_id
), head AS (
    SELECT seq, hash FROM audit_auditchainhead WHERE id = 1
), numbered AS (
    SELECT h.*, head.seq + row_number() OVER (ORDER BY h.history_id) AS seq,
           md5(h.history_id::text) || md5(h.id::text) AS hash
    FROM history h, head
)
INSERT INTO audit_auditevent (occurred_at, actor_label, action, model_label, object_id,
    object_repr, member_id, member_number, changes, detail, user_agent, history_id, seq,
    prev_hash, hash)
SELECT now(), 'bench', 'create', 'dues.duescharge', h.id::text,
       'Dues charge #' || h.id || ' (' || h.amount || ')', h.member_id, m.member_number,
       jsonb_build_object('id', jsonb_build_array(null, h.id),
                          'member', jsonb_build_array(null, h.member_id),
                          'period', jsonb_build_array(null, h.period_id),
                          'amount', jsonb_build_array(null, h.amount::text),
                          'rate', jsonb_build_array(null, h.rate_id)),
       '', '', h.history_id, h.seq,
       coalesce(lag(h.hash) OVER (ORDER BY h.seq), (SELECT hash FROM head)), h.hash
FROM numbered h JOIN members_member m ON m.id = h.member_id
"""
_FLOOR_FIND_NOTHING = """
INSERT INTO dues_duescharge (member_id, period_id, amount, rate_id, created_at)
SELECT m.id, p.id, r.monthly_amount, r.id, now() FROM members_member m
JOIN dues_duesrate r ON r.classification_id = m.classification_id
JOIN dues_duesperiod p ON p.id = %s
WHERE m.status = 'active'
  AND NOT EXISTS (SELECT 1 FROM dues_duescharge c WHERE c.member_id = m.id AND c.period_id = p.id)
"""


# --- Pages --------------------------------------------------------------------------------


def _get(client: Client, url: str) -> Callable[[], None]:
    def run() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        _ = response.content

    return run


def _page_row(label: str, client: Client, url: str, runs: int, floor=None, note="") -> Row:
    _get(client, url)()  # warm
    with CaptureQueriesContext(connection) as captured:
        _get(client, url)()
    queries = len(captured)
    counts = sum(
        1 for q in captured if "COUNT(*)" in q["sql"].upper() and " WHERE " not in q["sql"].upper()
    )
    extra = f"{queries} queries" + (f", {counts} whole-table COUNT" if counts else "")
    floor_ms = median_ms(floor, runs) if floor else None
    return Row(label, median_ms(_get(client, url), runs), floor_ms, f"{extra}; {note}".strip("; "))


def _standing_pages(office: Client, runs: int) -> list[Row]:
    return [
        _page_row("/dues/ overview (standing counts)", office, "/dues/", runs, note="p50 <= 300"),
        _page_row("arrears report, 1+ months", office, "/dues/reports/arrears/?months=1", runs),
        _page_row(
            "API members ?standing=delinquent",
            office,
            "/api/v1/members/?standing=delinquent",
            runs,
        ),
    ]


def _member_dues(office: Client, member_client: Client, member, runs: int) -> list[Row]:
    page = _get(office, f"/floor/members/{member.pk}/dues/")
    note = "floor: the same rows from raw SQL, as bare tables (bench/floors.py)"
    json_note = "floor: the same rows from raw SQL, as JSON (bench/floors.py)"
    return [
        _page_row(
            f"/dues/members/{member.pk}/", office, f"/dues/members/{member.pk}/", runs, page, note
        ),
        _page_row(
            "/dues/my/",
            member_client,
            "/dues/my/",
            runs,
            _get(member_client, f"/floor/members/{member.pk}/dues/"),
            note,
        ),
        _page_row(
            f"/api/v1/members/{member.pk}/dues/",
            office,
            f"/api/v1/members/{member.pk}/dues/",
            runs,
            _get(office, f"/floor/members/{member.pk}/dues.json"),
            json_note,
        ),
    ]


def _api_lists(office: Client, member, runs: int) -> list[Row]:
    note = "floor: the page's rows from raw SQL, as JSON (bench/floors.py)"
    return [
        _page_row(label, office, url, runs, _get(office, f"/floor/lists/{floor}.json"), note)
        for label, url, floor in [
            ("API payments (first page)", "/api/v1/dues/payments/", "payments"),
            ("API audit events (first page)", "/api/v1/audit/events/", "audit"),
        ]
    ] + [
        _page_row(
            "API member search ?search=Kowalski1 (trigram)",
            office,
            "/api/v1/members/?search=Kowalski1",
            runs,
            _get(office, "/floor/members/search.json?search=Kowalski1"),
            "floor: the product's SQL by hand (number? count, page, audit event; bench/floors.py)",
        )
    ]


def _searches(office: Client, member, runs: int) -> list[Row]:
    number = member.member_number
    lookup = sql(
        "SELECT p.id FROM dues_payment p JOIN members_member m ON m.id = p.member_id "
        "WHERE m.member_number = %s ORDER BY p.received_date DESC LIMIT 100",
        [number],
    )
    return [
        _page_row(
            f"admin payments ?q={number}",
            office,
            f"/admin/dues/payment/?q={number}",
            runs,
            lookup,
            "target <= 50; floor: index lookup",
        ),
        _page_row(
            f"API member search by number ?search={number}",
            office,
            f"/api/v1/members/?search={number}",
            runs,
            sql("SELECT id FROM members_member WHERE member_number = %s", [number]),
            "target <= 20",
        ),
        *(
            _page_row(
                f"admin member search ?q={term} ({what})",
                office,
                f"/admin/members/member/?q={term}",
                runs,
                sql(
                    "SELECT m.id FROM members_member m WHERE (UPPER(m.member_number::text) "
                    "LIKE UPPER(%(like)s) OR UPPER(m.last_name::text) LIKE UPPER(%(like)s) OR "
                    "UPPER(m.first_name::text) LIKE UPPER(%(like)s) OR UPPER(m.email::text) "
                    "LIKE UPPER(%(like)s)) ORDER BY COALESCE(m.last_name, m.last_name), "
                    "COALESCE(m.first_name, m.first_name), "
                    "COALESCE(m.member_number, m.member_number) LIMIT 100",
                    {"like": f"%{term}%"},
                ),
                "target <= 150 at 1,000,000; floor: the matches' first page by trigram "
                "indexes, sorted",
            )
            for term, what in [
                (member.last_name, "a member's surname"),
                ("Kowalski1", "part of a surname"),
            ]
        ),
        _page_row(
            f"admin audit events ?member_id={member.pk}",
            office,
            f"/admin/audit/auditevent/?member_id={member.pk}",
            runs,
            sql(
                "SELECT id FROM audit_auditevent WHERE member_id = %s "
                "ORDER BY occurred_at DESC, id DESC LIMIT 100",
                [member.pk],
            ),
            "target <= 50",
        ),
        _page_row(
            f"admin audit events ?q={number}",
            office,
            f"/admin/audit/auditevent/?q={number}",
            runs,
            sql(
                "SELECT id FROM audit_auditevent WHERE member_number = %s "
                "ORDER BY occurred_at DESC, id DESC LIMIT 100",
                [number],
            ),
            "target <= 300",
        ),
    ]


def _changelists(office: Client, member, runs: int) -> list[Row]:
    return [
        _page_row(f"admin {name} list", office, url, runs, note="p50 <= 150")
        for name, url in [
            ("members", "/admin/members/member/"),
            ("charges", "/admin/dues/duescharge/"),
            ("payments", "/admin/dues/payment/"),
            ("audit events", "/admin/audit/auditevent/"),
        ]
    ] + [
        _page_row(
            "admin member page, with its inlines",
            office,
            f"/admin/members/member/{member.pk}/change/",
            runs,
            note="target <= 30",
        )
    ]


# --- Import -------------------------------------------------------------------------------


def _import(rows: int) -> list[Row]:
    from members.importing import members_import

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["member_number", "first_name", "last_name", "classification", "join_date"])
    for i in range(rows):
        writer.writerow([f"9{i:08d}", f"New{i}", "Member", "JW", "2024-01-15"])
    csv_text = text.getvalue()

    def ours() -> None:
        result = members_import(csv_text=csv_text, actor="bench")
        assert result.written, result.errors[:3]

    def floor() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM members_classification WHERE code = 'JW'")
            classification = cursor.fetchone()[0]
            copy_sql = (
                "COPY members_member (member_number, first_name, last_name, classification_id, "
                "join_date, status, email, phone, address_line1, address_line2, city, state, "
                "postal_code, general_notes, created_at, updated_at) FROM STDIN"
            )
            with cursor.cursor.copy(copy_sql) as copy:
                for i in range(rows):
                    copy.write_row(
                        [
                            f"9{i:08d}",
                            f"New{i}",
                            "Member",
                            classification,
                            "2024-01-15",
                            "active",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "now",
                            "now",
                        ]
                    )

    return [
        Row(
            f"member import, {rows:,} rows (check and write, history, audit)",
            median_ms(rolled_back(ours), 1),
            median_ms(rolled_back(floor), 1),
            "floor: COPY of the same rows",
        )
    ]


# --- Check-off: a remittance of many lines ------------------------------------------------


def _remittance(lines: int) -> list[Row]:
    """An employer's remittance of `lines` lines, one per authorized member: checked (read,
    matched, kept) and posted (receipt numbers, payments, history, audit, lines linked,
    ledgers); all rolled back. The floor posts the same checked batch by hand SQL."""
    from checkoff.models import CheckoffAuthorization, Employer
    from checkoff.services import remittance_check, remittance_post
    from members.models import Member

    workers = list(
        Member.objects.filter(status="active").order_by("id").values_list("id", "member_number")
    )[:lines]
    lines = len(workers)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["member_number", "employee_id", "period", "hours", "gross_wages", "amount"])
    for _, number in workers:
        writer.writerow([number, f"E{number}", "2020-01", "160", "6400.00", "45.00"])
    content = text.getvalue().encode()
    timings: dict[str, float] = {}

    def timed(name: str, work: Callable[[], object]) -> object:
        started = time.perf_counter()
        done = work()
        timings[name] = (time.perf_counter() - started) * 1000
        return done

    def checked(name: str | None):
        employer = Employer.objects.create(code="BENCH", name="Bench Employer")
        authorizations = []
        for member_id, number in workers:
            authorization = CheckoffAuthorization(
                member_id=member_id,
                employer=employer,
                employee_id=f"E{number}",
                signed_on=datetime.date(2019, 1, 1),
            )
            authorization.months_kept()
            authorizations.append(authorization)
        CheckoffAuthorization.objects.bulk_create(authorizations, batch_size=5000)
        # Signed long before their first remittance: autovacuum has analyzed them since.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE checkoff_checkoffauthorization")

        def check():
            return remittance_check(
                employer=employer,
                content=content,
                file_name="bench.csv",
                received_on=datetime.date(2020, 2, 10),
                actor="bench",
            )

        return timed(name, check) if name else check()

    def ours() -> None:
        batch = checked("check").batch
        posting = timed("post", lambda: remittance_post(batch=batch, actor="bench"))
        assert posting.posted == lines, posting

    def floor() -> None:
        batch = checked(None).batch
        timed("floor", lambda: _floor_remittance_post(batch))
        assert batch.lines.filter(payment__isnull=False).count() == lines

    rolled_back(ours)()
    rolled_back(floor)()
    return [
        Row(
            f"remittance of {lines:,} lines: check (read, match, keep)",
            timings["check"],
            None,
        ),
        Row(
            f"remittance of {lines:,} lines: post (receipts, payments, history, audit, "
            "links, ledgers)",
            timings["post"],
            timings["floor"],
            "floor: INSERT ... SELECT of the numbered payments + history + audit rows, the "
            "lines linked, the batch marked, the ledgers worked out again (one statement)",
        ),
    ]


def _floor_remittance_post(batch) -> None:
    """The post of a checked batch by hand: what remittance_post writes, set-based."""
    from checkoff.services import payment_reference
    from dues.models import RECEIVED_STATUSES
    from dues.selectors import standings_sql

    with connection.cursor() as cursor:
        # The planner settings the ledgers' refresh takes (dues/services/ledgers.py).
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            _FLOOR_PAYMENTS,
            {
                "batch": batch.pk,
                "received": batch.received_on,
                # As payment_reference() words it (every line of the bench's file: one month).
                "reference": payment_reference(batch.lines.first(), batch),
            },
        )
        as_of = datetime.date.today()
        statement, uses = standings_sql(
            "m.id IN (SELECT member_id FROM checkoff_remittanceline WHERE batch_id = %s)",
            as_of=as_of,
        )
        columns = ", ".join(_LEDGER_COLUMNS)
        updates = ", ".join(f"{column} = excluded.{column}" for column in _LEDGER_COLUMNS)
        cursor.execute(
            f"INSERT INTO dues_memberledger (member_id, {columns}) "
            "SELECT member_id, charged, credit, balance, paid_through, first_uncovered_due, "
            f"months_in_arrears, %s, next_due, last_charge_order FROM ({statement}) s "
            f"ON CONFLICT (member_id) DO UPDATE SET {updates}",
            [as_of, *RECEIVED_STATUSES, batch.pk, *[as_of] * uses],
        )


_LEDGER_COLUMNS = (
    "charged",
    "credit",
    "balance",
    "paid_through",
    "first_uncovered_due",
    "months_in_arrears",
    "as_of",
    "next_due",
    "last_charge_order",
)

_FLOOR_PAYMENTS = """
WITH lines AS (
    SELECT id, member_id, amount, year, month FROM checkoff_remittanceline
    WHERE batch_id = %(batch)s AND member_id IS NOT NULL AND amount > 0
      AND exception IN ('', 'SHORT', 'OVER')
), counter AS (  -- gapless receipt numbers, under the counter's row lock
    UPDATE dues_receiptcounter SET last_number = last_number + (SELECT count(*) FROM lines)
    WHERE id = 1 RETURNING last_number, (SELECT count(*) FROM lines) AS taken
), made AS (
    INSERT INTO dues_payment (member_id, amount, refunded_amount, method, status,
        received_date, reference, note, receipt_number, idempotency_key, created_at, flag_reason)
    SELECT l.member_id, l.amount, 0, 'payroll_deduction', 'succeeded', %(received)s,
           %(reference)s, 'Work month ' || l.year || '-' || lpad(l.month::text, 2, '0'),
           c.last_number - c.taken + row_number() OVER (ORDER BY l.id),
           'checkoff-line:' || l.id, now(), ''
    FROM lines l, counter c
    RETURNING id, member_id, amount, refunded_amount, method, status, received_date,
        reference, note, receipt_number, idempotency_key, created_at, flag_reason
), linked AS (
    UPDATE checkoff_remittanceline r SET payment_id = made.id FROM made
    WHERE made.idempotency_key = 'checkoff-line:' || r.id
), posted AS (
    UPDATE checkoff_remittancebatch SET status = 'posted', posted_at = now()
    WHERE id = %(batch)s
), history AS (
    INSERT INTO dues_historicalpayment (id, member_id, amount, refunded_amount, method,
        status, received_date, reference, note, receipt_number, idempotency_key, created_at,
        flag_reason, history_date, history_type)
    SELECT id, member_id, amount, refunded_amount, method, status, received_date, reference,
        note, receipt_number, idempotency_key, created_at, flag_reason, now(), '+' FROM made
    RETURNING history_id, id, member_id, amount, refunded_amount, method, status,
        received_date, reference, receipt_number, idempotency_key
), head AS (
    SELECT seq, hash FROM audit_auditchainhead WHERE id = 1
), numbered AS (  -- stand-in hashes, linked after the head as the database checks them
    SELECT h.*, head.seq + row_number() OVER (ORDER BY h.history_id) AS seq,
           md5(h.history_id::text) || md5(h.id::text) AS hash
    FROM history h, head
)
INSERT INTO audit_auditevent (occurred_at, actor_label, action, model_label, object_id,
    object_repr, member_id, member_number, changes, detail, user_agent, history_id, seq,
    prev_hash, hash)
SELECT now(), 'bench', 'create', 'dues.payment', h.id::text,
       'R-' || h.receipt_number || ': ' || h.amount, h.member_id, m.member_number,
       jsonb_build_object('id', jsonb_build_array(null, h.id),
                          'member', jsonb_build_array(null, h.member_id),
                          'amount', jsonb_build_array(null, h.amount::text),
                          'refunded_amount', jsonb_build_array(null, h.refunded_amount::text),
                          'method', jsonb_build_array(null, h.method),
                          'status', jsonb_build_array(null, h.status),
                          'received_date', jsonb_build_array(null, h.received_date::text),
                          'reference', jsonb_build_array(null, h.reference),
                          'receipt_number', jsonb_build_array(null, h.receipt_number),
                          'idempotency_key', jsonb_build_array(null, h.idempotency_key)),
       '', '', h.history_id, h.seq,
       coalesce(lag(h.hash) OVER (ORDER BY h.seq), (SELECT hash FROM head)), h.hash
FROM numbered h JOIN members_member m ON m.id = h.member_id
"""


# --- Governance -----------------------------------------------------------------------------


def _governance(runs: int) -> list[Row]:
    """In a transaction thrown away after (the policy it may make stays out of the local)."""
    rows: list[Row] = []
    rolled_back(lambda: rows.extend(_governance_rows(runs)))()
    return rows


def _governance_rows(runs: int) -> list[Row]:
    """The arrears policy's dry run today and an eligibility list on a record date, over
    the whole local, beside the hand SQL that does the same work: the standing of every
    member as the records stood (one statement), and for the list, its rows inserted."""
    from compliance.models import ArrearsPolicy
    from compliance.services import arrears_policy_proposals, eligibility_list_create
    from dues.models import RECEIVED_STATUSES
    from dues.selectors import standings_sql

    if not ArrearsPolicy.objects.exists():
        ArrearsPolicy.objects.create(
            effective_date=datetime.date(2000, 1, 1), notice_text="You owe {{ months_owed }}."
        )
    today = datetime.date.today()
    record_date = today.replace(day=1) - datetime.timedelta(days=1)
    policy = ArrearsPolicy.objects.order_by("-effective_date").first()
    counting, asked = policy.counting_on(record_date)

    def standings_floor(day: datetime.date, filter_sql: str) -> Callable[[], list]:
        statement, uses = standings_sql(filter_sql, as_of=day, recorded_by=day, counting=counting)
        return sql(statement, [*RECEIVED_STATUSES, *[day] * uses])

    active = "m.status IN ('active', 'suspended')"
    list_floor_sql, uses = standings_sql(
        "1 = 1", as_of=asked, recorded_by=record_date, counting=counting
    )
    list_floor = f"""
        WITH made AS (INSERT INTO compliance_eligibilitylist (title, record_date, policy_id,
            eligible_count, ineligible_count, created_at, snapshot, sha256)
            VALUES ('floor', %s, {policy.pk}, 0, 0, now(), '', '') RETURNING id)
        INSERT INTO compliance_eligibilityentry (eligibility_list_id, member_id,
            member_number, name, classification, status, eligible, reason_code, reason,
            months_owed, checkoff_protected)
        SELECT made.id, m.id, m.member_number, m.first_name || ' ' || m.last_name, c.code,
            m.status, s.months_in_arrears = 0 AND m.status = 'active',
            CASE WHEN s.months_in_arrears > 0 THEN 'months_owed' ELSE '' END,
            'Owed ' || s.months_in_arrears || ' month(s)', s.months_in_arrears, false
        FROM made, members_member m
        JOIN members_classification c ON c.id = m.classification_id
        JOIN ({list_floor_sql}) s ON s.member_id = m.id
        WHERE m.join_date <= %s
    """
    list_params = [record_date, *RECEIVED_STATUSES, *[asked] * uses, record_date]
    return [
        Row(
            "apply_arrears_policy --dry-run (whole local)",
            median_ms(lambda: arrears_policy_proposals(today), runs),
            median_ms(standings_floor(today, active), runs),
            "floor: the standings statement for active and suspended members",
        ),
        Row(
            "eligibility_list on a record date (whole local, kept)",
            median_ms(
                rolled_back(
                    lambda: eligibility_list_create(
                        title="bench", record_date=record_date, actor="bench"
                    )
                ),
                max(1, runs // 2),
            ),
            median_ms(rolled_back(sql(list_floor, list_params)), max(1, runs // 2)),
            "floor: INSERT ... SELECT of the entries from the standings statement",
        ),
    ]


# --- Autopay --------------------------------------------------------------------------------


AUTOPAY_CHUNK = 1000


def _autopay(count: int) -> list[Row]:
    """A collection run for `count` members on autopay against the Stripe stand-in (the SDK's
    own HTTP client hook, answering in-process), unpaced, beside the bare SDK requests: how
    many requests a second the run itself can make, so that its pace (STRIPE_REQUESTS_PER_SECOND)
    and not its speed is what keeps it under Stripe's limit. Rolled back."""
    from django.conf import settings

    from dues.models import DuesPeriod, MemberLedger
    from members.models import Member
    from payments.collecting import autopay_collect
    from payments.models import Autopay, AutopayStatus
    from payments.stripe_client import payment_intent_create, stripe_http_client
    from payments.tests.fake_stripe import FakeStripe

    settings.STRIPE_SECRET_KEY = settings.STRIPE_SECRET_KEY or "sk_test_bench"
    settings.STRIPE_REQUESTS_PER_SECOND = 0  # unpaced: the run's own speed
    owing = list(
        MemberLedger.objects.filter(balance__gt=0, member__status="active")
        .order_by("member_id")
        .values_list("member_id", flat=True)[:count]
    )
    fake = FakeStripe()
    timings: dict[str, float] = {}

    def enrol(chunk: list[int]) -> None:
        autopays = []
        for member_id in chunk:
            customer, method = f"cus_bench{member_id}", f"pm_bench{member_id}"
            fake.customers[customer] = {"id": customer, "object": "customer"}
            fake.payment_methods[method] = {"id": method, "customer": customer, "type": "card"}
            autopays.append(
                Autopay(
                    member_id=member_id,
                    status=AutopayStatus.ACTIVE,
                    payment_method_id=method,
                    method_type="card",
                    brand="visa",
                    last4="4242",
                )
            )
        for member_id in chunk:
            Member.objects.filter(pk=member_id).update(stripe_customer_id=f"cus_bench{member_id}")
        Autopay.objects.bulk_create(autopays, batch_size=5000)

    def ours(chunk: list[int]) -> None:
        enrol(chunk)
        period = DuesPeriod.objects.order_by("-due_date").first()
        started = time.perf_counter()
        run = autopay_collect(period=period)
        timings["ours"] = timings.get("ours", 0) + (time.perf_counter() - started) * 1000
        timings["requests"] = timings.get("requests", 0) + run.requests
        assert run.outcomes.get("succeeded") == len(chunk), run

    def floor() -> None:
        started = time.perf_counter()
        for member_id in owing:
            payment_intent_create(
                params={
                    "amount": 4500,
                    "currency": "usd",
                    "customer": f"cus_bench{member_id}",
                    "payment_method": f"pm_bench{member_id}",
                    "confirm": True,
                    "off_session": True,
                },
                idempotency_key=f"bench-floor-{member_id}",
            )
        timings["floor"] = (time.perf_counter() - started) * 1000

    with stripe_http_client(fake):
        # In chunks, each thrown away after: one transaction holding every member's
        # savepoints would measure PostgreSQL's subtransactions, not the run (which commits
        # each member on its own).
        for start in range(0, len(owing), AUTOPAY_CHUNK):
            rolled_back(lambda chunk=owing[start : start + AUTOPAY_CHUNK]: ours(chunk))()
        rolled_back(floor)()
    rate = timings["requests"] / (timings["ours"] / 1000)
    return [
        Row(
            f"autopay collection, {len(owing):,} members (PaymentIntents, payments, receipts)",
            timings["ours"],
            timings["floor"],
            f"{rate:,.0f} requests/s unpaced; floor: the bare SDK requests to the stand-in; "
            f"paced at STRIPE_REQUESTS_PER_SECOND (25 by default, Stripe's live limit 100)",
        )
    ]
