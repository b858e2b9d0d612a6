"""The bench leaves the local as it found it, and says so.

Its workloads run in transactions thrown away after (bench/workloads.py: `rolled_back`);
what is left is the bench's own footprint, undone here at the end of a run: the users it
signs in as (made by the run, deleted after), the member it links to its member user
(unlinked), their sessions, the login throttle's counts of its logins, and the audit
trail's events of its page views and logins and the numbers its rolled-back long writes
reserved (every one the bench's; the trail's head is set back to where it stood, as the
dataset's build sets it: bench/dataset.py). Then every table is compared with what it
held before the run: row counts, the largest id, and the whole content of the tables a
workload could change in place."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection, transaction

# Tables whose whole content is compared (the others: their row count and largest id).
COMPARED_WHOLE = (
    "members_member",
    "dues_memberledger",
    "dues_receiptcounter",
    "dues_duesperiod",
    "audit_auditchainhead",
    "auth_user",
    "auth_user_groups",
    "django_session",
    "compliance_arrearspolicy",
    "jobs_job",
)
# The database cache's entries come and go by themselves.
NOT_COMPARED = ("unionhall_cache",)


@dataclass
class LocalState:
    tables: dict[str, tuple] = field(default_factory=dict)
    kept_totals: dict[tuple, tuple] = field(default_factory=dict)
    head: tuple = ()
    usernames: set[str] = field(default_factory=set)
    last_logins: dict[str, object] = field(default_factory=dict)
    sessions: set[str] = field(default_factory=set)
    attempts: dict[str, tuple] = field(default_factory=dict)
    cache_keys: set[str] = field(default_factory=set)


def _one(statement: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
        return cursor.fetchall()


def local_state(bench_usernames: tuple[str, ...]) -> LocalState:
    state = LocalState()
    tables = [
        name
        for (name,) in _one(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        if name not in NOT_COMPARED
    ]
    for table in tables:
        columns = {
            c
            for (c,) in _one(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table]
            )
        }
        largest = "max(id::text)" if "id" in columns else "NULL"
        if table in COMPARED_WHOLE:
            order = "ORDER BY t::text"
            state.tables[table] = _one(
                f"SELECT count(*), {largest}, md5(string_agg(t::text, '|' {order})) FROM {table} t"
            )[0]
        else:
            state.tables[table] = _one(f"SELECT count(*), {largest} FROM {table}")[0]
    # Kept totals are new rows (never an update): compared by what they add up to.
    state.kept_totals = {
        (measure, status, key): (count, amount)
        for measure, status, key, count, amount in _one(
            "SELECT measure, status, key, sum(count), sum(amount) FROM dues_kepttotal "
            "GROUP BY 1, 2, 3 HAVING sum(count) <> 0 OR sum(amount) <> 0"
        )
    }
    state.tables.pop("dues_kepttotal", None)
    state.head = _one("SELECT seq, hash FROM audit_auditchainhead WHERE id = 1")[0]
    state.usernames = {
        name
        for (name,) in _one(
            "SELECT username FROM auth_user WHERE username = ANY(%s)", [list(bench_usernames)]
        )
    }
    state.last_logins = dict(
        _one(
            "SELECT username, last_login FROM auth_user WHERE username = ANY(%s)",
            [list(bench_usernames)],
        )
    )
    state.sessions = {key for (key,) in _one("SELECT session_key FROM django_session")}
    state.attempts = {
        key: (count, ends_at)
        for key, count, ends_at in _one("SELECT key, count, ends_at FROM accounts_attemptcount")
    }
    return state


def local_restored(before: LocalState, bench_usernames: tuple[str, ...]) -> list[str]:
    """Undo the bench's footprint since `before`; returns what still differs (nothing,
    when the local is as the run found it)."""
    from members.models import Member

    users = dict(
        _one("SELECT username, id FROM auth_user WHERE username = ANY(%s)", [list(bench_usernames)])
    )
    with transaction.atomic():
        Member.objects.filter(user_id__in=list(users.values())).update(user=None)
        seq, hash_ = before.head
        others = _one(
            # By a bench user, or the making of one (its groups, its password), or the
            # numbers a long write of a workload reserved (committed at once, so they stay
            # when the write is rolled back: audit/chain_blocks.py).
            "SELECT count(*) FROM audit_auditevent WHERE seq > %s "
            "AND (actor_id IS NULL OR actor_id <> ALL(%s)) AND actor_label <> ALL(%s) "
            "AND NOT (model_label = 'auth.user' AND object_id = ANY(%s)) "
            "AND action NOT IN ('block_reserved', 'block_sealed')",
            [seq, list(users.values()), list(bench_usernames), [str(i) for i in users.values()]],
        )[0][0]
        if others:
            return [
                f"{others} audit events since the run began are not the bench's own: the "
                "trail is left as it is (is someone else using this local?)"
            ]
        with connection.cursor() as cursor:
            # As the tables' owner, the trail's append-only guard lifted for this
            # transaction (bench/dataset.py does the same to build the trail).
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("DELETE FROM audit_auditevent WHERE seq > %s", [seq])
            cursor.execute(
                "UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE id = 1", [seq, hash_]
            )
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute(
                "DELETE FROM django_session WHERE session_key <> ALL(%s)", [list(before.sessions)]
            )
            # The login throttle's counts of the logins workload (accounts/counting.py).
            cursor.execute(
                "DELETE FROM accounts_attemptcount WHERE key <> ALL(%s)", [list(before.attempts)]
            )
            for key, (count, ends_at) in before.attempts.items():
                cursor.execute(
                    "UPDATE accounts_attemptcount SET count = %s, ends_at = %s WHERE key = %s",
                    [count, ends_at, key],
                )
        made = [users[name] for name in users if name not in before.usernames]
        if made:
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM auth_user_groups WHERE user_id = ANY(%s)", [made])
                cursor.execute(
                    "DELETE FROM auth_user_user_permissions WHERE user_id = ANY(%s)", [made]
                )
                cursor.execute("DELETE FROM auth_user WHERE id = ANY(%s)", [made])
        for name, last_login in before.last_logins.items():
            _one(
                "UPDATE auth_user SET last_login = %s WHERE username = %s RETURNING id",
                [last_login, name],
            )
    after = local_state(bench_usernames)
    differences = [
        f"{table}: {before.tables.get(table)} before, {after.tables.get(table)} after"
        for table in sorted(set(before.tables) | set(after.tables))
        if before.tables.get(table) != after.tables.get(table)
    ]
    if before.kept_totals != after.kept_totals:
        changed = {
            key
            for key in set(before.kept_totals) | set(after.kept_totals)
            if before.kept_totals.get(key) != after.kept_totals.get(key)
        }
        some = sorted(changed)[:3]
        differences.append(f"dues_kepttotal: {len(changed)} totals differ, e.g. {some}")
    return differences
