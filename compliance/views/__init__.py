"""Governance pages (docs/design.md §10), Officer and Admin only: the arrears policy and its
proposals, eligibility lists, per-capita reports and the LM figures; each CSV an audit
event."""

from .arrears import arrears, arrears_apply
from .eligibility import eligibility, eligibility_detail, eligibility_publish
from .reports import lm, lm_csv_rows, per_capita

__all__ = [
    "arrears",
    "arrears_apply",
    "eligibility",
    "eligibility_detail",
    "eligibility_publish",
    "lm",
    "lm_csv_rows",
    "per_capita",
]
