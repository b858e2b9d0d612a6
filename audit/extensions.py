"""What other apps tell the audit trail (appkit/extensions.py). The audit app knows no
other app: each declares, on its AppConfig, what the trail must know of its models."""

from __future__ import annotations

from appkit.extensions import ExtensionPoint

AUDITED_MODELS = ExtensionPoint(
    "audit.audited_models",
    "A dict per app: model label ('members.member') → audit.registry.AuditedModel (its "
    "sensitive fields, the member a history row concerns, its private fields and who may "
    "read each version).",
)
MEMBER_NUMBERS = ExtensionPoint(
    "audit.member_numbers",
    "One function: member ids → their member numbers, for many at once.",
)
