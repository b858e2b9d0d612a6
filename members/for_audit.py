"""What the members app tells the audit trail (the `audit.audited_models` and
`audit.member_numbers` extension points, declared in MembersConfig)."""

from __future__ import annotations

from audit.registry import AuditedModel, member_in

from .models import Member
from .selectors import member_note_versions_readable, member_numbers

AUDITED_MODELS = {
    "members.member": AuditedModel(
        # Shown as [redacted] in the audit trail to all but Admin (docs/design.md §5).
        sensitive=frozenset({*Member.PERSONAL_FIELDS, "phone", "stripe_customer_id"}),
        member_of=lambda row: (row.id, row.member_number),
    ),
    "members.classification": AuditedModel(),
    "members.membernote": AuditedModel(
        member_of=member_in(),
        private=frozenset({"text"}),
        readable_versions=member_note_versions_readable,
    ),
}

MEMBER_NUMBERS = member_numbers
