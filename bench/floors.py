"""The floors of the page workloads: the same request through the same middleware and login,
answered straight from raw SQL: HTML pages as bare tables of the same rows, API pages as
JSON of the same rows. What a page costs beyond its floor is what Union Hall adds.

The bench serves these beside the product's own URLs (`ROOT_URLCONF = "bench.floors"`)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.urls import path

from unionhall.urls import handler403, handler404, handler500
from unionhall.urls import urlpatterns as product_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]

_TABLES = engines["django"].from_string(
    "<!doctype html><html><head><title>{{ title }}</title></head><body>"
    "{% for rows in tables %}<table>{% for row in rows %}<tr>{% for cell in row %}"
    "<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}</body></html>"
)

MEMBER = "SELECT * FROM members_member WHERE id = %s"
CHARGES = """
    SELECT c.id, c.amount, p.year, p.month, p.due_date FROM dues_duescharge c
    JOIN dues_duesperiod p ON p.id = c.period_id WHERE c.member_id = %s
    ORDER BY p.due_date, p.year, p.month, c.id
"""
PAYMENTS = """
    SELECT id, member_id, amount, refunded_amount, method, status, received_date, reference,
           note, receipt_number, flagged_at, flag_reason, created_at
    FROM dues_payment WHERE member_id = %s ORDER BY received_date DESC, id DESC
"""
# What the ledger rules read besides: adjustments move the credit, and a check-off
# authorization may protect months its employer has not yet remitted.
ADJUSTMENTS = """
    SELECT id, amount, reason, created_at FROM dues_adjustment WHERE member_id = %s
    ORDER BY created_at DESC, id DESC
"""
AUTHORIZATIONS = "SELECT * FROM checkoff_checkoffauthorization WHERE member_id = %s"
MEMBER_LEDGER = (MEMBER, CHARGES, PAYMENTS, ADJUSTMENTS, AUTHORIZATIONS)
LISTS = {
    "payments": """
        SELECT p.*, m.member_number FROM dues_payment p JOIN members_member m
        ON m.id = p.member_id ORDER BY p.id DESC LIMIT 50
    """,
    "audit": "SELECT * FROM audit_auditevent ORDER BY id DESC LIMIT 50",
    "member-search": """
        SELECT * FROM members_member WHERE last_name ILIKE '%%Kowalski1%%'
        ORDER BY last_name, first_name, id LIMIT 50
    """,
}


def _rows(statement: str, params=()) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _signed_in(request: HttpRequest) -> bool:
    return request.user.is_authenticated


def member_dues_page(request: HttpRequest, member_id: int) -> HttpResponse:
    if not _signed_in(request):
        return HttpResponse(status=403)
    tables = [
        [row.values() for row in _rows(statement, [member_id])] for statement in MEMBER_LEDGER
    ]
    return HttpResponse(_TABLES.render({"title": "Dues", "tables": tables}))


def member_dues_json(request: HttpRequest, member_id: int) -> HttpResponse:
    if not _signed_in(request):
        return HttpResponse(status=403)
    names = ("member", "charges", "payments", "adjustments", "authorizations")
    return JsonResponse(
        {
            name: _rows(statement, [member_id])
            for name, statement in zip(names, MEMBER_LEDGER, strict=True)
        }
    )


def list_json(request: HttpRequest, name: str) -> HttpResponse:
    if not _signed_in(request):
        return HttpResponse(status=403)
    return JsonResponse({"results": _rows(LISTS[name])})


urlpatterns = [
    path("floor/members/<int:member_id>/dues/", member_dues_page),
    path("floor/members/<int:member_id>/dues.json", member_dues_json),
    path("floor/lists/<str:name>.json", list_json),
    *product_urlpatterns,
]
