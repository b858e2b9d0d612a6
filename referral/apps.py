from __future__ import annotations

from django.apps import AppConfig

from accounts import roles

_VIEW = [
    "referral.view_region",
    "referral.view_holiday",
    "referral.view_book",
    "referral.view_ruleset",
    "referral.view_registration",
    "referral.view_registrationevent",
    "referral.view_exemption",
    "referral.view_checkmark",
    "referral.view_laborrequest",
    "referral.view_requirement",
    "referral.view_blackout",
    "referral.view_qualification",
    "referral.view_dispatch",
    "referral.view_referralrun",
    "referral.view_referralline",
    "referral.view_bid",
    "referral.view_biddingsuspension",
]
# Staff register members and take re-signs (docs/design.md §3).
_REGISTER = ["referral.add_registration", "referral.resign_registration"]
# A dispatcher manages the books and their registrants.
_DISPATCH = [
    *_REGISTER,
    "referral.add_book",
    "referral.change_book",
    "referral.add_region",
    "referral.change_region",
    "referral.add_holiday",
    "referral.change_holiday",
    "referral.delete_holiday",
    "referral.add_ruleset",
    "referral.change_ruleset",
    "referral.roll_off_registration",
    "referral.add_exemption",
    # Check marks (referral/services/marks.py): the third counted one rolls off the book.
    "referral.add_checkmark",
    # Labor requests (referral/services/requests.py): received and cancelled by the hall.
    "referral.add_laborrequest",
    "referral.cancel_laborrequest",
    # Dispatch (referral/services/dispatching.py) and the morning referral (runs.py).
    "referral.add_qualification",
    "referral.change_qualification",
    # A card entered by mistake is deleted (its history kept).
    "referral.delete_qualification",
    "referral.add_dispatch",
    "referral.change_dispatch",
    "referral.terminate_dispatch",
    "referral.add_referralrun",
    "referral.confirm_referralrun",
    # Bids (referral/services/bids.py): members place their own; the hall may for them.
    "referral.add_bid",
]
# Officers and Admin do all a dispatcher does, and decide what only they may.
_OFFICE = [*_DISPATCH, "referral.activate_ruleset", "referral.extend_exemption"]
_HISTORY = [
    f"referral.view_historical{model}"
    for model in (
        "book",
        "ruleset",
        "registration",
        "registrationevent",
        "exemption",
        "checkmark",
        "laborrequest",
        "blackout",
        "qualification",
        "dispatch",
        "referralrun",
        "bid",
        "biddingsuspension",
    )
]
# The vendor's exports (referral/importing/): employers' contracts seen by all who see the
# books; importing a registration list or contracts is the hall's (Dispatcher and up).
_IMPORT_VIEW = ["referral.view_employercontract"]
_IMPORT = ["referral.import_vendor_lists", "referral.view_historicalemployercontract"]


class ReferralConfig(AppConfig):
    name = "referral"
    verbose_name = "Hiring hall"

    extends = {
        "audit.audited_models": ["referral.for_audit.AUDITED_MODELS"],
        "members.member_admin_sections": ["referral.for_members.REGISTRATIONS_SECTION"],
        "appkit.office_links": ["referral.for_office.BOOKS_LINK"],
        "jobs.schedule": [
            "referral.for_jobs.NIGHTLY_AT_00_15",
            "referral.for_jobs.NOTICES_EVERY_5_MINUTES",
        ],
        "members.demo_data": [
            "referral.demo.seed_demo_referral",
            "referral.demo_dispatch.seed_demo_dispatch",
        ],
        "accounts.role_permissions": [
            {
                roles.ADMIN: [*_VIEW, *_OFFICE, *_HISTORY],
                roles.OFFICER: [*_VIEW, *_OFFICE, *_HISTORY],
                roles.DISPATCHER: [*_VIEW, *_DISPATCH, *_HISTORY],
                roles.STAFF: [*_VIEW, *_REGISTER],
            },
            {
                roles.ADMIN: [*_IMPORT_VIEW, *_IMPORT],
                roles.OFFICER: [*_IMPORT_VIEW, *_IMPORT],
                roles.DISPATCHER: [*_IMPORT_VIEW, *_IMPORT],
                roles.STAFF: _IMPORT_VIEW,
            },
        ],
        "jobs.kinds": [
            # The vendor's lists imported (referral/importing/).
            "referral.for_jobs.REGISTRATIONS_CHECK",
            "referral.for_jobs.REGISTRATIONS_IMPORT",
            "referral.for_jobs.CONTRACTS_CHECK",
            "referral.for_jobs.CONTRACTS_IMPORT",
            # The nightly drops and reminders, and the outbox's sender.
            "referral.for_jobs.NIGHTLY",
            "referral.for_jobs.NOTICES_SEND",
            # A long report's PDF.
            "referral.for_jobs.REPORT_PDF",
            # A large morning referral confirmed.
            "referral.for_jobs.REFERRAL_RUN_CONFIRM",
        ],
    }
