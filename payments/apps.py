from __future__ import annotations

from django.apps import AppConfig

from accounts import roles

_READ = ["payments.view_checkoutsession", "payments.view_stripeevent"]


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Online payments"

    role_permissions = {
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

    def ready(self) -> None:
        from audit import registry
        from dues import views as dues_views

        registry.register("payments.checkoutsession", member_of=lambda row: (row.member_id, None))
        # The staff payment-history page shows "Pay Now Online" beside each open period.
        dues_views.PAY_BUTTON_TEMPLATE = "payments/_pay_button.html"
