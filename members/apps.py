from __future__ import annotations

from django.apps import AppConfig

from accounts import roles

_MEMBER_VIEW = ["members.view_member", "members.view_classification"]
_PERSONAL = ["members.view_personal"]
_MEMBER_EDIT = ["members.add_member", "members.change_member"]
_MEMBERSHIP_EDIT = [
    "members.change_membership",
    "members.add_classification",
    "members.change_classification",
]
# Notes: who reads which one is decided per note (selectors.member_notes_visible_to).
_NOTES = ["members.view_membernote", "members.add_membernote", "members.change_membernote"]
# History is audit data: only the roles that read the audit log (accounts/apps.py) read it.
_AUDIT_READ = [
    "members.view_historicalmember",
    "members.view_historicalclassification",
    "members.view_historicalmembernote",
]


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"

    # docs/design.md §3. Nobody may delete a member or a user: leaving is a status, and
    # history rows point at both.
    extends = {
        "audit.audited_models": ["members.for_audit.AUDITED_MODELS"],
        "audit.member_numbers": ["members.for_audit.MEMBER_NUMBERS"],
        "appkit.dashboard_panels": ["members.for_office.FIND_PANEL"],
        "appkit.work_items": ["members.for_office.CONTACT_CHANGES_WORK"],
        "accounts.login_email_changed": ["members.for_accounts.member_email_follows_login"],
        "jobs.kinds": [
            "members.for_jobs.IMPORT_CHECK",
            "members.for_jobs.IMPORT_WRITE",
            "members.for_jobs.EXPORT",
        ],
        "accounts.role_permissions": [
            {
                roles.ADMIN: [
                    *_MEMBER_VIEW,
                    *_PERSONAL,
                    *_MEMBER_EDIT,
                    *_MEMBERSHIP_EDIT,
                    *_NOTES,
                    *_AUDIT_READ,
                ],
                roles.OFFICER: [
                    *_MEMBER_VIEW,
                    *_PERSONAL,
                    *_MEMBER_EDIT,
                    *_MEMBERSHIP_EDIT,
                    *_NOTES,
                    *_AUDIT_READ,
                ],
                roles.ORGANIZER: [*_MEMBER_VIEW, *_NOTES],
                roles.STAFF: [*_MEMBER_VIEW, *_PERSONAL, *_MEMBER_EDIT, *_NOTES],
                roles.DISPATCHER: [*_MEMBER_VIEW, *_NOTES],
            }
        ],
    }
