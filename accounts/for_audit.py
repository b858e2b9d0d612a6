"""What the accounts app tells the audit trail (`audit.audited_models`): users are audited
(accounts/receivers.py) and never show a password."""

from __future__ import annotations

from audit.registry import AuditedModel

AUDITED_MODELS = {"auth.user": AuditedModel()}
