"""Every change to a login is an audit event: created, deactivated or reactivated, its
groups and single permissions, its staff and superuser flags, its password set or reset
(that it changed, never the password or its hash). Made from Django's model signals, since
users are changed by Django's own admin, commands and password forms alike."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from audit.context import current_user
from audit.models import AuditAction
from audit.services import audit_event_record

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


def _names(user, relation: str) -> list[str]:
    if relation == "groups":
        return sorted(user.groups.values_list("name", flat=True))
    return sorted(
        f"{app}.{code}"
        for app, code in user.user_permissions.values_list("content_type__app_label", "codename")
    )


def _m2m_audit(relation: str):
    def changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
        if not action.startswith(("pre_", "post_")):
            return
        if reverse:  # group.user_set.add(...): the users are the changed side
            users = (
                list(User.objects.filter(pk__in=pk_set))
                if pk_set
                else list(instance.user_set.all())
            )
        else:
            users = [instance]
        for user in users:
            if action.startswith("pre_"):
                user._audit_m2m_before = _names(user, relation)
                continue
            before = getattr(user, "_audit_m2m_before", [])
            after = _names(user, relation)
            if before != after:
                _record(user, AuditAction.UPDATE, {relation: [before, after]})

    return changed


m2m_changed.connect(
    _m2m_audit("groups"), sender=User.groups.through, dispatch_uid="accounts.groups", weak=False
)
m2m_changed.connect(
    _m2m_audit("user_permissions"),
    sender=User.user_permissions.through,
    dispatch_uid="accounts.user_permissions",
    weak=False,
)
