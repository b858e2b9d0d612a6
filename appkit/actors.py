"""Who does a write: a person (a logged-in user, a job's starter) or a named system actor (a
command, the Stripe webhook, a schedule) — never nobody. Services that write take
`*, actor: Actor`; audit.actors.saved_by names it on the object's history row and event.

A person's role is checked by the service (unless its caller says a rule decided, as
`member_update(..., role_checked=False)` for the arrears policy); a named system actor has
no role: the code that names it (a command, a schedule, the webhook) is its authority."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# A person, or the name of a system actor ("import_members", "stripe-webhook", a job kind).
Actor: TypeAlias = "AbstractBaseUser | str"


class ActorMissing(TypeError):
    """A write was asked for without naming who does it."""


def actor_checked(actor: Actor) -> Actor:
    """The actor, refused when it names nobody (None, an anonymous user, an empty name)."""
    if isinstance(actor, str):
        if actor.strip():
            return actor
    elif actor is not None and getattr(actor, "is_authenticated", False):
        return actor
    raise ActorMissing(
        f"A write must name its actor (a person or a named system actor), not {actor!r}."
    )


def actor_key(actor: Actor) -> int | str:
    """The actor in a key (a job's): a person's id, or a system actor's name."""
    actor = actor_checked(actor)
    return actor if isinstance(actor, str) else actor.pk


def person(actor: Actor) -> AbstractBaseUser | None:
    """The person behind an actor, for the columns that name one (`recorded_by`,
    `created_by`, `started_by`): None for a system actor."""
    return None if isinstance(actor_checked(actor), str) else actor
