"""Governance writes (docs/design.md §10). Each takes the acting user; each change is a kept,
audited record. Views, admin, jobs and commands call these.

- arrears: the arrears policy applied, its notices, an officer's hold or override;
- eligibility: eligibility lists worked out and published, candidates' inspections;
- per_capita: per-capita reports worked out, submitted and paid.
"""

from .arrears import (
    ArrearsFactsChanged,
    Proposal,
    arrears_policy_apply,
    arrears_policy_proposals,
    listed,
    standing_hold,
    standing_hold_release,
    standing_override,
)
from .eligibility import (
    eligibility_csv_lines,
    eligibility_list_create,
    eligibility_list_publish,
    inspection_record,
)
from .per_capita import (
    per_capita_report_paid,
    per_capita_report_submit,
    per_capita_report_work_out,
)

__all__ = [
    "ArrearsFactsChanged",
    "Proposal",
    "arrears_policy_apply",
    "arrears_policy_proposals",
    "eligibility_csv_lines",
    "eligibility_list_create",
    "eligibility_list_publish",
    "inspection_record",
    "listed",
    "per_capita_report_paid",
    "per_capita_report_submit",
    "per_capita_report_work_out",
    "standing_hold",
    "standing_hold_release",
    "standing_override",
]
