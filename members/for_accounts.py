"""What the members app adds to accounts (accounts/extensions.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Member
from .services import member_update

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from audit.actors import Actor


def member_email_follows_login(user: AbstractBaseUser, *, actor: Actor) -> None:
    """A login's email changed in the users' admin: the member it belongs to has the same
    one (members.services keeps the two in step the other way). The users' admin decided
    who may change it (`role_checked=False`); `actor` is who did."""
    member = Member.objects.filter(user=user).first()
    if member is not None and member.email != user.email:
        member_update(member=member, actor=actor, changes={"email": user.email}, role_checked=False)
