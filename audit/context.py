"""Who is acting, and from where, for events that are not made inside a view."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from simple_history.models import HistoricalRecords

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# A person (a job's starter) or a named system actor (a command, the webhook, a schedule).
_acting: ContextVar[Any] = ContextVar("audit_acting", default=None)

UNKNOWN_ACTOR = "unknown"


@contextmanager
def acting_as(actor: str | AbstractBaseUser) -> Iterator[None]:
    """Attribute what happens inside, where a write names nobody itself, to a person (the
    user who started a job) or a named system actor (a command, the webhook, a schedule)."""
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


def system_actor() -> str | None:
    """The name of whoever acts here: the named system actor, or the acting person's."""
    actor = _acting.get()
    return actor if actor is None or isinstance(actor, str) else actor.get_username()


def actor_label_for(actor: str | AbstractBaseUser | None) -> str:
    """The name the trail keeps for an actor: a person's username, a system actor's name, or
    (where a write named nobody) whoever acts here, else "unknown"."""
    if isinstance(actor, str):
        return actor
    if actor is not None:
        return actor.get_username()
    return system_actor() or UNKNOWN_ACTOR


def acting_user() -> AbstractBaseUser | None:
    """The person acting here, when it is a person (not a system actor)."""
    actor = _acting.get()
    return None if actor is None or isinstance(actor, str) else actor


def current_request() -> HttpRequest | None:
    """The request simple-history's middleware is serving on this thread, if any."""
    return getattr(HistoricalRecords.context, "request", None)


def current_user():
    """The logged-in user of the request being served, if any."""
    request = current_request()
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address; behind NUM_PROXIES trusted proxies, from X-Forwarded-For."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.NUM_PROXIES
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def user_agent(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return request.META.get("HTTP_USER_AGENT", "")[:300]
