from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .models import Member

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def member_for_user(user: AbstractBaseUser | AnonymousUser) -> Member | None:
    """The member record linked to this login, if there is one."""
    if not user.is_authenticated:
        return None
    return Member.objects.select_related("classification").filter(user=user).first()


def member_numbers(member_ids: Iterable[int]) -> dict[int, str]:
    """Member id → member number, for many members in one query."""
    return dict(Member.objects.filter(id__in=list(member_ids)).values_list("id", "member_number"))
