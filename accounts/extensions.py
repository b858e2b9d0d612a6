"""What other apps add to accounts (appkit/extensions.py)."""

from __future__ import annotations

from appkit.extensions import ExtensionPoint

ROLE_PERMISSIONS = ExtensionPoint(
    "accounts.role_permissions",
    "Role name → the permissions ('app_label.codename') each role gets: a dict per app. "
    "roles_sync() grants them after every migrate.",
)
