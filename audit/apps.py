from __future__ import annotations

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    extends = {
        "jobs.kinds": ["audit.for_jobs.AUDIT_VERIFY", "audit.for_jobs.AUDIT_EXPORT"],
        "jobs.schedule": ["audit.for_jobs.NIGHTLY_VERIFY"],
        "jobs.run_context": ["audit.for_jobs.job_actor"],
    }

    def ready(self) -> None:
        from . import receivers  # noqa: F401 (connects the signal receivers)

        connection_created.connect(_register_sqlite_guard, dispatch_uid="audit.sqlite_guard")
        post_migrate.connect(_reinstall_sqlite_triggers, dispatch_uid="audit.sqlite_triggers")
        post_migrate.connect(_grant_runtime_role, dispatch_uid="audit.runtime_role")


def _register_sqlite_guard(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        from .append_only import register_sqlite_guard

        register_sqlite_guard(connection)


def _reinstall_sqlite_triggers(sender: AppConfig, using: str = "default", **kwargs) -> None:
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and sender.label == "audit":
        from .append_only import ensure_sqlite_triggers

        ensure_sqlite_triggers(connection)


def _grant_runtime_role(sender: AppConfig, using: str = "default", **kwargs) -> None:
    """With DATABASE_RUNTIME_ROLE set, every `migrate` (run as the owner) grants the app's
    role what it needs on the tables it just made (audit/runtime_role.py)."""
    from django.conf import settings
    from django.db import connections

    connection = connections[using]
    role = getattr(settings, "DATABASE_RUNTIME_ROLE", "")
    if role and connection.vendor == "postgresql" and sender.label == "audit":
        from .runtime_role import runtime_role_grant

        runtime_role_grant(connection, role)
