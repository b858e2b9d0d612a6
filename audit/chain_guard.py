"""The database keeps the chain: only an event that follows the head takes a number.

The hash chain (audit/chain.py) numbers events after the chain head. If anyone who may
INSERT an audit event (the app's own login, audit/runtime_role.py) could take a number
the application did not give, every later append would clash with it and fail: one forged
row would jam every login and change. So the database checks every INSERT into the event
table against the head and moves the head itself:

- **Events** (`audit_chain_inserted`, after each INSERT or COPY statement, over the rows it
  added): their numbers follow one another and each row's `prev_hash` is the hash of the
  row before it. Either they come right after the head (the first follows the head's
  number and hash) and the head moves to the last of them, or they fill, whole, a block of
  numbers that this very transaction reserved (below). Anything else is refused. A row
  whose own `hash` is wrong is taken (the database does not recompute hashes) and later
  events follow it, so it jams nothing; `audit_verify` names it.
- **Reservations** (item 14 of the third hardening round: a long write must not hold the
  head): an event of action `block_reserved` that follows the head, alone in its statement,
  with `changes = {"reserved": [first, last]}` (its own number + 1 onwards, at most
  BLOCK_MAX numbers) moves the head past the numbers it reserves, so other writers go on
  after them at once. Its `object_id` names the transaction (`pg_current_xact_id()`) that
  may fill the block; the filling statement says so with `SET LOCAL audit.filling_block =
  'on'` (which also spares it the head's lock).
- **The head** refuses DELETE, TRUNCATE (outside Django's `test_` databases) and any UPDATE
  that does not move it forward; a head row is made only for an empty trail. The runtime
  role may not write it at all: it locks and reads it through `audit_chain_head_locked()`
  and the triggers (SECURITY DEFINER, owned by the owner) move it.
- **Checkpoints** must name an event of the main chain by its number and hash (never a
  number inside a reserved block): a checkpoint that names nothing, or a number far ahead,
  would make the next verification fail for good, or check nothing.

SQLite (the quickstart, one writer at a time, no roles) gets the same rules for the main
chain and the head as row triggers; it never reserves blocks. Its triggers ask
`audit_guard_on()` as the append-only ones do (audit/append_only.py), so that Django's test
flush may empty the tables.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

EVENTS = "audit_auditevent"
HEAD = "audit_auditchainhead"
CHECKPOINTS = "audit_auditcheckpoint"
GENESIS = "0" * 64
# The most numbers one reservation may take: a thief with the app's login must not reserve
# the rest of the bigint range in one go.
BLOCK_MAX = 100_000
# The setting a statement that fills a reserved block runs under (SET LOCAL).
FILLING = "audit.filling_block"
# The function the application locks and reads the head with.
HEAD_LOCKED = "audit_chain_head_locked"

_REFUSED = "USING ERRCODE = 'check_violation'"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION {HEAD_LOCKED}(OUT seq bigint, OUT hash text, OUT xact text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- The head's row lock is held until the caller's transaction ends: writers take turns.
    SELECT h.seq, h.hash INTO seq, hash FROM {HEAD} h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN  -- a new (or freshly emptied test) database: the chain starts here
        INSERT INTO {HEAD} (id, seq, hash) VALUES (1, 0, '{GENESIS}') ON CONFLICT (id) DO NOTHING;
        SELECT h.seq, h.hash INTO seq, hash FROM {HEAD} h WHERE h.id = 1 FOR UPDATE;
    END IF;
    xact := pg_current_xact_id()::text;
END
$$;
REVOKE ALL ON FUNCTION {HEAD_LOCKED}() FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit_chain_head_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    head_made boolean;
    events_made boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'The audit trail''s head is never deleted: every later event would '
            'take a number already taken.' {_REFUSED};
    ELSIF TG_OP = 'UPDATE' THEN
        IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq THEN
            RAISE EXCEPTION 'The audit trail''s head only moves forward, as events are '
                'inserted (from % to % refused).', OLD.seq, NEW.seq {_REFUSED};
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.id <> 1 OR NEW.seq <> 0 OR NEW.hash <> '{GENESIS}' THEN
        RAISE EXCEPTION 'The audit trail has one head, made once for an empty trail.'
            {_REFUSED};
    END IF;
    -- Both read in one snapshot: another first writer may commit its head and first event
    -- between two statements.
    SELECT EXISTS (SELECT 1 FROM {HEAD}), EXISTS (SELECT 1 FROM {EVENTS})
        INTO head_made, events_made;
    IF head_made THEN
        -- Two first writers of an empty trail: the one that committed first made the head;
        -- the other's insert is skipped, as its ON CONFLICT DO NOTHING would skip it.
        RETURN NULL;
    ELSIF events_made THEN
        RAISE EXCEPTION 'The audit trail has one head, made once for an empty trail.'
            {_REFUSED};
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER {HEAD}_guard BEFORE INSERT OR UPDATE OR DELETE ON {HEAD}
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_guard();
CREATE TRIGGER {HEAD}_no_truncate BEFORE TRUNCATE ON {HEAD}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

CREATE OR REPLACE FUNCTION audit_chain_insert_begun() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- Rows that go after the head wait for its lock here, before any of them reaches the
    -- unique index on seq: a writer that had not locked it first (anything but the app)
    -- would otherwise hold a number in the index while waiting for the head, and the app,
    -- holding the head, would wait for that number: a deadlock. A block's owner fills
    -- numbers already its own and waits for nobody.
    IF coalesce(current_setting('{FILLING}', true), '') <> 'on' THEN
        PERFORM 1 FROM {HEAD} WHERE id = 1 FOR UPDATE;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION audit_chain_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
    first_seq bigint;
    last_seq bigint;
    unlinked bigint;
    reservations bigint;
    bookkeeping bigint;
    first_prev text;
    last_hash text;
    head record;
    reservation record;
    reserved jsonb;
BEGIN
    SELECT count(*), min(seq), max(seq), count(*) FILTER (WHERE prev_hash <> before),
           count(*) FILTER (WHERE action = 'block_reserved'),
           count(*) FILTER (WHERE action IN ('block_reserved', 'block_sealed')),
           min(prev_hash) FILTER (WHERE before IS NULL), min(hash) FILTER (WHERE after IS NULL)
      INTO n, first_seq, last_seq, unlinked, reservations, bookkeeping, first_prev, last_hash
      FROM (SELECT seq, prev_hash, hash, action, lag(hash) OVER w AS before,
                   lead(seq) OVER w AS after
              FROM added WINDOW w AS (ORDER BY seq)) rows;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    IF last_seq - first_seq + 1 <> n OR unlinked > 0 THEN
        RAISE EXCEPTION 'Audit events % to % are refused: their numbers must follow one '
            'another, each event after the hash of the one before it.', first_seq, last_seq
            {_REFUSED};
    END IF;

    IF coalesce(current_setting('{FILLING}', true), '') = 'on' THEN
        -- A whole block, filled by the transaction that reserved it.
        SELECT e.hash, e.action, e.changes, e.object_id INTO reservation
          FROM {EVENTS} e WHERE e.seq = first_seq - 1;
        IF NOT FOUND OR reservation.action <> 'block_reserved'
           OR reservation.changes -> 'reserved' IS DISTINCT FROM
              jsonb_build_array(first_seq, last_seq)
           OR reservation.object_id <> pg_current_xact_id()::text
           OR first_prev <> reservation.hash OR bookkeeping > 0 THEN
            RAISE EXCEPTION 'Audit events % to % are refused: they do not fill, whole, a '
                'block of numbers this transaction reserved.', first_seq, last_seq {_REFUSED};
        END IF;
        RETURN NULL;
    END IF;

    SELECT h.seq, h.hash INTO head FROM {HEAD} h WHERE h.id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'The audit trail has no head: restore it before writing events.'
            {_REFUSED};
    END IF;
    IF first_seq <> head.seq + 1 OR first_prev <> head.hash THEN
        RAISE EXCEPTION 'Audit events % to % are refused: the trail''s next event is '
            'number %, after the hash %.', first_seq, last_seq, head.seq + 1, head.hash
            {_REFUSED};
    END IF;
    IF reservations > 0 THEN
        SELECT changes -> 'reserved' INTO reserved FROM added LIMIT 1;
        IF n <> 1 OR jsonb_typeof(reserved) IS DISTINCT FROM 'array'
           OR jsonb_array_length(reserved) <> 2
           OR reserved -> 0 IS DISTINCT FROM to_jsonb(first_seq + 1)
           OR jsonb_typeof(reserved -> 1) IS DISTINCT FROM 'number'
           OR (reserved ->> 1)::numeric NOT BETWEEN first_seq + 1 AND first_seq + {BLOCK_MAX}
           OR (reserved ->> 1)::numeric <> trunc((reserved ->> 1)::numeric) THEN
            RAISE EXCEPTION 'Audit event % is refused: a reservation comes alone and '
                'reserves from the number after its own, at most {BLOCK_MAX}.', first_seq
                {_REFUSED};
        END IF;
        last_seq := (reserved ->> 1)::bigint;
    END IF;
    UPDATE {HEAD} SET seq = last_seq, hash = last_hash WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER {EVENTS}_chain_begun BEFORE INSERT ON {EVENTS}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_insert_begun();
CREATE TRIGGER {EVENTS}_chain_appended AFTER INSERT ON {EVENTS}
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_inserted();

CREATE OR REPLACE FUNCTION audit_checkpoint_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    reserved_last numeric;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM {EVENTS} WHERE seq = NEW.seq AND hash = NEW.hash) THEN
        RAISE EXCEPTION 'A checkpoint names an event of the trail by number and hash: '
            'event % has no hash %.', NEW.seq, NEW.hash {_REFUSED};
    END IF;
    SELECT (changes -> 'reserved' ->> 1)::numeric INTO reserved_last FROM {EVENTS}
     WHERE action = 'block_reserved' AND seq < NEW.seq ORDER BY seq DESC LIMIT 1;
    IF reserved_last >= NEW.seq THEN
        RAISE EXCEPTION 'A checkpoint names an event of the main chain: event % is one '
            'of a reserved block.', NEW.seq {_REFUSED};
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER {CHECKPOINTS}_checked BEFORE INSERT ON {CHECKPOINTS}
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_guard();
"""

