from __future__ import annotations

from django.apps import AppConfig

from accounts import roles

_READ = ["payments.view_checkoutsession", "payments.view_stripeevent"]


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Online payments"

    extends = {
        "audit.audited_models": ["payments.for_audit.AUDITED_MODELS"],
        "dues.pay_actions": ["payments.for_dues.PAY_ONLINE"],
        "jobs.kinds": ["payments.for_jobs.STRIPE_RECONCILE"],
        "jobs.schedule": ["payments.for_jobs.HOURLY_RECONCILE"],
        "accounts.role_permissions": [
            {
                roles.ADMIN: [
                    *_READ,
                    "payments.rerun_stripeevent",
                    "payments.view_historicalcheckoutsession",
                ],
                roles.OFFICER: [
                    *_READ,
                    "payments.rerun_stripeevent",
                    "payments.view_historicalcheckoutsession",
                ],
                roles.STAFF: ["payments.view_checkoutsession"],
            }
        ],
    }
