from __future__ import annotations

from django.core.paginator import Paginator
from rest_framework.pagination import CursorPagination, PageNumberPagination


class CountedPagination(PageNumberPagination):
    """`count`, `next`, `previous`, `results`: for lists whose size is worth knowing. A
    view may know the count without counting (`known_count(request)`, None when not)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        known = getattr(view, "known_count", None)
        self._known_count = known(request) if known is not None else None
        return super().paginate_queryset(queryset, request, view)

    def django_paginator_class(self, object_list, per_page) -> Paginator:
        paginator = Paginator(object_list, per_page)
        if self._known_count is not None:
            paginator.count = self._known_count
        return paginator


class NewestFirstCursorPagination(CursorPagination):
    """`next`, `previous`, `results`, no count: an exact count over millions of rows costs
    more than the page. Stable under inserts (a cursor, not an offset)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)
