"""A long write holds no lock on the audit chain's head.

A long write (an import of 100,000 members) must not hold the head for its whole
transaction: every login would wait behind it. Inside `chain_in_blocks()` a batch of events
takes a *block* of numbers instead: a reservation, itself an event of the chain, is
committed at once on a connection of its own and the head moves past the block; the batch
then fills the block, its events chained from the reservation's hash, while other writers
go on after it. When the write is done, one more event (the seal), written just before it
commits, names each block filled and the hash of its last event. A write that rolls back
leaves its blocks empty: a reservation without a seal, which verification (audit/chain.py)
accepts; a seal whose block is not all there, or a filled block no seal names, it does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import connection, connections
from django.utils import timezone

from .actors import person
from .chain import _filling, _local, _local_blocks, _values, chain_append, event_hash
from .chain_guard import HEAD_LOCKED
from .context import actor_label_for, client_ip, current_request, user_agent
from .models import AuditAction, AuditEvent

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from .actors import Actor

# Inside chain_in_blocks(), a batch of this many events or more takes a block of numbers;
# a smaller one (the last of an import) takes the head, as outside it.
BLOCK_FROM = 500


@contextmanager
def chain_in_blocks(*, actor: Actor, smallest: int = BLOCK_FROM) -> Iterator[None]:
    """Within, batches of events take blocks of numbers reserved at once (committed on a
    connection of their own) instead of the head's lock held to the end of the transaction:
    other writers, a login, go on meanwhile. At the end the seal names the blocks filled.

    Enter it inside the transaction of a long write, as its outermost step: the seal takes
    the head's lock and holds it until that transaction commits. PostgreSQL only (SQLite
    writes one transaction at a time anyway): elsewhere, and outside a transaction, it
    changes nothing. `actor` is named by the reservations and the seal. `smallest`: the
    fewest events a block is reserved for (1: even a single event, so that a write whose
    first event comes early, a remittance marked posted, holds the head only at its seal)."""
    if (
        connection.vendor != "postgresql"
        or not connection.in_atomic_block
        or _local_blocks() is not None
    ):
        yield
        return
    blocks = _Blocks(actor, smallest)
    _local.blocks = blocks
    try:
        yield
    except BaseException:
        _local.blocks = None
        blocks.close()
        raise
    _local.blocks = None
    try:
        blocks.seal()
    finally:
        blocks.close()


class _Blocks:
    """The blocks one transaction reserved (chain_in_blocks)."""

    def __init__(self, actor: Actor, smallest: int):
        self.actor, self.smallest = actor, smallest
        self.reserved: list[tuple[int, int]] = []
        self.xact: str | None = None
        self.side: BaseDatabaseWrapper | None = None

    def reserve(self, count: int) -> tuple[int, str] | None:
        """Reserve the next `count` numbers, committed at once on a connection of our own:
        (the number and hash the block's first event follows), or None when this
        transaction holds the head already (the other connection would wait for it forever)."""
        if self.xact is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_current_xact_id()::text")
                self.xact = cursor.fetchone()[0]
        if self.xact == getattr(_local, "head_xact", None):
            return None
        if self.side is None:
            self.side = connections.create_connection(connection.alias)
            self.side.ensure_connection()
        side = self.side.connection  # psycopg, in autocommit: one short transaction
        with side.transaction():
            seq, prev, _ = side.execute(f"SELECT seq, hash, xact FROM {HEAD_LOCKED}()").fetchone()
            first, last = seq + 2, seq + 1 + count
            reservation = self._event(
                AuditAction.BLOCK_RESERVED,
                object_id=self.xact,
                object_repr=f"events {first} to {last}",
                changes={"reserved": [first, last]},
                detail=(
                    f"Numbers {first} to {last} are reserved for one transaction's writes; "
                    "an event will say if it wrote them (if it rolled back, they stay empty)."
                ),
            )
            reservation.seq, reservation.prev_hash = seq + 1, prev
            reservation.hash = event_hash(prev, _values(reservation))
            _inserted_on(side, reservation)
        self.reserved.append((first, last))
        return seq + 1, reservation.hash

    def seal(self) -> None:
        """One event, after the head, naming each block written and its last event's hash
        (a block whose last event is not there was rolled back with a savepoint)."""
        if not self.reserved:
            return
        _filling(False)
        ends = [last for _, last in self.reserved]
        hashes = dict(AuditEvent.objects.filter(seq__in=ends).values_list("seq", "hash"))
        written = [[first, last, hashes[last]] for first, last in self.reserved if last in hashes]
        if not written:
            return
        seal = self._event(
            AuditAction.BLOCK_SEALED,
            object_id=self.xact or "",
            object_repr=f"{len(written)} blocks, {sum(b - a + 1 for a, b, _ in written)} events",
            changes={"sealed": written},
            detail="The events of these reserved blocks were written: [first, last, last hash].",
        )
        chain_append([seal])
        seal.save()

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None

    def _event(self, action: str, **fields: Any) -> AuditEvent:
        request = current_request()
        actor = self.actor
        return AuditEvent(
            occurred_at=timezone.now(),
            actor=person(actor),
            actor_label=actor_label_for(actor)[:150],
            action=action,
            model_label="",
            member_id=None,
            member_number="",
            ip_address=client_ip(request),
            user_agent=user_agent(request),
            history_id=None,
            **fields,
        )


def _inserted_on(side, event: AuditEvent) -> None:
    """Insert one event on a raw psycopg connection (the reservation's own)."""
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    values = [getattr(event, f.attname) for f in fields]
    values[[f.name for f in fields].index("changes")] = json.dumps(event.changes)
    casts = ", ".join("%s::jsonb" if f.name == "changes" else "%s" for f in fields)
    side.execute(f"INSERT INTO {AuditEvent._meta.db_table} ({columns}) VALUES ({casts})", values)
