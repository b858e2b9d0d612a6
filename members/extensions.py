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
    """A filter of the member list: `?<name>=<value>` in the API, a filter in the admin's
    list (its choices, labelled)."""

    name: str
    description: str
    choices: list[tuple[str, str]]
    narrow: Callable[[QuerySet, str], QuerySet]
    # How many members of a status (None: any) the filter alone lets through, from what
    # the app keeps, where counting a large local's matches costs more than the page.
    count: Callable[[str, str | None], int] | None = None

    @property
    def values(self) -> list[str]:
        return [value for value, _ in self.choices]


@dataclass(frozen=True)
class MemberColumn:
    """A column of the admin's member list, for readers with `permission`: `values` gives
    each listed member's cell, for the whole page at once (one query, however many rows)."""

    name: str
    label: str
    permission: str
    values: Callable[[Iterable[int]], dict[int, str]]
    ordering: Any = None  # what the column sorts by (a lookup path or an expression), if any


@dataclass(frozen=True)
class MemberSection:
    """A read-only block on a member's admin page, for readers with `permission`: `rows`
    gives (label, value) pairs; a value may be safe HTML (a link)."""

    title: str
    permission: str
    rows: Callable[[Any, Any], list[tuple[str, Any]]]


@dataclass(frozen=True)
class SummaryFacts:
    """What a summary says: a badge (its words and its tone, a CSS class's suffix) and
    (label, value) pairs; `link` (label, url) opens the full page behind the figures."""

    badge: str
    tone: str
    rows: list[tuple[str, Any]]
    link: tuple[str, str] | None = None


@dataclass(frozen=True)
class MemberSummary:
    """The first answer on a member's admin page, at the top above the form, for readers
    with `permission`: `facts(member, user)` gives its SummaryFacts."""

    permission: str
    facts: Callable[[Any, Any], SummaryFacts]


@dataclass(frozen=True)
class MemberRecords:
    """A member's latest records of one kind on their admin page (charges, payments), for
    readers with `permission`: `rows(member, limit)` gives at most `limit` of them, newest
    first, as cells (a cell may be safe HTML: a link); `all_url(member)` lists every one.
    The page stays one size however long the member's history."""

    title: str
    permission: str
    columns: list[str]
    rows: Callable[[Any, int], list[list[Any]]]
    all_url: Callable[[Any], str]
    limit: int = 12


@dataclass(frozen=True)
class MemberAction:
    """A button on a member's admin page, for users with `permission`: `url(member)` opens
    the page that does it, for that member, and brings the user back to the member."""

    label: str
    permission: str
    url: Callable[[Any], str]


@dataclass(frozen=True)
class MemberHomePanel:
    """A block on a member's own home page: `template` rendered with `data(member)` as
    `panel` (dues: what they owe, their standing, the way to pay)."""

    template: str
    data: Callable[[Any], dict]


MEMBER_HOME_PANELS = ExtensionPoint(
    "members.member_home_panels",
    "MemberHomePanel: a block on the member's own home page (dues: balance, standing, pay).",
)
MEMBER_ADMIN_ACTIONS = ExtensionPoint(
    "members.member_admin_actions",
    "MemberAction: a button on a member's admin page (dues: record a payment, refund...).",
)
MEMBER_LIST_FILTERS = ExtensionPoint(
    "members.member_list_filters",
    "MemberListFilter: more filters of the member list (the API's ?standing=).",
)
MEMBER_ADMIN_RECORDS = ExtensionPoint(
    "members.member_admin_records",
    "MemberRecords: a member's latest records of a kind on their admin page (payments).",
)
MEMBER_ADMIN_COLUMNS = ExtensionPoint(
    "members.member_admin_columns",
    "MemberColumn: more columns of the admin's member list (standing).",
)
MEMBER_ADMIN_SUMMARIES = ExtensionPoint(
    "members.member_admin_summaries",
    "MemberSummary: the first answer at the top of a member's admin page (dues: standing, "
    "balance, past due, paid through, months behind).",
)
MEMBER_ADMIN_SECTIONS = ExtensionPoint(
    "members.member_admin_sections",
    "MemberSection: read-only blocks on a member's admin page (dues).",
)
DEMO_DATA = ExtensionPoint(
    "members.demo_data",
    "A function (stdout) that adds an app's demo data once `seed_demo` made the members.",
)
