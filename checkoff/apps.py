from __future__ import annotations

from django.apps import AppConfig

from accounts import roles

_VIEW = [
    "checkoff.view_employer",
    "checkoff.view_checkoffauthorization",
    "checkoff.view_remittancebatch",
    "checkoff.view_remittanceline",
    "checkoff.view_suspenseresolution",
]
_MANAGE = [
    "checkoff.add_employer",
    "checkoff.change_employer",
    "checkoff.add_checkoffauthorization",
    "checkoff.change_checkoffauthorization",
    "checkoff.add_remittancebatch",
    "checkoff.post_remittance",
    "checkoff.add_suspenseresolution",
]
_HISTORY = [
    f"checkoff.view_historical{model}"
    for model in ("employer", "checkoffauthorization", "remittancebatch", "suspenseresolution")
]


class CheckoffConfig(AppConfig):
    name = "checkoff"
    verbose_name = "Employer check-off"

    extends = {
        "audit.audited_models": ["checkoff.for_audit.AUDITED_MODELS"],
        "dues.arrears_protection": ["checkoff.protection.CHECKOFF_PROTECTION"],
        "dues.deducted_at_source": ["checkoff.protection.CHECKOFF_DEDUCTIONS"],
        "jobs.kinds": [
            "checkoff.for_jobs.CHECK",
            "checkoff.for_jobs.POST",
            "checkoff.for_jobs.IMPORT_CHECK",
            "checkoff.for_jobs.IMPORT",
        ],
        "members.member_admin_sections": ["checkoff.for_members.CHECKOFF_SECTION"],
        "appkit.office_links": ["checkoff.for_office.EMPLOYERS_LINK"],
        "appkit.work_items": [
            "checkoff.for_office.SUSPENSE_WORK",
            "checkoff.for_office.LATE_EMPLOYERS_WORK",
        ],
        "members.demo_data": ["checkoff.demo.seed_demo_checkoff"],
        "accounts.role_permissions": [
            {
                roles.ADMIN: [*_VIEW, *_MANAGE, *_HISTORY],
                roles.OFFICER: [*_VIEW, *_MANAGE, *_HISTORY],
                roles.STAFF: _VIEW,
            }
        ],
    }
