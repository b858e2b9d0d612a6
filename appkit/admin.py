"""Admin plumbing every app's admin uses: only declared filters, read-only records, typed
filters. Generic: it knows no app."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ChangeList
from django.http import HttpRequest


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
    """The base of every admin here: only declared filters (DeclaredFiltersChangeList)."""

    extra_lookups: tuple[str, ...] = ()

    def get_changelist(self, request: HttpRequest, **kwargs):
        return DeclaredFiltersChangeList


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
