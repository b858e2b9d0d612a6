"""The trail proves itself: every audit event carries a SHA-256 hash over its own content
and the hash of the event before it, so editing, deleting or inserting an event anywhere
breaks every hash after it.

- Order: events are numbered (`seq`) under the chain head's row lock, taken by the
  transaction that writes them and held until it commits. Two transactions writing events
  take turns; one that rolls back gives its numbers back. The database checks every event
  against the head and moves the head itself (audit/chain_guard.py): a row that does not
  follow the head is refused, so no forged row can take a number the app will want.
- A long write (an import of 100,000 members) must not hold the head for its whole
  transaction: inside `chain_in_blocks()` (audit/chain_blocks.py) its events fill blocks of
  numbers reserved at once, and a seal names them when it commits. Verification accepts a
  block left empty by a rollback, not one written in part or never sealed.
- `audit_verify` recomputes the chain from the last checkpoint (or from the first event)
  and names the first event that does not fit. A checkpoint (the head's number and hash at
  a time) is mailed to the officers and downloadable from the admin: kept where the
  database's owner cannot rewrite it, it proves that the trail up to it is unchanged.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from .chain_guard import BLOCK_MAX, FILLING, GENESIS, HEAD_LOCKED
from .models import AuditAction, AuditChainHead, AuditCheckpoint, AuditEvent

if TYPE_CHECKING:
    from .chain_blocks import _Blocks


# The fields an event's hash covers, in this order. Never change it: the hashes already
# written were made with it.
HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "model_label",
    "object_id",
    "object_repr",
    "member_id",
    "member_number",
    "changes",
    "detail",
    "ip_address",
    "user_agent",
    "history_id",
)


def event_hash(prev_hash: str, values: dict[str, Any]) -> str:
    """The hash of one event: SHA-256 of the previous hash and the event's canonical JSON."""
    canonical = json.dumps(
        [_canonical(name, values[name]) for name in HASHED_FIELDS],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def canonical_json(name: str, value: Any) -> str:
    """One hashed field's part of an event's canonical JSON (what the set-based trail,
    audit/in_sql.py, puts between the commas)."""
    return json.dumps(
        _canonical(name, value), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )


def _canonical(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "occurred_at":
        return value.astimezone(datetime.UTC).isoformat()
    if name == "ip_address":
        return str(ipaddress.ip_address(value))
    return value


def chain_append(events: Sequence[AuditEvent]) -> None:
    """Number and hash these unsaved events, in order, after the chain's head."""
    values = [_values(event) for event in events]
    chain_append_values(values)
    for event, chained in zip(events, values, strict=True):
        event.seq, event.prev_hash, event.hash = (chained[k] for k in ("seq", "prev_hash", "hash"))


def chain_append_values(events: Sequence[dict[str, Any]]) -> None:
    """Number and hash these unsaved events, given as their field values (the hashed
    fields at least), in order: sets each one's seq, prev_hash and hash. The caller inserts
    them next, in one statement, in this transaction (chain_reserve)."""
    if not events:
        return
    seq, prev = chain_reserve(len(events))
    for event in events:
        seq += 1
        event["seq"], event["prev_hash"] = seq, prev
        event["hash"] = prev = event_hash(prev, event)


def chain_reserve(count: int) -> tuple[int, str]:
    """The number and hash the next `count` events follow (the first is number + 1): the
    next statement of this transaction that inserts events inserts these `count`, in order,
    each after the hash of the one before.

    Normally that is the head: its row lock (and SQLite's write lock) is held until the
    transaction ends, so no other writer can put an event between the head and these; the
    database moves the head as they are inserted. Inside `chain_in_blocks()` a batch of
    BLOCK_FROM events or more takes a block of numbers reserved for it instead, and holds
    nothing (see audit/chain_blocks.py)."""
    blocks = _local_blocks()
    if blocks is not None:
        block = blocks.reserve(count) if blocks.smallest <= count <= BLOCK_MAX else None
        _filling(block is not None)
        if block is not None:
            return block
    return _head_locked()


# This thread's place in the chain: the transaction holding the head (`head_xact`), and the
# blocks its long write fills (`blocks`, set by audit/chain_blocks.py's chain_in_blocks).
_local = threading.local()


def _local_blocks() -> _Blocks | None:
    return getattr(_local, "blocks", None)


def _head_locked() -> tuple[int, str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The runtime role may not write the head; the owner's function locks it.
            cursor.execute(f"SELECT seq, hash, xact FROM {HEAD_LOCKED}()")
            seq, digest, _local.head_xact = cursor.fetchone()
            return seq, digest
        # SQLite: every transaction begins with the write lock (transaction_mode IMMEDIATE).
        table = AuditChainHead._meta.db_table
        cursor.execute(f"SELECT seq, hash FROM {table} WHERE id = 1")
        row = cursor.fetchone()
        if row is None:  # a new (or freshly emptied test) database: the head starts here
            AuditChainHead.objects.create(pk=1, seq=0, hash=GENESIS)
            return 0, GENESIS
        return row


def _filling(on: bool) -> None:
    """Whether this transaction's next events fill a reserved block (the database checks
    them against the block rather than the head, and spares them the head's lock)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [FILLING, "on" if on else "off"])


def _values(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


# --- Verifying ----------------------------------------------------------------------------


@dataclass
class ChainBreak:
    seq: int
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"event #{self.event_id}" if self.event_id else "an event"
        return f"The trail is broken at seq {self.seq} ({where}): {self.reason}"


@dataclass
class ChainReport:
    start_seq: int
    checked: int
    last_seq: int
    last_hash: str
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def chain_verify(
    *, after_seq: int = 0, after_hash: str = GENESIS, chunk: int = 20_000
) -> ChainReport:
    """Recompute the chain from the event after `after_seq` (whose hash is `after_hash`) to
    the head, and report the first event that does not fit: a changed event (its hash), a
    deleted one (a gap in the numbers), one inserted or re-hashed (its link to the one
    before), a reserved block written in part, or sealed but not there, or written but not
    sealed. A head that claims more events than there are means events were removed from
    the end. `last_seq` and `last_hash` name the last event of the main chain checked."""
    with _one_snapshot():
        walk = _Walk(after_seq, after_hash)
        for event_id, stored_prev, stored_hash, values in _events_from(after_seq, chunk):
            if broken := walk.take(event_id, stored_prev, stored_hash, values):
                return walk.report(broken)
        if broken := walk.end():
            return walk.report(broken)
        head = AuditChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
        return walk.report(head and walk.head_broken(*head))


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Read the whole chain and its head in one snapshot (PostgreSQL's repeatable read): a
    block and its seal committed between two chunks are seen both or neither. (Inside a
    transaction already begun, its own snapshot rules.)"""
    if connection.vendor != "postgresql" or not connection.get_autocommit():
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


@dataclass
class _Block:
    """A block of reserved numbers as verification finds it: empty, or whole."""

    reserved_at: int
    first: int
    last: int
    start_hash: str
    seen: int = 0
    last_hash: str | None = None

    def take(self, event_id: int, stored_prev: str, stored_hash: str, values) -> ChainBreak | None:
        seq, expected = values["seq"], self.first + self.seen
        if seq != expected:
            return ChainBreak(expected, None, f"events {expected} to {seq - 1} are missing")
        if stored_prev != (self.last_hash or self.start_hash):
            return ChainBreak(seq, event_id, "it does not follow the event before it")
        if event_hash(stored_prev, values) != stored_hash:
            return ChainBreak(seq, event_id, "its content was changed")
        self.seen, self.last_hash = self.seen + 1, stored_hash
        return None

    def closed(self) -> ChainBreak | None:
        count = self.last - self.first + 1
        if 0 < self.seen < count:
            return ChainBreak(
                self.first + self.seen,
                None,
                f"events {self.first + self.seen} to {self.last} of the block reserved at "
                f"event {self.reserved_at} are missing",
            )
        return None


class _Walk:
    """The chain as verification walks it, in number order: the main chain, each event
    after the one before; the blocks reserved on the way; the seals naming them."""

    def __init__(self, after_seq: int, after_hash: str):
        self.start_seq, self.checked = after_seq + 1, 0
        self.expected, self.prev = after_seq + 1, after_hash
        self.last_seq, self.last_hash = after_seq, after_hash
        self.block: _Block | None = None
        self.blocks: dict[tuple[int, int], _Block] = {}
        self.sealed: set[tuple[int, int]] = set()
        start = AuditEvent.objects.filter(seq=after_seq, action=AuditAction.BLOCK_RESERVED)
        for changes in start.values_list("changes", flat=True):  # a checkpoint at one
            self._reserved(after_seq, after_hash, changes)

    def take(self, event_id: int, stored_prev: str, stored_hash: str, values) -> ChainBreak | None:
        seq = values["seq"]
        if self.block is not None and seq <= self.block.last:
            if broken := self.block.take(event_id, stored_prev, stored_hash, values):
                return broken
            self.checked += 1
            return None
        if broken := self._block_closed():
            return broken
        if seq > self.expected:
            return ChainBreak(
                self.expected, None, f"events {self.expected} to {seq - 1} are missing"
            )
        if seq < self.expected or stored_prev != self.prev:
            return ChainBreak(seq, event_id, "it does not follow the event before it")
        if event_hash(self.prev, values) != stored_hash:
            return ChainBreak(seq, event_id, "its content was changed")
        self.checked += 1
        self.prev, self.expected = stored_hash, seq + 1
        self.last_seq, self.last_hash = seq, stored_hash
        if values["action"] == AuditAction.BLOCK_RESERVED:
            return self._reserved(seq, stored_hash, values["changes"], event_id)
        if values["action"] == AuditAction.BLOCK_SEALED:
            return self._sealed(seq, event_id, values["changes"])
        return None

    def end(self) -> ChainBreak | None:
        if broken := self._block_closed():
            return broken
        for (first, last), block in self.blocks.items():
            if block.seen and (first, last) not in self.sealed:
                return ChainBreak(
                    first,
                    None,
                    f"events {first} to {last} fill the block reserved at event "
                    f"{block.reserved_at}, but no event says they were written",
                )
        return None

    def head_broken(self, head_seq: int, head_hash: str) -> ChainBreak | None:
        taken = self.expected - 1  # the last number the chain accounts for
        if head_seq > taken:
            return ChainBreak(
                taken + 1, None, f"the head says {head_seq} events, the table stops here"
            )
        if head_seq < taken:
            return ChainBreak(
                head_seq + 1, None, f"the head says {head_seq} events, the table goes on"
            )
        if head_hash != self.prev:
            return ChainBreak(self.last_seq, None, "the head's hash is not the last event's")
        return None

    def report(self, broken: ChainBreak | None) -> ChainReport:
        return ChainReport(
            start_seq=self.start_seq,
            checked=self.checked,
            last_seq=self.last_seq,
            last_hash=self.last_hash,
            broken=broken,
        )

    def _reserved(self, seq: int, digest: str, changes, event_id: int | None = None):
        numbers = _numbers(changes, "reserved")
        if numbers is None or numbers[0] != seq + 1 or numbers[1] < numbers[0]:
            return ChainBreak(seq, event_id, "it reserves no numbers after its own")
        self.block = _Block(seq, numbers[0], numbers[1], digest)
        self.expected = numbers[1] + 1
        return None

    def _block_closed(self) -> ChainBreak | None:
        block, self.block = self.block, None
        if block is None:
            return None
        self.blocks[(block.first, block.last)] = block
        return block.closed()

    def _sealed(self, seq: int, event_id: int, changes) -> ChainBreak | None:
        sealed = changes.get("sealed") if isinstance(changes, dict) else None
        if not isinstance(sealed, list) or not sealed:
            return ChainBreak(seq, event_id, "it seals no block")
        for entry in sealed:
            numbers = _numbers({"n": entry[:2]}, "n") if isinstance(entry, list) else None
            if numbers is None or len(entry) != 3:
                return ChainBreak(seq, event_id, "it seals no block")
            block = self.blocks.get(numbers)
            if block is None and numbers[0] - 1 < self.start_seq:
                # Reserved before this verification began: read the block now.
                block, broken = _block_read(*numbers)
                if broken:
                    return broken
                self.checked += block.seen if block else 0
            if block is None or block.seen != numbers[1] - numbers[0] + 1:
                return ChainBreak(
                    numbers[0],
                    None,
                    f"event {seq} says events {numbers[0]} to {numbers[1]} were written; "
                    "they are not all there",
                )
            if block.last_hash != entry[2]:
                return ChainBreak(
                    numbers[1], None, f"it is not the last event event {seq} says was written"
                )
            self.sealed.add(numbers)
        return None


def _numbers(changes, key: str) -> tuple[int, int] | None:
    """[first, last] of a reservation or a seal's entry, if it is two whole numbers."""
    numbers = changes.get(key) if isinstance(changes, dict) else None
    if (
        isinstance(numbers, list)
        and len(numbers) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in numbers)
    ):
        return numbers[0], numbers[1]
    return None


def _block_read(first: int, last: int) -> tuple[_Block | None, ChainBreak | None]:
    """A block reserved before the verification's start, read and checked whole."""
    reservation = (
        AuditEvent.objects.filter(seq=first - 1, action=AuditAction.BLOCK_RESERVED)
        .values_list("hash", "changes")
        .first()
    )
    if reservation is None or _numbers(reservation[1], "reserved") != (first, last):
        return None, None
    block = _Block(first - 1, first, last, reservation[0])
    for event_id, stored_prev, stored_hash, values in _events_from(first - 1, 20_000, last):
        if broken := block.take(event_id, stored_prev, stored_hash, values):
            return block, broken
    return block, block.closed()


def _events_from(
    after_seq: int, chunk: int, up_to: int | None = None
) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    """The events after `after_seq` (to `up_to`) in order, read in chunks by number (an
    index range)."""
    fields = ("id", "prev_hash", "hash", *HASHED_FIELDS)
    while True:
        events = AuditEvent.objects.filter(seq__gt=after_seq)
        if up_to is not None:
            events = events.filter(seq__lte=up_to)
        rows = list(events.order_by("seq").values_list(*fields)[:chunk])
        for row in rows:
            yield row[0], row[1], row[2], dict(zip(HASHED_FIELDS, row[3:], strict=True))
        if len(rows) < chunk:
            return
        after_seq = rows[-1][3]


def events_hashed(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Number and hash events already written without a chain (the migration that began
    it), in the order they were written."""
    prev = GENESIS
    out = []
    for seq, event in enumerate(events, start=1):
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = event_hash(prev, _values(event))
        out.append(event)
    return out


# --- Checkpoints ------------------------------------------------------------------------------


def checkpoint_record(report: ChainReport, *, by: str) -> AuditCheckpoint | None:
    """Keep a verified head as a checkpoint (the next verification starts there)."""
    if not report.ok or report.last_seq == 0:
        return None
    return AuditCheckpoint.objects.create(
        seq=report.last_seq,
        hash=report.last_hash,
        verified_at=timezone.now(),
        events_checked=report.checked,
        verified_by=by[:150],
    )


def checkpoint_latest() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-seq", "-id").first()


def checkpoint_text(checkpoint: AuditCheckpoint) -> str:
    """The checkpoint as a file officers keep (and `audit_verify --expect` reads back)."""
    return (
        "Union Hall audit trail checkpoint\n"
        f"up to event: {checkpoint.seq}\n"
        f"hash: {checkpoint.hash}\n"
        f"verified at: {checkpoint.verified_at.astimezone(datetime.UTC).isoformat()}\n"
        f"events checked: {checkpoint.events_checked}\n"
        "\n"
        "Keep this where the database's owner cannot change it (your mailbox, a USB stick).\n"
        "It proves that the trail up to this event is unchanged while this command passes:\n"
        "  python manage.py audit_verify --full --expect <this file>\n"
    )


def checkpoint_parse(text: str) -> tuple[int, str]:
    """(seq, hash) from a checkpoint file, or ValueError saying what is missing."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        found[key.strip().lower()] = value.strip()
    try:
        seq, digest = int(found["up to event"]), found["hash"]
    except (KeyError, ValueError):
        raise ValueError("not a checkpoint file: no 'up to event' and 'hash' lines") from None
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"not a checkpoint hash: {digest!r}")
    return seq, digest


def chain_holds(seq: int, digest: str) -> bool:
    """Whether event `seq` still has the hash a checkpoint recorded."""
    return AuditEvent.objects.filter(seq=seq, hash=digest).exists()
