"""Site-wide rules every request and response keeps: input no form or API could accept is
refused before any view sees it, and what a view answers is kept by no shared cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse, QueryDict
from django.utils.cache import patch_cache_control

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_nul_characters(get_response: Callable[[HttpRequest], HttpResponse]):
    """A NUL character is never valid input, and PostgreSQL cannot store or even compare
    it: a 400 here, rather than a database error deep in a view."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "NUL characters are not allowed."}, status=400)
            return HttpResponseBadRequest("NUL characters are not allowed.")
        return get_response(request)

    return middleware


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or _any_nul(request.GET):
        return True
    if request.method in ("POST", "PUT", "PATCH") and request.content_type == "application/json":
        return b"\x00" in request.body or b"\\u0000" in request.body
    if request.method == "POST" and request.content_type in _FORMS:
        return _any_nul(request.POST)  # the fields, not uploaded files
    return False


def _any_nul(query: QueryDict) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values) for key, values in query.lists()
    )


def no_store_by_default(get_response: Callable[[HttpRequest], HttpResponse]):
    """Pages, API answers and CSV downloads hold personal data (a member's dues, address,
    date of birth): no browser or proxy may keep them (`Cache-Control: private, no-store`)
    unless the view says otherwise. Static files (served by WhiteNoise before this) keep
    their own long-lived headers."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response

    return middleware
