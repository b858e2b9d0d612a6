"""Saving an object so that its history row and audit event name who did it (the one place
that sets simple-history's `_history_user`). Actors themselves: appkit/actors.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from appkit.actors import Actor, ActorMissing, actor_checked, actor_key, person

from .context import acting_as

if TYPE_CHECKING:
    from django.db import models

__all__ = ["Actor", "ActorMissing", "actor_checked", "actor_key", "person", "saved_by"]


def saved_by(obj: models.Model, *, actor: Actor, **save_kwargs: Any) -> None:
    """Save `obj`; its history row and audit event name `actor`."""
    actor = actor_checked(actor)
    if isinstance(actor, str):
        obj.__dict__.pop("_history_user", None)  # a person named by an earlier save
        with acting_as(actor):
            obj.save(**save_kwargs)
    else:
        obj._history_user = actor
        obj.save(**save_kwargs)
