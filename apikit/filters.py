"""Query parameters of the API: a view reads only the parameters its filter backends and its
paginator declare, and answers 400 to any other.

Ignoring an unknown parameter would be harmless for a list that never reads it; refusing it
makes the rule one that holds everywhere (the admin's changelists refuse the same way), so a
lookup nobody declared, such as `?changes__text__startswith=`, can never be used to probe
what a reader may not see.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.filters import BaseFilterBackend

# Read by DRF itself, not a filter.
ALWAYS_ALLOWED = frozenset({"format"})


class DeclaredFilter(BaseFilterBackend):
    """A filter backend that names the query parameters it reads (`params`)."""

    params: tuple[str, ...] = ()

    def declared_params(self) -> set[str]:
        return set(self.params)

    def filter_queryset(self, request, queryset, view):
        refuse_undeclared_params(request, view)
        return self.narrow(request, queryset)

    def narrow(self, request, queryset):
        return queryset


class NoFilters(DeclaredFilter):
    """The default: a view that filters nothing takes no parameters but its paginator's."""


def refuse_undeclared_params(request, view) -> None:
    declared = set(ALWAYS_ALLOWED)
    for backend in getattr(view, "filter_backends", ()):
        declared |= backend().declared_params() if hasattr(backend, "declared_params") else set()
    paginator = getattr(view, "paginator", None)
    for name in ("page_query_param", "page_size_query_param", "cursor_query_param"):
        if value := getattr(paginator, name, None):
            declared.add(value)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        known = ", ".join(sorted(declared - ALWAYS_ALLOWED)) or "none"
        raise exceptions.ValidationError(
            dict.fromkeys(unknown, f"Unknown query parameter. This takes: {known}.")
        )
