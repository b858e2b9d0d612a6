"""The layers of docs/style.md hold: an app imports only the apps below it, only
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
    "referral": 7,
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


# Calls that reach a module by its dotted name, and calls that reach a model by its app
# label: a reach up the layers through them is an import all the same.
BY_MODULE_NAME = {"import_module", "import_string", "__import__"}
BY_APP_LABEL = {"get_model", "ForeignKey", "OneToOneField", "ManyToManyField"}
NAME_KEYWORDS = ("to", "name", "app_label")


def _package_of_label(label: str) -> str:
    try:
        return apps.get_app_config(label).name.split(".")[0]
    except LookupError:
        return label


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return node.func.id if isinstance(node.func, ast.Name) else None


def _named(node: ast.Call) -> str | None:
    """The name a call is given as a literal: its first argument, or `to=`, `name=`,
    `app_label=`."""
    given = [*node.args[:1], *(k.value for k in node.keywords if k.arg in NAME_KEYWORDS)]
    if given and isinstance(given[0], ast.Constant) and isinstance(given[0].value, str):
        return given[0].value
    return None


def _imported(path: Path) -> set[str]:
    """The packages a module reaches: by `import`, by a module's dotted name
    (`import_module("dues.services")`), or by a model's app label
    (`apps.get_model("dues", "Payment")`, `ForeignKey("dues.Payment")`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and (named := _named(node)):
            called = _called(node)
            if called in BY_MODULE_NAME:
                names.add(named.split(".")[0])
            elif called in BY_APP_LABEL and (called == "get_model" or "." in named):
                names.add(_package_of_label(named.split(".")[0]))
    return names


def test_no_module_imports_a_higher_or_sibling_layer():
    wrong = []
    for package, path in _runtime_modules():
        for name in _imported(path) & set(LAYERS):
            if name != package and LAYERS[name] >= LAYERS[package]:
                wrong.append(f"{path.relative_to(PROJECT)} imports {name}")
    assert wrong == []


@pytest.mark.parametrize(
    "reach",
    [
        "from dues.models import Payment",
        "import dues.services",
        'apps.get_model("dues", "Payment")',
        'django_apps.get_model("dues.Payment")',
        'get_model(app_label="dues", model_name="Payment")',
        'import_module("dues.services")',
        'importlib.import_module("dues.services")',
        'import_string("dues.services.payment_record")',
        '__import__("dues")',
        'models.ForeignKey("dues.Payment", on_delete=models.PROTECT)',
        'models.OneToOneField(to="dues.Payment", on_delete=models.PROTECT)',
    ],
)
def test_a_reach_up_by_name_counts_as_an_import(tmp_path, reach):
    module = tmp_path / "reaching.py"
    module.write_text(f"def f():\n    return {reach}\n" if "import " not in reach else reach)
    assert "dues" in _imported(module)


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
