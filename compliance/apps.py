from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from accounts import roles

# Governance is the officers' (docs/design.md §10): Officer and Admin only.
_GOVERN = [
    "compliance.view_arrearspolicy",
    "compliance.add_arrearspolicy",
    "compliance.view_standingchange",
    "compliance.add_standingchange",
    "compliance.view_standinghold",
    "compliance.add_standinghold",
    "compliance.change_standinghold",
    "compliance.view_eligibilitylist",
    "compliance.add_eligibilitylist",
    "compliance.inspect_eligibilitylist",
    "compliance.view_inspection",
    "compliance.view_affiliate",
    "compliance.add_affiliate",
    "compliance.change_affiliate",
    "compliance.view_percapitarate",
    "compliance.add_percapitarate",
    "compliance.change_percapitarate",
    "compliance.view_percapitareport",
    "compliance.add_percapitareport",
    "compliance.submit_percapitareport",
    "compliance.view_fiscalyear",
    "compliance.add_fiscalyear",
    "compliance.change_fiscalyear",
]
_HISTORY = [
    f"compliance.view_historical{model}"
    for model in (
        "arrearspolicy",
        "standingchange",
        "standinghold",
        "eligibilitylist",
        "inspection",
        "affiliate",
        "percapitarate",
        "percapitareport",
        "fiscalyear",
    )
]


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = "Governance"

    extends = {
        "audit.audited_models": ["compliance.for_audit.AUDITED_MODELS"],
        "jobs.kinds": [
            "compliance.for_jobs.APPLY_ARREARS_POLICY",
            "compliance.for_jobs.ELIGIBILITY_LIST",
        ],
        "jobs.schedule": ["compliance.for_jobs.NIGHTLY_ARREARS_POLICY"],
        "appkit.office_links": ["compliance.for_office.GOVERNANCE_LINK"],
        "members.demo_data": ["compliance.demo.seed_demo_compliance"],
        "accounts.role_permissions": [
            {roles.ADMIN: [*_GOVERN, *_HISTORY], roles.OFFICER: [*_GOVERN, *_HISTORY]}
        ],
    }

    def ready(self) -> None:
        post_migrate.connect(_reinstall_sqlite_frozen, dispatch_uid="compliance.sqlite_frozen")


def _reinstall_sqlite_frozen(sender: AppConfig, using: str = "default", **kwargs) -> None:
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and sender.label == "compliance":
        from .frozen import ensure_sqlite_frozen

        ensure_sqlite_frozen(connection)
