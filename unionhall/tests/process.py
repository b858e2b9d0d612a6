"""Run the project's Python in a fresh process, with only the environment a test gives it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT,
        env={**keep, "DJANGO_SETTINGS_MODULE": "unionhall.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
