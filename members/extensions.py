"""What higher apps may add to members (appkit/extensions.py): the members app knows no
money, so the dues app adds standing, charges and payments to its lists and pages here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from appkit.extensions import ExtensionPoint


@dataclass(frozen=True)
class MemberListFilter:
    """A filter of the member list, `?<name>=<value>` in the API."""

    name: str
    description: str
    values: list[str]
    narrow: Callable[[QuerySet, str], QuerySet]


@dataclass(frozen=True)
class MemberColumn:
    """A column of the admin's member list, for readers with `permission`: `values` gives
    each listed member's cell, for the whole page at once (one query, however many rows)."""

    name: str
    label: str
    permission: str
    values: Callable[[Iterable[int]], dict[int, str]]


@dataclass(frozen=True)
class MemberSection:
    """A read-only block on a member's admin page, for readers with `permission`: `rows`
    gives (label, value) pairs; a value may be safe HTML (a link)."""

    title: str
    permission: str
    rows: Callable[[Any, Any], list[tuple[str, Any]]]


MEMBER_LIST_FILTERS = ExtensionPoint(
    "members.member_list_filters",
    "MemberListFilter: more filters of the member list (the API's ?standing=).",
)
MEMBER_ADMIN_INLINES = ExtensionPoint(
    "members.member_admin_inlines",
    "Admin inline classes shown on a member's admin page (charges, payments).",
)
MEMBER_ADMIN_COLUMNS = ExtensionPoint(
    "members.member_admin_columns",
    "MemberColumn: more columns of the admin's member list (standing).",
)
MEMBER_ADMIN_SECTIONS = ExtensionPoint(
    "members.member_admin_sections",
    "MemberSection: read-only blocks on a member's admin page (dues).",
)
DEMO_DATA = ExtensionPoint(
    "members.demo_data",
    "A function (stdout) that adds an app's demo data once `seed_demo` made the members.",
)
