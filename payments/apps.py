from __future__ import annotations

from django.apps import AppConfig

from accounts import roles

_READ = [
    "payments.view_checkoutsession",
    "payments.view_stripeevent",
    "payments.view_autopay",
    "payments.view_autopaycollection",
]


_HISTORY = [
    "payments.view_historicalcheckoutsession",
    "payments.view_historicalautopay",
    "payments.view_historicalautopaycollection",
]


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Online payments"

    extends = {
        "audit.audited_models": ["payments.for_audit.AUDITED_MODELS"],
        "dues.pay_actions": ["payments.for_dues.PAY_ONLINE"],
        "dues.after_charging": ["payments.for_dues.AUTOPAY_AFTER_CHARGING"],
        "members.member_list_filters": ["payments.for_members.AUTOPAY_FILTER"],
        "members.member_admin_columns": ["payments.for_members.AUTOPAY_COLUMN"],
        "appkit.work_items": [
            "payments.for_office.AUTOPAY_REVIEW_WORK",
            "payments.for_office.AUTOPAY_FAILED_WORK",
            "payments.for_office.AUTOPAY_GAVE_UP_WORK",
        ],
        "jobs.kinds": [
            "payments.for_jobs.STRIPE_RECONCILE",
            "payments.for_jobs.AUTOPAY_COLLECT",
            "payments.for_jobs.AUTOPAY_RETRY",
        ],
        "jobs.schedule": [
            "payments.for_jobs.HOURLY_RECONCILE",
            "payments.for_jobs.DAILY_AUTOPAY_RETRY",
        ],
        "accounts.role_permissions": [
            {
                roles.ADMIN: [
                    *_READ,
                    "payments.rerun_stripeevent",
                    *_HISTORY,
                ],
                roles.OFFICER: [
                    *_READ,
                    "payments.rerun_stripeevent",
                    *_HISTORY,
                ],
                roles.STAFF: ["payments.view_checkoutsession", "payments.view_autopay"],
            }
        ],
    }
