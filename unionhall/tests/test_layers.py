"""The layers of STYLE.md hold: an app imports only the apps below it, only
payments/stripe_client.py uses the Stripe SDK, and every extension an app declares names a
point a lower app offers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

from appkit.extensions import extension_points

PROJECT = Path(__file__).resolve().parents[2]

# Lower number, lower layer. An app may import only packages of a lower number; the
# libraries (apikit, appkit) import no app, and apps of one layer never import each other.
LAYERS = {
    "appkit": 0,
    "apikit": 0,
    "jobs": 1,
    "audit": 2,
    "accounts": 3,
    "members": 4,
    "dues": 5,
    "payments": 6,
    "checkoff": 6,
    "compliance": 7,
    "unionhall": 8,
}


def _runtime_modules():
    for package in LAYERS:
        folder = PROJECT / package
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            parts = path.relative_to(PROJECT).parts
            if "tests" in parts or "migrations" in parts:
                continue
            yield package, path


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_imports_a_higher_or_sibling_layer():
    wrong = []
    for package, path in _runtime_modules():
        for name in _imported(path) & set(LAYERS):
            if name != package and LAYERS[name] >= LAYERS[package]:
                wrong.append(f"{path.relative_to(PROJECT)} imports {name}")
    assert wrong == []


def test_only_the_stripe_client_module_uses_the_stripe_sdk():
    users = [
        str(path.relative_to(PROJECT))
        for _, path in _runtime_modules()
        if "stripe" in _imported(path)
    ]
    assert users == ["payments/stripe_client.py"]


@pytest.mark.parametrize("config", apps.get_app_configs(), ids=lambda c: c.label)
def test_every_declared_extension_names_an_offered_point(config):
    offered = extension_points()
    for point in getattr(config, "extends", {}):
        assert point in offered, f"{config.label} extends {point!r}, which no app offers"
        offered[point].declarations()  # each dotted path imports


def test_the_readme_lists_every_extension_point():
    readme = (PROJECT / "README.md").read_text()
    missing = [name for name in extension_points() if f"| `{name}` |" not in readme]
    assert missing == []
