"""Logging in while a big member import writes (`python -m bench --only logins`).

The import runs in a process of its own, as a worker runs it beside the web servers, and is
rolled back at the end (the local stays as it was). Meanwhile this process logs in through
the real login view (the password checked, the session and the login's audit event
written) every LOGIN_EVERY seconds: the import must not hold the audit trail's head, which
every login's event needs (audit.chain_blocks.chain_in_blocks). The floor: the same login while
nothing else runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from bench.__main__ import Row

USERNAME, PASSWORD = "bench-login", "bench-login-password-1"
LOGIN_EVERY = 0.2
IDLE_LOGINS = 10

# The import's process: the file made there, written in one transaction, rolled back.
_IMPORT = """
import django, sys, time
django.setup()
from django.db import transaction
from members.importing import members_import
rows = int(sys.argv[1])
text = "member_number,first_name,last_name,classification,join_date\\n" + "".join(
    f"8{i:08d},Login{i},Member,JW,2024-01-15\\n" for i in range(rows)
)
print("ready", flush=True)
started = time.perf_counter()
try:
    with transaction.atomic():
        result = members_import(csv_text=text, actor="bench")
        assert result.written, result.errors[:3]
        print(f"written {time.perf_counter() - started:.1f}", flush=True)
        raise KeyboardInterrupt  # rolled back: the local stays as it was
except KeyboardInterrupt:
    pass
"""


def logins_during_import(rows: int) -> list[Row]:
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    user.set_password(PASSWORD)
    user.save()
    idle = [_login_ms() for _ in range(IDLE_LOGINS)]

    importing = subprocess.Popen(
        [sys.executable, "-c", _IMPORT, str(rows)],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert importing.stdout.readline().strip() == "ready"  # the file is made; it writes now
    started = time.perf_counter()
    during = []
    while importing.poll() is None:
        during.append(_login_ms())
        time.sleep(LOGIN_EVERY)
    import_seconds = time.perf_counter() - started
    written = importing.stdout.read().strip()
    assert importing.returncode == 0 and written.startswith("written"), written
    floor = statistics.median(idle)
    note = (
        f"{len(during)} logins, one every {LOGIN_EVERY} s, during a {rows:,}-row import "
        f"({import_seconds:.1f} s, rolled back); floor: the same login idle"
    )
    return [
        Row("login during a member import: median", statistics.median(during), floor, note),
        Row("login during a member import: slowest", max(during), floor, note),
    ]


def _login_ms() -> float:
    client = Client()
    started = time.perf_counter()
    answer = client.post(reverse("login"), {"username": USERNAME, "password": PASSWORD})
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 302, answer.status_code
    return elapsed
