from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from accounts import roles

_VIEW = [
    "dues.view_duesrate",
    "dues.view_duesperiod",
    "dues.view_duescharge",
    "dues.view_payment",
    "dues.view_refund",
    "dues.view_adjustment",
    "dues.view_standing",
]
_MANAGE = [
    "dues.add_duesrate",
    "dues.change_duesrate",
    "dues.add_duesperiod",
    "dues.change_duesperiod",
    "dues.generate_charges",
    "dues.add_refund",
    "dues.add_adjustment",
]
_HISTORY = [
    f"dues.view_historical{model}"
    for model in ("duesrate", "duesperiod", "duescharge", "payment", "refund", "adjustment")
]


class DuesConfig(AppConfig):
    name = "dues"
    verbose_name = "Dues"

    # docs/design.md §3. Nobody edits or deletes a charge, payment, refund or adjustment:
    # corrections are new records (a refund, an adjustment).
    extends = {
        "audit.audited_models": ["dues.for_audit.AUDITED_MODELS"],
        "members.member_list_filters": ["dues.for_members.STANDING_FILTER"],
        "members.member_admin_columns": [
            "dues.for_members.STANDING_COLUMN",
            "dues.for_members.BALANCE_COLUMN",
        ],
        "members.member_admin_summaries": ["dues.for_members.DUES_SUMMARY"],
        "members.member_admin_records": [
            "dues.for_members.PAYMENT_RECORDS",
            "dues.for_members.CHARGE_RECORDS",
            "dues.for_members.ADJUSTMENT_RECORDS",
        ],
        "members.member_home_panels": ["dues.for_members.HOME_PANEL"],
        "members.member_admin_actions": [
            "dues.for_members.RECORD_PAYMENT",
            "dues.for_members.RECORD_REFUND",
            "dues.for_members.RECORD_ADJUSTMENT",
            "dues.for_members.STATEMENT",
        ],
        "members.demo_data": ["dues.demo.seed_demo_dues"],
        "appkit.dashboard_panels": [
            "dues.for_office.OVERVIEW_PANEL",
            "dues.for_office.MONEY_PANEL",
        ],
        "appkit.office_links": [
            "dues.for_office.DUES_LINK",
            "dues.for_office.ARREARS_LINK",
            "dues.for_office.COLLECTIONS_LINK",
        ],
        "jobs.kinds": [
            "dues.for_jobs.GENERATE_CHARGES",
            "dues.for_jobs.ARREARS_EXPORT",
            "dues.for_jobs.LEDGER_CHECK",
        ],
        "jobs.schedule": ["dues.for_jobs.NIGHTLY_LEDGER_CHECK"],
        "accounts.role_permissions": [
            {
                roles.ADMIN: [*_VIEW, *_MANAGE, "dues.add_payment", *_HISTORY],
                roles.OFFICER: [*_VIEW, *_MANAGE, "dues.add_payment", *_HISTORY],
                roles.ORGANIZER: ["dues.view_standing"],
                roles.DISPATCHER: ["dues.view_standing"],
                roles.STAFF: [*_VIEW, "dues.add_payment"],
            }
        ],
    }

    def ready(self) -> None:
        post_migrate.connect(_reinstall_sqlite_kept_totals, dispatch_uid="dues.kept_totals")


def _reinstall_sqlite_kept_totals(sender: AppConfig, using: str = "default", **kwargs) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it: the totals' triggers
    are installed again after every `migrate`."""
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and sender.label == "dues":
        from .kept_totals import ensure_sqlite_kept_totals

        ensure_sqlite_kept_totals(connection)
