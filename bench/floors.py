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
}

# The API's member search by part of a name (members.selectors.members_searched), as the
# product's own SQL ends up: is it a whole member number (no), how many match, their first
# page, and the audit event that records who listed them. UPPER(col::text) LIKE is what the
# trigram indexes are on (members/migrations/0003_search_indexes.py): ILIKE would scan.
SEARCHED = """
    (UPPER(m.member_number::text) LIKE UPPER(%(like)s) OR UPPER(m.first_name::text)
     LIKE UPPER(%(like)s) OR UPPER(m.last_name::text) LIKE UPPER(%(like)s)
     OR UPPER(m.email::text) LIKE UPPER(%(like)s))
"""
MEMBER_SEARCH = (
    "SELECT 1 FROM members_member WHERE member_number = %(term)s LIMIT 1",
    f"SELECT count(*) FROM members_member m WHERE {SEARCHED}",
    f"""SELECT m.*, c.code, c.name FROM members_member m
        JOIN members_classification c ON c.id = m.classification_id
        WHERE {SEARCHED} ORDER BY m.last_name, m.first_name, m.id LIMIT 50""",
)
# Stand-in hash, linked after the head as the database checks it (audit/chain_guard.py).
LISTED = """
    WITH head AS (SELECT seq, hash FROM audit_auditchainhead WHERE id = 1 FOR UPDATE)
    INSERT INTO audit_auditevent (occurred_at, actor_id, actor_label, action, model_label,
        object_id, object_repr, member_number, changes, detail, ip_address, user_agent, seq,
        prev_hash, hash)
    SELECT now(), %(actor)s, %(label)s, 'view_sensitive', 'members.member', '',
        %(count)s || ' members', '', '{}'::jsonb, 'Listed by the API; query: search=' ||
        %(term)s || '.', '127.0.0.1', '', head.seq + 1, head.hash,
        md5(head.hash) || md5(%(term)s) FROM head
"""


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


def member_search_json(request: HttpRequest) -> HttpResponse:
    if not _signed_in(request):
        return HttpResponse(status=403)
    term = request.GET["search"]
    params = {"term": term, "like": f"%{term}%"}
    _rows(MEMBER_SEARCH[0], params)
    count = _rows(MEMBER_SEARCH[1], params)[0]["count"]
    results = _rows(MEMBER_SEARCH[2], params)
    with connection.cursor() as cursor:
        cursor.execute(
            LISTED,
            {
                **params,
                "actor": request.user.pk,
                "label": request.user.get_username(),
                "count": len(results),
            },
        )
    return JsonResponse({"count": count, "results": results})


urlpatterns = [
    path("floor/members/search.json", member_search_json),
    path("floor/members/<int:member_id>/dues/", member_dues_page),
    path("floor/members/<int:member_id>/dues.json", member_dues_json),
    path("floor/lists/<str:name>.json", list_json),
    *product_urlpatterns,
]
