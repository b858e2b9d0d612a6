from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Member

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def member_for_user(user: AbstractBaseUser | AnonymousUser) -> Member | None:
    """The member record linked to this login, if there is one."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("classification").filter(user=user).first()
