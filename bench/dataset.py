"""A large local, built straight in SQL on a scratch PostgreSQL database: members, 24 months
of charges, ~0.85 of them paid, an audit trail of millions of events, and the kept ledgers.
Built once and kept (a marker table says for how many members) unless --rebuild."""

from __future__ import annotations

import time

import psycopg

MARKER = "bench_dataset"


def existing_size(url: str) -> int | None:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute(f"SELECT members FROM {MARKER}").fetchone()
            return row[0] if row else None
    except psycopg.Error:
        return None


def build(members: int, periods: int, log) -> None:
    """Fill the (migrated, empty) database at DATABASE_URL with a local of `members`."""
    from django.db import connection
    from django.utils import timezone

    from dues.services import member_ledgers_refresh

    today = timezone.localdate()
    first_month = today.year * 12 + today.month - 1 - periods  # the oldest period
    steps = [
        (
            "classifications and rates",
            """
            INSERT INTO members_classification (code, name) VALUES
              ('JW', 'Journeyman Wireman'), ('AP', 'Apprentice'),
              ('RW', 'Residential Wireman'), ('RT', 'Retired');
            INSERT INTO dues_duesrate (classification_id, monthly_amount, effective_date,
                                       working_basis)
              SELECT id, CASE code WHEN 'JW' THEN 45 WHEN 'AP' THEN 30
                                   WHEN 'RW' THEN 38 ELSE 10 END, DATE '2000-01-01', ''
              FROM members_classification;
            """,
        ),
        (
            f"{members:,} members",
            """
            INSERT INTO members_member (member_number, first_name, last_name, email, phone,
                address_line1, address_line2, city, state, postal_code, date_of_birth,
                classification_id, status, join_date, general_notes, created_at, updated_at)
            SELECT (100000 + i)::text,
                   (ARRAY['Maria','James','Linda','David','Rosa','Wei','Ngozi','Tomasz'])
                       [1 + mod(i, 8)],
                   (ARRAY['Alvarez','Smith','Nguyen','Kowalski','Okafor','Garcia','Lee',
                          'Novak','Patel','Murphy','Rivera','Kim'])
                     [1 + mod(i / 8, 12)]
                     || mod(i, 997)::text,
                   'member' || i || '@example.org',
                   '(312) 555-' || lpad(mod(i, 10000)::text, 4, '0'),
                   (mod(i, 9000) + 100) || ' Oak St', '', 'Chicago', 'IL', '60601',
                   DATE '1960-01-01' + (mod(i, 15000)),
                   (SELECT id FROM members_classification
                     WHERE code = (ARRAY['JW','JW','JW','AP','RW'])[1 + mod(i, 5)]),
                   CASE WHEN mod(i, 25) = 0 THEN 'suspended' WHEN mod(i, 40) = 1 THEN 'dropped'
                        ELSE 'active' END,
                   DATE '2000-01-01' + (mod(i, 7000)), '', now(), now()
            FROM generate_series(1, %(members)s) AS i;
            """,
        ),
        (
            f"{periods} periods",
            """
            INSERT INTO dues_duesperiod (year, month, due_date)
            SELECT m / 12, mod(m, 12) + 1,
                   (make_date(m / 12, mod(m, 12) + 1, 1) + interval '1 month - 1 day')::date
            FROM generate_series(%(first)s, %(first)s + %(periods)s - 1) AS m;
            """,
        ),
        (
            "charges",
            """
            INSERT INTO dues_duescharge (member_id, period_id, amount, rate_id, created_at)
            SELECT m.id, p.id, r.monthly_amount, r.id, now()
            FROM members_member m
            JOIN dues_duesrate r ON r.classification_id = m.classification_id
            CROSS JOIN dues_duesperiod p
            WHERE m.status = 'active';
            """,
        ),
        (
            "payments (each member pays most months, a sixth of them fall behind)",
            """
            INSERT INTO dues_payment (member_id, amount, refunded_amount, method, status,
                received_date, reference, note, receipt_number, created_at, flag_reason)
            SELECT c.member_id, c.amount, 0,
                   (ARRAY['check','cash','payroll_deduction','money_order','ach'])
                     [1 + mod(c.id, 5)],
                   'succeeded', p.due_date - 3, '', '',
                   row_number() OVER (ORDER BY p.due_date, c.id), now(), ''
            FROM dues_duescharge c JOIN dues_duesperiod p ON p.id = c.period_id
            WHERE mod(c.member_id, 6) <> 0
               OR p.due_date < (SELECT max(due_date) - 120 FROM dues_duesperiod);
            INSERT INTO dues_receiptcounter (id, last_number)
              SELECT 1, COALESCE(max(receipt_number), 0) FROM dues_payment;
            """,
        ),
        (
            "the audit trail (an event per charge and per payment)",
            """
            -- A stand-in for a trail, not a chain (its hashes are made up): the database's
            -- check of each event against the chain's head (audit/chain_guard.py) is lifted
            -- for it, as the tables' owner, and the head set past it. (Foreign keys are
            -- checked at once: a table with checks pending cannot be altered.)
            SET CONSTRAINTS ALL IMMEDIATE;
            ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_chain_appended;
            INSERT INTO audit_auditevent (occurred_at, actor_label, action, model_label,
                object_id, object_repr, member_id, member_number, changes, detail, user_agent,
                seq, prev_hash, hash)
            SELECT e.at, 'bench', 'create', e.label, e.object_id::text,
                   e.label || ' #' || e.object_id,
                   e.member_id, m.member_number, '{}'::jsonb, '', '',
                   (SELECT COALESCE(max(seq), 0) FROM audit_auditevent)
                     + row_number() OVER (ORDER BY e.at, e.label, e.object_id), repeat('0', 64),
                   md5(e.label || e.object_id) || md5(e.object_id || e.label)
            FROM (SELECT created_at AS at, 'dues.duescharge' AS label, id AS object_id, member_id
                    FROM dues_duescharge
                  UNION ALL
                  SELECT created_at, 'dues.payment', id, member_id FROM dues_payment) e
            JOIN members_member m ON m.id = e.member_id;
            ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_chain_appended;
            UPDATE audit_auditchainhead
               SET seq = (SELECT max(seq) FROM audit_auditevent), hash = repeat('f', 64);
            """,
        ),
    ]
    params = {"members": members, "periods": periods, "first": first_month}
    with connection.cursor() as cursor:
        for label, sql in steps:
            started = time.perf_counter()
            cursor.execute(sql, params if "%(" in sql else None)
            log(f"  {label}: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    member_ledgers_refresh()
    log(f"  the kept ledgers: {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE") if connection.in_atomic_block is False else None
        cursor.execute(f"CREATE TABLE {MARKER} (members integer)")
        cursor.execute(f"INSERT INTO {MARKER} VALUES (%s)", [members])
