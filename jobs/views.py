"""The page a GET of an address that starts work shows: a GET never starts a job (a link
followed twice, a reload, a browser's prefetch), a POST of this page's button does."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from django.template.response import TemplateResponse


def job_start_page(
    request: HttpRequest,
    *,
    context: dict,
    title: str,
    facts: Iterable[tuple[str, str]],
    button: str,
    back_url: str,
) -> TemplateResponse:
    """What the work will do (`facts`: what it is asked to do, as pairs of label and value)
    and a button saying exactly that, which posts to this very address (its query string,
    the work's parameters, kept). `context` is the admin site's `each_context(request)`."""
    return TemplateResponse(
        request,
        "admin/jobs/job/start.html",
        {
            **context,
            "title": title,
            "facts": list(facts),
            "button": button,
            "action": request.get_full_path(),
            "back_url": back_url,
        },
    )
