from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from appkit.text import counted
from audit.chain import (
    GENESIS,
    chain_holds,
    chain_verify,
    checkpoint_latest,
    checkpoint_parse,
    checkpoint_record,
)
from audit.notifications import chain_break_send, checkpoint_send


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain from the last checkpoint (or, with --full, "
        "from the first event) and name the first event that does not fit. When it holds, "
        "a new checkpoint is kept and mailed to the officers; when it does not, they are "
        "told, and the command fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="start from the first event")
        parser.add_argument(
            "--expect",
            type=Path,
            help="a checkpoint file kept outside the database: its event must still have its hash",
        )
        parser.add_argument(
            "--no-checkpoint", action="store_true", help="verify only; keep and mail nothing"
        )

    def handle(self, *args, full: bool, expect: Path | None, no_checkpoint: bool, **options):
        started = time.monotonic()
        if expect is not None:
            self._check_expected(expect)
        since = None if full else checkpoint_latest()
        report = (
            chain_verify(after_seq=since.seq, after_hash=since.hash)
            if since
            else chain_verify(after_seq=0, after_hash=GENESIS)
        )
        seconds = time.monotonic() - started
        if not report.ok:
            chain_break_send(report.broken)
            raise CommandError(str(report.broken))
        where = f"from checkpoint {since.seq}" if since else "from the first event"
        self.stdout.write(
            f"The trail holds: {counted(report.checked, 'event')} checked {where} in "
            f"{seconds:.1f} s; "
            f"head: event {report.last_seq}, hash {report.last_hash}."
        )
        if no_checkpoint or report.checked == 0:
            return
        checkpoint = checkpoint_record(report, by="audit_verify")
        sent = checkpoint_send(checkpoint)
        self.stdout.write(f"Checkpoint at event {checkpoint.seq} kept and mailed to {sent}.")

    def _check_expected(self, path: Path) -> None:
        try:
            seq, digest = checkpoint_parse(path.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        if not chain_holds(seq, digest):
            raise CommandError(
                f"Event {seq} no longer has the hash of the checkpoint in {path}: the trail "
                "up to it was changed."
            )
        self.stdout.write(f"Event {seq} still has the checkpoint's hash ({path}).")
