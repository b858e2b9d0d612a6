from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from . import roles

_MEMBER_VIEW = ["members.view_member", "members.view_classification"]
_MEMBER_EDIT = ["members.add_member", "members.change_member"]
_MEMBERSHIP_EDIT = [
    "members.change_membership",
    "members.add_classification",
    "members.change_classification",
]


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"

    # DESIGN §3. Nobody may delete a member or a user: leaving is a status, and
    # history rows point at both.
    role_permissions = {
        roles.ADMIN: [
            *_MEMBER_VIEW,
            *_MEMBER_EDIT,
            *_MEMBERSHIP_EDIT,
            "auth.view_user",
            "auth.add_user",
            "auth.change_user",
            "auth.view_group",
        ],
        roles.OFFICER: [*_MEMBER_VIEW, *_MEMBER_EDIT, *_MEMBERSHIP_EDIT, "auth.view_user"],
        roles.ORGANIZER: [*_MEMBER_VIEW],
        roles.STAFF: [*_MEMBER_VIEW, *_MEMBER_EDIT],
    }

    def ready(self) -> None:
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="members.roles_sync")


def _sync_roles_after_migrate(sender: AppConfig, using: str = "default", **kwargs) -> None:
    roles.roles_sync(app_labels=[sender.label], using=using)
