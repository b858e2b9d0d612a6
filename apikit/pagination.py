from __future__ import annotations

from rest_framework.pagination import CursorPagination, PageNumberPagination


class CountedPagination(PageNumberPagination):
    """`count`, `next`, `previous`, `results`: for lists whose size is worth knowing."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class NewestFirstCursorPagination(CursorPagination):
    """`next`, `previous`, `results`, no count: an exact count over millions of rows costs
    more than the page. Stable under inserts (a cursor, not an offset)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)
