"""What other apps add to accounts (appkit/extensions.py)."""

from __future__ import annotations

from appkit.extensions import ExtensionPoint

ROLE_PERMISSIONS = ExtensionPoint(
    "accounts.role_permissions",
    "Role name → the permissions ('app_label.codename') each role gets: a dict per app. "
    "roles_sync() grants them after every migrate.",
)

LOGIN_EMAIL_CHANGED = ExtensionPoint(
    "accounts.login_email_changed",
    "A callable (user, *, actor) called when the users' admin changes a login's email: the "
    "app that keeps the same address elsewhere (members: the member's record) follows it.",
)
