"""Every app's tests run: pytest collects only the folders pytest.ini names, and an app
left out of that list has its tests skipped by `make test` and CI without a word."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_apps_tests_are_collected():
    config = configparser.ConfigParser()
    config.read(ROOT / "pytest.ini")
    collected = set(config["pytest"]["testpaths"].split())
    with_tests = {path.parent.parent.name for path in ROOT.glob("*/tests/test_*.py")}
    assert with_tests - collected == set()
