"""Admin plumbing every app's admin uses: only declared filters, read-only records, typed
filters. Generic: it knows no app."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import EmptyResultSet, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, Q, QuerySet
from django.forms import ModelChoiceField
from django.forms.models import ModelChoiceIterator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property

from .sql import Among
from .templatetags.office import currency


def office_view(permission: str) -> Callable[[Callable], Callable]:
    """A page of the office outside the admin's own (the dues overview, the governance
    pages, the employers' report): through the admin site's `admin_view`, as every admin
    page is (an active staff login, else the admin's login page; never cached), then the
    page's own permission (403 without it)."""

    def decorate(view: Callable) -> Callable:
        page = wraps(view)(
            admin.site.admin_view(permission_required(permission, raise_exception=True)(view))
        )
        page.office_permission = permission
        return page

    return decorate


# Below this many rows (by the planner's estimate), a list counts its rows exactly.
EXACT_COUNT_BELOW = 20_000


class EstimatedCountPaginator(Paginator):
    """A paginator that does not count a big table's rows on every page: a list PostgreSQL
    estimates at more than EXACT_COUNT_BELOW rows takes that estimate as its count (the
    table's, kept by ANALYZE and autovacuum, for an unfiltered list; the planner's, for a
    filtered one). A list estimated smaller counts exactly."""

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None:
            estimate = _estimated_rows(self.object_list, filtered=bool(query.where))
            if estimate is not None and estimate >= EXACT_COUNT_BELOW:
                return estimate
        return super().count


class IdsFirstPaginator(EstimatedCountPaginator):
    """A page found by its rows' ids first, then read whole by primary key. Sorting a search's
    matches, PostgreSQL carries every column of every match through the sort; sorting only
    their sort keys and ids, then reading the page's rows, halves a big search (at 1,000,000
    members, the 83,000 matches of a surname stem: about 190 → 95 ms; README, "Scale")."""

    def page(self, number):
        page = super().page(number)
        if not isinstance(page.object_list, QuerySet):
            return page
        ids = list(page.object_list.values_list("pk", flat=True))
        rows = self.object_list.in_bulk(ids)
        page.object_list = [rows[pk] for pk in ids if pk in rows]
        return page


def _estimated_rows(queryset, *, filtered: bool) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        if filtered:
            try:
                sql, params = queryset.order_by().values("pk").query.sql_with_params()
            except EmptyResultSet:  # a filter that can match nothing (pk__in=[])
                return 0
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            return int(plan[0]["Plan"]["Plan Rows"])
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] > 0 else None


class DeclaredFiltersChangeList(ChangeList):
    """A changelist that applies only the filters its admin declares.

    Django applies any lookup on a model's own fields from the query string
    (`?changes__text__1__startswith=a`), and a list that answers differently for right and
    wrong guesses reads out, a character at a time, what the reader may not see. Here a
    parameter that no list filter consumes is refused (400), unless the admin names it in
    `extra_lookups` (the audit log's `member_id`, which a member's page links to)."""

    def get_filters(self, request):
        specs, has_filters, remaining, duplicates, active = super().get_filters(request)
        undeclared = sorted(set(remaining) - set(getattr(self.model_admin, "extra_lookups", ())))
        if undeclared:
            offered = ", ".join(undeclared)
            raise DisallowedModelAdminLookup(f"Filtering by {offered} is not offered.")
        return specs, has_filters, remaining, duplicates, active


class DeclaredFiltersAdmin(admin.ModelAdmin):
    """The base of every admin here: only declared filters (DeclaredFiltersChangeList), and
    no count of a whole big table per page (EstimatedCountPaginator; the "N total" beside a
    search is not counted either)."""

    extra_lookups: tuple[str, ...] = ()
    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs):
        return DeclaredFiltersChangeList

    def get_search_results(self, request: HttpRequest, queryset, search_term: str):
        """A search box that uses the indexes. Fields written "=field" are looked up exactly
        (a member number, a receipt): first, and alone when they find something. Django's
        own "=field" compares UPPER(field::text), which no index serves, and ORs it with
        every other field, which no index serves either. The other fields are then searched
        as Django does (each word in any of them)."""
        term = search_term.strip()
        fields = list(self.get_search_fields(request))
        exact_fields = [field[1:] for field in fields if field.startswith("=")]
        if not term or not exact_fields:
            return super().get_search_results(request, queryset, search_term)
        # Each exact field on its own index, then together by primary key: one query ORing
        # them across a join would be planned as a scan.
        found: list = []
        for field in exact_fields:
            value = self.exact_search_value(field, term)
            if value is not None:
                found += queryset.filter(**{field: value}).order_by().values_list("pk", flat=True)
        if found:
            return queryset.filter(Among(F("pk"), found)), False
        others = [field for field in fields if not field.startswith("=")]
        if not others:
            return queryset.none(), False
        for word in term.split():
            matches = Q()
            for field in others:
                matches |= Q(**{f"{field.lstrip('^@')}__icontains": word})
            queryset = queryset.filter(matches)
        return queryset, False

    def exact_search_value(self, field: str, term: str) -> object | None:
        """What `term` is for an exact field (None: it cannot be one)."""
        return term


class ReadOnlyAdminMixin:
    """Records kept as they were written: shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class InputsFilter(admin.ListFilter):
    """A filter of typed values (a date range, a name) rather than a list of every value
    in the column: listing those would read the whole trail (a SELECT DISTINCT over
    millions of events) on every page."""

    template = "admin/audit/inputs_filter.html"
    # (parameter, label, input type)
    inputs: tuple[tuple[str, str, str], ...] = ()

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name, _, _ in self.inputs:
            if name in params:
                value = params.pop(name)
                self.used_parameters[name] = value[-1] if isinstance(value, list) else value

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [name for name, _, _ in self.inputs]

    def value(self, name: str) -> str:
        return self.used_parameters.get(name, "").strip()

    def choices(self, changelist):
        names = self.expected_parameters()
        yield {
            "inputs": [(name, label, kind, self.value(name)) for name, label, kind in self.inputs],
            "keep": [(k, v) for k, v in changelist.params.items() if k not in names],
            "reset_url": changelist.get_query_string(remove=names),
        }


def admin_page(
    request: HttpRequest, template: str, context: dict, *, title: str, status: int = 200
) -> HttpResponse:
    """A staff page inside the admin's look (its header, the office's pages, breadcrumbs):
    `template` extends admin/base_site.html."""
    return render(
        request,
        template,
        {**admin.site.each_context(request), "title": title, **context},
        status=status,
    )


def refusal_on_form(form, exc: ValidationError) -> None:
    """A service's refusal shown on the form that asked for it: beside its field where it
    names one the form has, above the form otherwise."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def money_column(field: str, label: str):
    """A list column showing a money field as money ($1,234.50), sortable by the field."""

    @admin.display(description=label, ordering=field)
    def column(obj) -> str:
        return currency(getattr(obj, field))

    column.__name__ = f"{field}_money"
    return column


class _ChoicesInOneQuery(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class ShortChoicesField(ModelChoiceField):
    """A select of a few rows (classifications), read by one plain query. Django's reads
    any select's choices through a server-side cursor, and a page is drawn after its
    request's transaction has committed (ATOMIC_REQUESTS), so on PostgreSQL that is a
    cursor WITH HOLD: DECLARE, FETCH and CLOSE, three round trips and a copy of the rows,
    for a dozen of them. For a select of thousands, keep Django's (or an autocomplete)."""

    iterator = _ChoicesInOneQuery
