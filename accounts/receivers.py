"""Every change to a login is an audit event: created, deactivated or reactivated, its
groups and single permissions, its staff and superuser flags, its password set or reset
(that it changed, never the password or its hash). So is every change to a group (a role):
created, renamed or deleted, a permission granted or taken away. Made from Django's model
signals, since users and groups are changed by Django's own admin, commands and password
forms alike, from either side of each many-to-many relation. The actor is the request's
user (audit.context), else whoever acts there (acting_as): the user of an emailed reset link,
who is not logged in (accounts/views.py), or a named system actor.

The one change not recorded is `roles_sync` granting a role what the code declares for it
(accounts/roles.py, after every `migrate`): the declaration in the repository is its
record, and members/tests/test_roles.py pins what each role holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from audit.context import current_user
from audit.models import AuditAction
from audit.services import audit_event_record

from .roles import roles_syncing

User = get_user_model()

AUDITED_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "is_active",
    "is_staff",
    "is_superuser",
)
PASSWORD_CHANGED = "[changed]"


@receiver(pre_save, sender=User, dispatch_uid="accounts.user_before")
def _user_before(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        instance._audit_before = None  # a login stamps last_login: it is its own event
        instance._audit_skip = True
        return
    instance._audit_skip = False
    instance._audit_before = (
        User.objects.filter(pk=instance.pk).values(*AUDITED_FIELDS, "password").first()
        if instance.pk
        else None
    )
    was_superuser = bool(instance._audit_before and instance._audit_before["is_superuser"])
    actor = current_user()
    if instance.is_superuser and not was_superuser and actor and not actor.is_superuser:
        raise PermissionDenied("Only a superuser may make another user a superuser.")


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
def _user_saved(sender, instance, created: bool, **kwargs) -> None:
    if getattr(instance, "_audit_skip", False):
        return
    before = getattr(instance, "_audit_before", None) or {}
    changes: dict[str, list[Any]] = {}
    for name in AUDITED_FIELDS:
        old, new = before.get(name), getattr(instance, name)
        if created and new not in (None, "", False):
            changes[name] = [None, new]
        elif not created and old != new:
            changes[name] = [old, new]
    if instance.password and instance.password != before.get("password"):
        changes["password"] = [None, PASSWORD_CHANGED]
    if changes:
        _record(instance, AuditAction.CREATE if created else AuditAction.UPDATE, changes)


def _record(user, action: str, changes: dict[str, list[Any]]) -> None:
    notes = []
    if "password" in changes:
        notes.append("Password set or changed.")
    if changes.get("is_active") == [True, False]:
        notes.append("Deactivated.")
    audit_event_record(
        action=action,
        actor=current_user(),
        model_label=user._meta.label_lower,
        object_id=user.pk,
        object_repr=user.get_username(),
        changes=changes,
        detail=" ".join(notes),
    )


def _group_names(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def _permission_names(permissions) -> list[str]:
    return sorted(
        f"{app}.{code}"
        for app, code in permissions.values_list("content_type__app_label", "codename")
    )


# --- Groups ---------------------------------------------------------------------------------


def _group_record(group: Group, action: str, changes: dict[str, list[Any]]) -> None:
    audit_event_record(
        action=action,
        actor=current_user(),
        model_label=group._meta.label_lower,
        object_id=group.pk,
        object_repr=group.name,
        changes=changes,
    )


@receiver(pre_save, sender=Group, dispatch_uid="accounts.group_before")
def _group_before(sender, instance: Group, **kwargs) -> None:
    instance._audit_name_before = (
        Group.objects.filter(pk=instance.pk).values_list("name", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Group, dispatch_uid="accounts.group_saved")
def _group_saved(sender, instance: Group, created: bool, **kwargs) -> None:
    if roles_syncing():
        return
    before = getattr(instance, "_audit_name_before", None)
    if created:
        _group_record(instance, AuditAction.CREATE, {"name": [None, instance.name]})
    elif before != instance.name:
        _group_record(instance, AuditAction.UPDATE, {"name": [before, instance.name]})


@receiver(pre_delete, sender=Group, dispatch_uid="accounts.group_before_delete")
def _group_before_delete(sender, instance: Group, **kwargs) -> None:
    # Deleting a group drops its users and permissions with it, without m2m signals: what
    # it held is read now, to be recorded once it is gone.
    instance._audit_held = (
        _permission_names(instance.permissions),
        [(user, _group_names(user)) for user in instance.user_set.order_by("username")],
    )


@receiver(post_delete, sender=Group, dispatch_uid="accounts.group_deleted")
def _group_deleted(sender, instance: Group, **kwargs) -> None:
    permissions, users = getattr(instance, "_audit_held", ([], []))
    changes = {"name": [instance.name, None]}
    if permissions:
        changes["permissions"] = [permissions, []]
    if users:
        changes["users"] = [[user.get_username() for user, _ in users], []]
    _group_record(instance, AuditAction.DELETE, changes)
    for user, before in users:
        after = [name for name in before if name != instance.name]
        _record(user, AuditAction.UPDATE, {"groups": [before, after]})


# --- Many-to-many: a user's groups and permissions, a group's permissions --------------------


@dataclass(frozen=True)
class _Relation:
    """One many-to-many relation whose changes are events of its `owner` side."""

    through: type[models.Model]
    owner: str  # the through model's field naming the side the event is about
    other: str
    change: str  # the change's name in the event
    names: Callable[[Any], list[str]]
    record: Callable[[Any, dict[str, list[Any]]], None]

    def owners(self, instance, reverse: bool, pk_set: set | None) -> list:
        """The objects of the owner side this change touches (Django calls the signal from
        whichever side was changed: `reverse` when it was the other one)."""
        if not reverse:
            return [instance]
        model = self.through._meta.get_field(self.owner).related_model
        if pk_set is None:  # clear(): whoever is related now
            pk_set = self.through.objects.filter(**{f"{self.other}_id": instance.pk}).values(
                f"{self.owner}_id"
            )
        return list(model.objects.filter(pk__in=pk_set))


def _m2m_audit(relation: _Relation):
    def changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
        if not action.startswith(("pre_", "post_")) or roles_syncing():
            return
        # The same instance is sent before and after: the owners and what they held are
        # kept on it in between (the owners on the other side are fetched only once).
        held = instance.__dict__.setdefault("_audit_m2m_before", {})
        if action.startswith("pre_"):
            owners = relation.owners(instance, reverse, pk_set)
            held[relation.change] = [(owner, relation.names(owner)) for owner in owners]
            return
        for owner, before in held.pop(relation.change, []):
            after = relation.names(owner)
            if before != after:
                relation.record(owner, {relation.change: [before, after]})

    return changed


_RELATIONS = [
    _Relation(
        User.groups.through,
        "user",
        "group",
        "groups",
        _group_names,
        lambda user, changes: _record(user, AuditAction.UPDATE, changes),
    ),
    _Relation(
        User.user_permissions.through,
        "user",
        "permission",
        "user_permissions",
        lambda user: _permission_names(user.user_permissions),
        lambda user, changes: _record(user, AuditAction.UPDATE, changes),
    ),
    _Relation(
        Group.permissions.through,
        "group",
        "permission",
        "permissions",
        lambda group: _permission_names(group.permissions),
        lambda group, changes: _group_record(group, AuditAction.UPDATE, changes),
    ),
]
for _relation in _RELATIONS:
    m2m_changed.connect(
        _m2m_audit(_relation),
        sender=_relation.through,
        dispatch_uid=f"accounts.m2m.{_relation.change}",
        weak=False,
    )
