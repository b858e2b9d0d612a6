"""The five roles of docs/design.md §3, as Django groups, and what each may do.

Each app declares what its roles may do on the `accounts.role_permissions` extension
point (a dict of role name → permissions, "app_label.codename", in its AppConfig's
`extends`). `roles_sync()` makes the groups and grants what is declared. It
runs from a data migration (so the groups exist from the first `migrate`) and after every
`migrate` or test-database flush, for the permissions of the app that just migrated, so a
new model's permissions reach the roles without a hand-written step.
It only adds: a permission taken away from a role needs a migration that says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.apps import apps as global_apps

from .extensions import ROLE_PERMISSIONS

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

ADMIN = "Admin"
OFFICER = "Officer"
ORGANIZER = "Organizer"
STAFF = "Staff"
MEMBER = "Member"
# The hiring hall's (docs/design.md §11): books, registrations, requests and dispatch.
DISPATCHER = "Dispatcher"

ROLES = (ADMIN, OFFICER, ORGANIZER, STAFF, MEMBER, DISPATCHER)
# Roles that work in the Django admin: their users get is_staff.
ADMIN_SITE_ROLES = (ADMIN, OFFICER, ORGANIZER, STAFF, DISPATCHER)


def declared_role_permissions(app_labels: Iterable[str] | None = None) -> dict[str, set[str]]:
    """Role → {"app_label.codename"} as the (live) app configs declare them; with
    `app_labels`, only the permissions of those apps' models."""
    wanted: dict[str, set[str]] = {role: set() for role in ROLES}
    for declared in ROLE_PERMISSIONS.declarations():
        for role, perms in declared.items():
            if role not in wanted:
                raise ValueError(f"Permissions granted to unknown role {role!r}: {perms}")
            wanted[role].update(
                p for p in perms if app_labels is None or p.split(".", 1)[0] in app_labels
            )
    return wanted


_syncing: ContextVar[bool] = ContextVar("accounts_roles_syncing", default=False)


def roles_syncing() -> bool:
    """Whether roles_sync is at work here: what it grants is what the code declares, so
    its changes are not audit events (accounts/receivers.py); the declarations are their
    record. Every other change to a group is one."""
    return _syncing.get()


def roles_sync(
    apps=global_apps, *, app_labels: Iterable[str] | None = None, using: str = "default"
) -> None:
    """Create the role groups and grant them the declared permissions that exist."""
    token = _syncing.set(True)
    try:
        _roles_grant(apps, app_labels, using)
    finally:
        _syncing.reset(token)


def _roles_grant(apps, app_labels: Iterable[str] | None, using: str) -> None:
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    wanted = declared_role_permissions(app_labels)
    wanted_pairs = {tuple(perm.split(".", 1)) for perms in wanted.values() for perm in perms}
    by_name = {
        (perm.content_type.app_label, perm.codename): perm
        for perm in permission_model.objects.using(using).select_related("content_type")
        if (perm.content_type.app_label, perm.codename) in wanted_pairs
    }
    for role in ROLES:
        group, _ = group_model.objects.using(using).get_or_create(name=role)
        perms = [by_name[pair] for pair in map(_pair, wanted[role]) if pair in by_name]
        if perms:
            group.permissions.add(*perms)


def _pair(perm: str) -> tuple[str, str]:
    app_label, codename = perm.split(".", 1)
    return app_label, codename


def user_roles(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    """The roles this user holds (a superuser holds Admin). Cached on the user object."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if not hasattr(user, "_unionhall_roles"):
        held = {group.name for group in user.groups.all() if group.name in ROLES}
        if user.is_superuser:
            held.add(ADMIN)
        user._unionhall_roles = held
    return user._unionhall_roles


def user_has_role(user: AbstractBaseUser | AnonymousUser, role: str) -> bool:
    return role in user_roles(user)


def user_is_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Superusers count as Admin (docs/design.md §3): known without reading their groups."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return True
    return user_has_role(user, ADMIN)
