"""How apps extend each other: one declared pattern, in plain Python.

A lower app names the extension points it offers, each an `ExtensionPoint` in its own
`extensions.py` (members offers `members.member_list_filters`, ...). A higher app declares
what it adds, on its AppConfig:

    class DuesConfig(AppConfig):
        extends = {
            "members.member_list_filters": ["dues.extensions.STANDING_FILTER"],
        }

and the lower app collects the declarations where it uses them (`point.declarations()`).
Search for a point's name to find both sides. Declarations are dotted paths, imported when
first asked for (after every app is loaded), so declaring one imports nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.utils.module_loading import import_string, module_has_submodule

_points: dict[str, ExtensionPoint] = {}


@dataclass(frozen=True)
class ExtensionPoint:
    name: str
    doc: str

    def __post_init__(self) -> None:
        _points[self.name] = self

    def declarations(self) -> list[Any]:
        """What the installed apps declare for this point, in INSTALLED_APPS order."""
        found = []
        for config in apps.get_app_configs():
            for item in getattr(config, "extends", {}).get(self.name, ()):
                found.append(import_string(item) if isinstance(item, str) else item)
        return found


def extension_points() -> dict[str, ExtensionPoint]:
    """Every point the installed apps offer (each app's `extensions` module)."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "extensions"):
            import_module(f"{config.name}.extensions")
    return dict(_points)


# --- The office's home (the admin index) and its way to every staff page ------------------


@dataclass(frozen=True)
class DashboardPanel:
    """A panel on the office's home, the admin index (appkit/templatetags/office.py): the
    user with `permission` sees `template` rendered with `data(request)` as `panel`."""

    title: str
    template: str
    data: Callable[[HttpRequest], dict]
    permission: str


@dataclass(frozen=True)
class WorkItem:
    """A kind of work waiting for the office, on its home's work list, for users with
    `permission`: `count()` says how many wait (a cheap count, on every visit to the home),
    `url()` where to do them."""

    label: str
    permission: str
    count: Callable[[], int]
    url: Callable[[], str]


@dataclass(frozen=True)
class OfficeLink:
    """A staff page named in the admin's header on every admin page, for who may open it."""

    label: str
    url_name: str
    permission: str


DASHBOARD_PANELS = ExtensionPoint(
    "appkit.dashboard_panels",
    "DashboardPanel: a panel on the office's home (dues: standing, this period, money).",
)
WORK_ITEMS = ExtensionPoint(
    "appkit.work_items",
    "WorkItem: work waiting for the office, on its home's work list (open suspense lines, "
    "late employers, autopay collections that failed, members' own contact changes).",
)
OFFICE_LINKS = ExtensionPoint(
    "appkit.office_links",
    "OfficeLink: a staff page linked from the admin's header (dues: overview, reports).",
)
