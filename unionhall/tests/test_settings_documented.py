"""Every setting read from the environment (unionhall/settings.py, through its env_*
helpers) is in README.md's settings table with the default settings.py gives it, and in
.env.example; neither names a variable settings.py does not read. .env.example's values
are examples (a proxy, a mail server...), not defaults, but each one must be one its helper
accepts."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from unionhall import settings as settings_module

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "unionhall" / "settings.py"
HELPERS = {"env_str": "", "env_bool": False, "env_int": None, "env_decimal": None, "env_list": ""}


def env_reads() -> dict[str, list[tuple[str, ast.expr | None]]]:
    """Variable → each (helper, default expression) settings.py reads it with."""
    reads: dict[str, list[tuple[str, ast.expr | None]]] = {}
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in HELPERS or not node.args:
            continue
        assert isinstance(node.args[0], ast.Constant), ast.unparse(node)
        default = node.args[1] if len(node.args) > 1 else None
        reads.setdefault(node.args[0].value, []).append((node.func.id, default))
    return reads


def default_of(helper: str, default: ast.expr | None, *, debug: bool) -> object:
    if default is None:
        return HELPERS[helper]
    code = compile(ast.Expression(default), str(SETTINGS), "eval")
    return eval(code, {"DEBUG": debug})  # a literal, or a choice on DEBUG


def shown(value: object) -> str:
    """A default as README's table writes it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value in ("", None):
        return "none"
    return f"`{value}`"


def readme_defaults() -> dict[str, str]:
    """Variable → its default cell (its own part of it, on a row of several)."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| variable | default | what |") :].split("\n\n", 1)[0]
    defaults = {}
    for row in table.splitlines()[2:]:
        cells = [cell.strip() for cell in row.strip().strip("|").split(" | ")]
        names = re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0])
        parts = cells[1].split(", ") if len(names) > 1 else [cells[1]]
        if len(parts) != len(names):
            parts = [cells[1]] * len(names)
        defaults.update(zip(names, parts, strict=True))
    return defaults


def example_values() -> dict[str, str]:
    """Variable → its value in .env.example (set, or shown commented out)."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    found = (re.match(r"#?([A-Z][A-Z0-9_]*)=(.*)$", line) for line in lines)
    return {match[1]: match[2] for match in found if match}


def test_the_readme_names_every_setting_and_only_those():
    read, documented = set(env_reads()), set(readme_defaults())
    assert sorted(read - documented) == [], "read by settings.py, missing from README.md"
    assert sorted(documented - read) == [], "in README.md, never read by settings.py"


def test_env_example_names_every_setting_and_only_those():
    read, examples = set(env_reads()), set(example_values())
    assert sorted(read - examples) == [], "read by settings.py, missing from .env.example"
    assert sorted(examples - read) == [], "in .env.example, never read by settings.py"


def test_each_setting_is_read_with_one_default():
    for name, reads in env_reads().items():
        shapes = {(helper, ast.unparse(default) if default else "") for helper, default in reads}
        assert len(shapes) == 1, (name, shapes)


def agrees(cell: str, helper: str, default: ast.expr | None) -> bool:
    """Whether README's default cell says what settings.py's default is."""
    production = default_of(helper, default, debug=False)
    development = default_of(helper, default, debug=True)
    if production != development:
        # A default that depends on DEBUG names both, and says which is which.
        said = (
            f"{shown(development)} with `DEBUG`" in cell
            or f"{shown(production)} when `DEBUG` is off" in cell
        )
        return said and shown(production) in cell and shown(development) in cell
    if cell == shown(production):
        return True
    if production == "":
        # No default: the cell may say what stands in (a SQLite file, Stripe itself...),
        # but never a value of its own.
        return not re.fullmatch(r"`[^`]*`", cell)
    # A long default by its telling word ("console" for Django's console mail backend).
    return isinstance(production, str) and cell.isalpha() and cell in production.split(".")


def test_the_readme_gives_each_setting_the_default_settings_py_gives_it():
    documented = readme_defaults()
    wrong = {
        name: (documented[name], shown(default_of(*reads[0], debug=False)))
        for name, reads in env_reads().items()
        if name in documented and not agrees(documented[name], *reads[0])
    }
    assert wrong == {}, "README.md's default differs from settings.py's: (README, settings)"


@pytest.mark.parametrize("name", sorted(example_values()))
def test_each_example_value_is_one_settings_py_accepts(name, monkeypatch):
    value = example_values()[name]
    helper, default = env_reads()[name][0]
    monkeypatch.setenv(name, value)
    args = (name,) if default is None else (name, default_of(helper, default, debug=False))
    try:
        read = getattr(settings_module, helper)(*args)
    except ImproperlyConfigured as exc:
        pytest.fail(f".env.example: {exc}")
    if helper == "env_bool" and value.strip():
        assert value.strip().lower() in {"0", "1", "true", "false", "yes", "no", "on", "off"}
    if helper == "env_decimal":
        assert isinstance(read, Decimal)
