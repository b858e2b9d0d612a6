"""The trail proves itself: every audit event carries a SHA-256 hash over its own content
and the hash of the event before it, so editing, deleting or inserting an event anywhere
breaks every hash after it.

- Order: events are numbered (`seq`, gapless) under the chain head's row lock, taken by the
  transaction that writes them and held until it commits. Two transactions writing events
  take turns; one that rolls back gives its numbers back, so the chain has no holes.
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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from .models import AuditChainHead, AuditCheckpoint, AuditEvent

GENESIS = "0" * 64

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
    fields at least), in order, after the chain's head: sets each one's seq, prev_hash and
    hash (under the head's lock, chain_reserve)."""
    if not events:
        return
    seq, prev = chain_reserve(len(events))
    for event in events:
        seq += 1
        event["seq"], event["prev_hash"] = seq, prev
        event["hash"] = prev = event_hash(prev, event)
    chain_head_moved(prev)


def chain_reserve(count: int) -> tuple[int, str]:
    """Reserve the next `count` numbers of the trail: the head's number and hash before
    them. The head's row lock (and SQLite's write lock) is held until the transaction ends,
    so no other writer can put an event between the head and these; the writer hashes its
    events after the head's and then moves the head (chain_head_moved)."""
    table = AuditChainHead._meta.db_table
    reserve = f"UPDATE {table} SET seq = seq + %s WHERE id = 1 RETURNING seq - %s, hash"
    with connection.cursor() as cursor:
        cursor.execute(reserve, [count, count])
        row = cursor.fetchone()
    if row is None:  # a new (or freshly emptied test) database: the head starts here
        AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})
        return chain_reserve(count)
    return row


def chain_head_moved(last_hash: str) -> None:
    AuditChainHead.objects.filter(pk=1).update(hash=last_hash)


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
    before). A head that claims more events than there are means events were removed from
    the end."""
    report = ChainReport(
        start_seq=after_seq + 1, checked=0, last_seq=after_seq, last_hash=after_hash
    )
    expected_seq, prev = after_seq + 1, after_hash
    for event_id, stored_prev, stored_hash, values in _events_from(after_seq, chunk):
        if values["seq"] != expected_seq:
            report.broken = ChainBreak(
                expected_seq, None, f"events {expected_seq} to {values['seq'] - 1} are missing"
            )
            return report
        if stored_prev != prev:
            report.broken = ChainBreak(
                values["seq"], event_id, "it does not follow the event before it"
            )
            return report
        if event_hash(prev, values) != stored_hash:
            report.broken = ChainBreak(values["seq"], event_id, "its content was changed")
            return report
        prev, expected_seq = stored_hash, expected_seq + 1
        report.checked += 1
        report.last_seq, report.last_hash = values["seq"], stored_hash
    head = AuditChainHead.objects.filter(pk=1).values_list("seq", "hash").first()
    if head is not None and head[0] > report.last_seq:
        report.broken = ChainBreak(
            report.last_seq + 1, None, f"the head says {head[0]} events, the table stops here"
        )
    return report


def _events_from(after_seq: int, chunk: int) -> Iterator[tuple[int, str, str, dict[str, Any]]]:
    """The events after `after_seq` in order, read in chunks by number (an index range)."""
    fields = ("id", "prev_hash", "hash", *HASHED_FIELDS)
    while True:
        rows = list(
            AuditEvent.objects.filter(seq__gt=after_seq)
            .order_by("seq")
            .values_list(*fields)[:chunk]
        )
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
