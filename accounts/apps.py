from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from . import roles

_ALL_JOBS = ["jobs.view_job", "jobs.view_all_jobs"]
# Who reads the audit log: Admin and Officer; Admin alone sees its sensitive values
# unredacted (docs/design.md §3). Each app's history tables follow these roles (its own apps.py).
_AUDIT_LOG = ["audit.view_auditevent", "audit.view_auditcheckpoint"]


class AccountsConfig(AppConfig):
    """Logins: users and their roles, logging in (lockout, API tokens), and the audit
    trail of every change to a user."""

    name = "accounts"
    verbose_name = "Users and roles"

    # Nobody may delete a user: history rows point at them. Only a superuser grants
    # superuser status or single permissions (accounts/admin.py).
    extends = {
        "audit.audited_models": ["accounts.for_audit.AUDITED_MODELS"],
        "accounts.role_permissions": [
            {
                roles.ADMIN: [
                    "auth.view_user",
                    "auth.add_user",
                    "auth.change_user",
                    "auth.view_group",
                    *_ALL_JOBS,
                    *_AUDIT_LOG,
                    "audit.view_sensitive",
                ],
                roles.OFFICER: ["auth.view_user", *_ALL_JOBS, *_AUDIT_LOG],
                # Office users follow the jobs they start (imports, exports).
                roles.ORGANIZER: ["jobs.view_job"],
                roles.STAFF: ["jobs.view_job"],
                roles.DISPATCHER: ["jobs.view_job"],
            }
        ],
    }

    def ready(self) -> None:
        from . import receivers  # noqa: F401 (connects the user-change receivers)

        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.roles_sync")
        post_migrate.connect(_ensure_cache_table, dispatch_uid="accounts.cache_table")


def _sync_roles_after_migrate(sender: AppConfig, using: str = "default", **kwargs) -> None:
    roles.roles_sync(app_labels=[sender.label], using=using)


def _ensure_cache_table(sender: AppConfig, using: str = "default", **kwargs) -> None:
    # The shared cache: by default a table that `migrate` makes (Django's own command; it
    # does nothing when the table is there). Login attempts count in Redis when the cache
    # is Redis, else in AttemptCount (accounts/counting.py).
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
