from __future__ import annotations

from django.apps import AppConfig

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

    # DESIGN §3. Nobody edits or deletes a charge, payment, refund or adjustment:
    # corrections are new records (a refund, an adjustment).
    role_permissions = {
        roles.ADMIN: [*_VIEW, *_MANAGE, "dues.add_payment", *_HISTORY],
        roles.OFFICER: [*_VIEW, *_MANAGE, "dues.add_payment", *_HISTORY],
        roles.ORGANIZER: ["dues.view_standing"],
        roles.STAFF: [*_VIEW, "dues.add_payment"],
    }

    def seed_demo(self, stdout) -> None:
        """Called by `manage.py seed_demo` once the demo members exist."""
        from .demo import seed_demo_dues

        seed_demo_dues(stdout)

    def ready(self) -> None:
        from audit import registry
        from members.apis import MEMBER_LIST_FILTERS

        from .apis import members_in_standing
        from .ledger import Standing

        MEMBER_LIST_FILTERS["standing"] = ("Dues standing.", Standing.values, members_in_standing)

        from .models import Payment

        def member_of_row(row):
            return (row.member_id, None)

        def member_of_refund(row):
            member_id = Payment.objects.values_list("member_id", flat=True).get(pk=row.payment_id)
            return (member_id, None)

        registry.register("dues.duesrate")
        registry.register("dues.duesperiod")
        registry.register("dues.duescharge", member_of=member_of_row)
        registry.register("dues.payment", member_of=member_of_row)
        registry.register("dues.adjustment", member_of=member_of_row)
        registry.register("dues.refund", member_of=member_of_refund)