POSTGRES_REVERSE = f"""
DROP TRIGGER IF EXISTS {CHECKPOINTS}_checked ON {CHECKPOINTS};
DROP TRIGGER IF EXISTS {EVENTS}_chain_appended ON {EVENTS};
DROP TRIGGER IF EXISTS {EVENTS}_chain_begun ON {EVENTS};
DROP TRIGGER IF EXISTS {HEAD}_no_truncate ON {HEAD};
DROP TRIGGER IF EXISTS {HEAD}_guard ON {HEAD};
DROP FUNCTION IF EXISTS audit_checkpoint_guard();
DROP FUNCTION IF EXISTS audit_chain_inserted();
DROP FUNCTION IF EXISTS audit_chain_insert_begun();
DROP FUNCTION IF EXISTS audit_chain_head_guard();
DROP FUNCTION IF EXISTS {HEAD_LOCKED}();
"""


def _sqlite_refusal(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"


_RESERVED = f"""(
    json_type(NEW.changes, '$.reserved') = 'array'
    AND json_array_length(NEW.changes, '$.reserved') = 2
    AND json_type(NEW.changes, '$.reserved[0]') = 'integer'
    AND json_extract(NEW.changes, '$.reserved[0]') = NEW.seq + 1
    AND json_type(NEW.changes, '$.reserved[1]') = 'integer'
    AND json_extract(NEW.changes, '$.reserved[1]') BETWEEN NEW.seq + 1 AND NEW.seq + {BLOCK_MAX}
)"""

SQLITE = {
    f"{EVENTS}_chain_follows": (
        f"CREATE TRIGGER IF NOT EXISTS {EVENTS}_chain_follows BEFORE INSERT ON {EVENTS} "
        "WHEN audit_guard_on() AND NOT EXISTS ("
        f"SELECT 1 FROM {HEAD} WHERE id = 1 AND seq + 1 = NEW.seq AND hash = NEW.prev_hash) "
        + _sqlite_refusal(
            "An audit event is refused: the next event follows the head of the trail, "
            "by number and hash."
        )
    ),
    f"{EVENTS}_chain_reserves": (
        f"CREATE TRIGGER IF NOT EXISTS {EVENTS}_chain_reserves BEFORE INSERT ON {EVENTS} "
        f"WHEN audit_guard_on() AND NEW.action = 'block_reserved' AND NOT {_RESERVED} "
        + _sqlite_refusal(
            "An audit event is refused: a reservation reserves from the number after its own."
        )
    ),
    f"{EVENTS}_chain_moves": (
        f"CREATE TRIGGER IF NOT EXISTS {EVENTS}_chain_moves AFTER INSERT ON {EVENTS} "
        f"BEGIN UPDATE {HEAD} SET hash = NEW.hash, seq = CASE WHEN NEW.action = "
        "'block_reserved' THEN json_extract(NEW.changes, '$.reserved[1]') ELSE NEW.seq END "
        "WHERE id = 1; END"
    ),
    f"{HEAD}_forward_only": (
        f"CREATE TRIGGER IF NOT EXISTS {HEAD}_forward_only BEFORE UPDATE ON {HEAD} "
        "WHEN audit_guard_on() AND (NEW.id <> OLD.id OR NEW.seq <= OLD.seq) "
        + _sqlite_refusal("The audit trail''s head only moves forward, as events are inserted.")
    ),
    f"{HEAD}_no_delete": (
        f"CREATE TRIGGER IF NOT EXISTS {HEAD}_no_delete BEFORE DELETE ON {HEAD} "
        "WHEN audit_guard_on() " + _sqlite_refusal("The audit trail''s head is never deleted.")
    ),
    f"{HEAD}_made_once": (
        f"CREATE TRIGGER IF NOT EXISTS {HEAD}_made_once BEFORE INSERT ON {HEAD} "
        f"WHEN audit_guard_on() AND (NEW.id <> 1 OR NEW.seq <> 0 OR NEW.hash <> '{GENESIS}' "
        f"OR EXISTS (SELECT 1 FROM {HEAD}) OR EXISTS (SELECT 1 FROM {EVENTS})) "
        + _sqlite_refusal("The audit trail has one head, made once for an empty trail.")
    ),
    f"{CHECKPOINTS}_checked": (
        f"CREATE TRIGGER IF NOT EXISTS {CHECKPOINTS}_checked BEFORE INSERT ON {CHECKPOINTS} "
        "WHEN audit_guard_on() AND (NOT EXISTS ("
        f"SELECT 1 FROM {EVENTS} WHERE seq = NEW.seq AND hash = NEW.hash) OR EXISTS ("
        f"SELECT 1 FROM (SELECT changes FROM {EVENTS} WHERE action = 'block_reserved' "
        "AND seq < NEW.seq ORDER BY seq DESC LIMIT 1) "
        "WHERE json_extract(changes, '$.reserved[1]') >= NEW.seq)) "
        + _sqlite_refusal(
            "A checkpoint names an event of the main chain of the trail by number and hash."
        )
    ),
}


def chain_guard_installed(connection: BaseDatabaseWrapper) -> None:
    """Install the triggers (and, on PostgreSQL, the functions) on this database."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES)
        elif connection.vendor == "sqlite":
            for statement in SQLITE.values():
                cursor.execute(statement)
        else:
            raise NotImplementedError(f"No chain triggers for {connection.vendor}.")


def chain_guard_removed(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_REVERSE)
        else:
            for name in SQLITE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
