"""What the accounts app tells the audit trail (`audit.audited_models`): users and groups
(roles) are audited (accounts/receivers.py); a user's events never show a password."""

from __future__ import annotations

from audit.registry import AuditedModel

AUDITED_MODELS = {"auth.user": AuditedModel(), "auth.group": AuditedModel()}
